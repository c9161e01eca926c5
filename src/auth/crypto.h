// Cryptographic building blocks from libsodium: argon2id password hashes, random tokens, keyed
// hashes for signing, and constant-time comparison. All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace broadsheet::auth {

// Must be called once before any other function here (libsodium's sodium_init); idempotent.
Result<void> InitCrypto();

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 1024;

// kInvalidArgument naming the rule a password breaks (length, or not UTF-8).
Result<void> CheckPasswordRules(std::string_view password);
// An argon2id hash string (libsodium's interactive limits: 2 passes, 64 MiB).
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

// 32 random bytes, base64url without padding (43 characters): for cookies and links.
std::string RandomToken();
// The hex BLAKE2b hash of a token: what storage keeps instead of the token itself.
std::string HashToken(std::string_view token);
// A keyed hash (BLAKE2b with `key`) of `message`, base64url: for signing forms and links.
std::string Sign(std::string_view key, std::string_view message);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace broadsheet::auth
