#include "auth/signed_token.h"

#include <cassert>
#include <charconv>

#include "auth/crypto.h"

namespace broadsheet::auth {
namespace {

// A signature is 32 bytes in base64url without padding.
constexpr size_t kSignatureSize = 43;

std::string Message(std::string_view purpose, std::string_view context,
                    const std::vector<std::string>& fields) {
  assert(!purpose.empty() && purpose.find(':') == std::string_view::npos);
  std::string message(purpose);
  message += ':';
  if (!context.empty()) {
    message += context;
    if (!fields.empty()) message += ':';
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) message += '.';
    message += fields[i];
  }
  return message;
}

}  // namespace

std::string TokenSigner::Signature(std::string_view purpose, std::string_view context,
                                   const std::vector<std::string>& fields) const {
  return Sign(key_, Message(purpose, context, fields));
}

bool TokenSigner::VerifySignature(std::string_view purpose, std::string_view context,
                                  const std::vector<std::string>& fields,
                                  std::string_view signature) const {
  if (signature.size() != kSignatureSize) return false;
  return ConstantTimeEquals(Signature(purpose, context, fields), signature);
}

std::string TokenSigner::Issue(std::string_view purpose, std::string_view context,
                               const std::vector<std::string>& fields) const {
  std::string token;
  for (const std::string& field : fields) {
    assert(field.find('.') == std::string::npos);
    token += field;
    token += '.';
  }
  return token + Signature(purpose, context, fields);
}

std::optional<std::vector<std::string>> TokenSigner::Verify(std::string_view purpose,
                                                            std::string_view context,
                                                            std::string_view token,
                                                            size_t field_count) const {
  if (token.size() > kMaxTokenSize) return std::nullopt;
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t i = 0; i < field_count; ++i) {
    const size_t dot = token.find('.', start);
    if (dot == std::string_view::npos) return std::nullopt;
    fields.emplace_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  const std::string_view signature = token.substr(start);
  if (signature.find('.') != std::string_view::npos) return std::nullopt;
  if (!VerifySignature(purpose, context, fields, signature)) return std::nullopt;
  return fields;
}

std::optional<std::vector<std::string>> TokenSigner::VerifyUnexpired(
    std::string_view purpose, std::string_view context, std::string_view token, size_t field_count,
    size_t expires_field, std::int64_t now) const {
  assert(expires_field < field_count);
  auto fields = Verify(purpose, context, token, field_count);
  if (!fields) return std::nullopt;
  const std::string& text = (*fields)[expires_field];
  std::int64_t expires = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), expires);
  if (error != std::errc() || end != text.data() + text.size() || expires < now)
    return std::nullopt;
  return fields;
}

}  // namespace broadsheet::auth
