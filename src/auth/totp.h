// Time-based one-time passwords (RFC 6238, with HOTP from RFC 4226): HMAC-SHA1, 6 digits, 30-second
// steps, as common authenticator apps expect. Secrets are exchanged in base32 (RFC 4648).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace broadsheet::auth {

inline constexpr int kTotpStepSeconds = 30;

// 20 random bytes, base32 without padding (32 characters).
std::string NewTotpSecret();
// nullopt for text that is not base32.
std::optional<std::string> Base32Decode(std::string_view text);
// The 6-digit code for `step` (seconds since the epoch / 30).
std::string TotpCode(std::string_view key, std::int64_t step);
// The step `code` belongs to, when it matches the step at `now` or one step either side and that
// step is later than `last_used_step` (a code works once).
std::optional<std::int64_t> VerifyTotp(std::string_view base32_secret, std::string_view code,
                                       Timestamp now, std::int64_t last_used_step);
// otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…, for the QR code apps scan.
std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace broadsheet::auth
