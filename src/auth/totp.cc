#include "auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <fmt/format.h>

namespace broadsheet::auth {
namespace {

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string Base32Encode(std::string_view data) {
  std::string out;
  int buffer = 0, bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string NewTotpSecret() {
  unsigned char bytes[20];
  randombytes_buf(bytes, sizeof bytes);
  return Base32Encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  int buffer = 0, bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=' || c == '-') continue;
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto value = kBase32.find(upper);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<int>(value);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

std::string TotpCode(std::string_view key, std::int64_t step) {
  unsigned char counter[8];
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<unsigned char>(step & 0xFF);
    step >>= 8;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), counter, sizeof counter, digest,
       &length);
  const int offset = digest[length - 1] & 0x0F;
  const std::uint32_t binary = ((digest[offset] & 0x7F) << 24) | (digest[offset + 1] << 16) |
                               (digest[offset + 2] << 8) | digest[offset + 3];
  return fmt::format("{:06}", binary % 1000000);
}

std::optional<std::int64_t> VerifyTotp(std::string_view base32_secret, std::string_view code,
                                       Timestamp now, std::int64_t last_used_step) {
  std::string digits;
  for (char c : code) {
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c != ' ')
      return std::nullopt;
  }
  if (digits.size() != 6) return std::nullopt;
  const auto key = Base32Decode(base32_secret);
  if (!key || key->empty()) return std::nullopt;
  const std::int64_t current = now / kTotpStepSeconds;
  for (std::int64_t step = current - 1; step <= current + 1; ++step) {
    if (step <= last_used_step) continue;
    const std::string expected = TotpCode(*key, step);
    if (sodium_memcmp(expected.data(), digits.data(), 6) == 0) return step;
  }
  return std::nullopt;
}

std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
                     PercentEncode(issuer), PercentEncode(account), secret, PercentEncode(issuer));
}

}  // namespace broadsheet::auth
