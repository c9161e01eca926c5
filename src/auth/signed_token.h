// Signed tokens: the one way Broadsheet puts a value in a link, cookie or form that it must later
// trust again (a subscriber's confirmation and manage links, a comment author's privacy link, the
// comment form's stamp, the staff mark, CSRF tokens, preview links).
//
// A token is its fields joined by '.', then '.', then a signature: the keyed BLAKE2b hash
// (auth::Sign) of "PURPOSE:CONTEXT:FIELDS", where FIELDS are joined by '.' and the CONTEXT part
// (with its ':') is left out when empty. The purpose keeps a token made for one use from being
// accepted for another under the same key; the context binds it to something the token does not
// carry (a post, a session) that the verifier knows. Some uses put the fields in the address
// already and need only the signature (Signature, VerifySignature).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broadsheet::auth {

class TokenSigner {
 public:
  // Tokens longer than this are refused unread, whatever their use.
  static constexpr size_t kMaxTokenSize = 1200;

  explicit TokenSigner(std::string key) : key_(std::move(key)) {}

  // "FIELD.FIELD.SIGNATURE". `purpose` is a short lowercase word without ':'; fields are free
  // of '.'.
  std::string Issue(std::string_view purpose, std::string_view context,
                    const std::vector<std::string>& fields) const;
  // The fields of `token` when it was issued here for `purpose` and `context` with exactly
  // `field_count` fields; nullopt when it is too long, malformed or forged. Checks one signature.
  std::optional<std::vector<std::string>> Verify(std::string_view purpose, std::string_view context,
                                                 std::string_view token, size_t field_count) const;

  // Verify, and also nullopt once `now` is past the time (seconds since 1970) in field
  // `expires_field`, or when that field is not a whole number.
  std::optional<std::vector<std::string>> VerifyUnexpired(std::string_view purpose,
                                                          std::string_view context,
                                                          std::string_view token,
                                                          size_t field_count, size_t expires_field,
                                                          std::int64_t now) const;

  // The signature alone, for values that travel beside it (a preview link's expiry is in its
  // address, and the site refuses it once past).
  std::string Signature(std::string_view purpose, std::string_view context,
                        const std::vector<std::string>& fields) const;
  bool VerifySignature(std::string_view purpose, std::string_view context,
                       const std::vector<std::string>& fields, std::string_view signature) const;

 private:
  std::string key_;
};

}  // namespace broadsheet::auth
