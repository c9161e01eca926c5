#include "auth/crypto.h"

#include <sodium.h>

#include "core/text.h"

namespace broadsheet::auth {
namespace {

std::string Base64Url(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

}  // namespace

Result<void> InitCrypto() {
  if (sodium_init() < 0) return Fail(ErrorCode::kInternal, "libsodium could not initialise");
  return {};
}

Result<void> CheckPasswordRules(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Fail(ErrorCode::kInvalidArgument, "the password must have at least 10 characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return Fail(ErrorCode::kInvalidArgument, "the password must have at most 1024 characters");
  }
  if (!IsValidUtf8(password))
    return Fail(ErrorCode::kInvalidArgument, "the password is not valid text");
  return {};
}

Result<std::string> HashPassword(std::string_view password) {
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(ErrorCode::kInternal, "could not hash the password", "out of memory");
  }
  return std::string(hash);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string RandomToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return Base64Url(bytes, sizeof bytes);
}

std::string HashToken(std::string_view token) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string Sign(std::string_view key, std::string_view message) {
  unsigned char digest[32];
  // BLAKE2b keys are at most 64 bytes; longer keys are hashed down first.
  unsigned char short_key[32];
  crypto_generichash(short_key, sizeof short_key,
                     reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size(), short_key, sizeof short_key);
  return Base64Url(digest, sizeof digest);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace broadsheet::auth
