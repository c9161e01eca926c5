#include "auth/totp.h"

#include <sodium.h>

#include <gtest/gtest.h>

namespace broadsheet::auth {
namespace {

// RFC 6238, appendix B: the SHA-1 secret is the ASCII string "12345678901234567890"; the last six
// of the eight-digit codes are what 6-digit apps show.
TEST(Totp, MatchesTheRfc6238TestVectors) {
  const std::string key = "12345678901234567890";
  EXPECT_EQ(TotpCode(key, 59 / 30), "287082");
  EXPECT_EQ(TotpCode(key, 1111111109 / 30), "081804");
  EXPECT_EQ(TotpCode(key, 1234567890 / 30), "005924");
  EXPECT_EQ(TotpCode(key, 2000000000 / 30), "279037");
}

TEST(Totp, Base32RoundTrips) {
  ASSERT_GE(sodium_init(), 0);
  const std::string secret = NewTotpSecret();
  EXPECT_EQ(secret.size(), 32u);
  auto key = Base32Decode(secret);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 20u);
  EXPECT_EQ(*Base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "12345678901234567890");
  EXPECT_FALSE(Base32Decode("not base32!"));
}

TEST(Totp, AcceptsAStepEitherSideButNeverTheSameCodeTwice) {
  const std::string secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  const Timestamp now = 1234567890;
  const std::string key = "12345678901234567890";
  const auto step = now / 30;
  EXPECT_EQ(VerifyTotp(secret, TotpCode(key, step), now, 0), step);
  EXPECT_EQ(VerifyTotp(secret, TotpCode(key, step - 1), now, 0), step - 1);
  EXPECT_EQ(VerifyTotp(secret, TotpCode(key, step + 1), now, 0), step + 1);
  EXPECT_FALSE(VerifyTotp(secret, TotpCode(key, step - 2), now, 0));
  EXPECT_FALSE(VerifyTotp(secret, TotpCode(key, step), now, step));  // already used
  EXPECT_FALSE(VerifyTotp(secret, "12345", now, 0));
  EXPECT_FALSE(VerifyTotp(secret, "abcdef", now, 0));
}

TEST(Totp, UriNamesIssuerAndAccount) {
  EXPECT_EQ(
      TotpUri("The Review", "ed@example.org", "ABC"),
      "otpauth://totp/The%20Review:ed@example.org?secret=ABC&issuer=The%20Review&algorithm=SHA1&"
      "digits=6&period=30");
}

}  // namespace
}  // namespace broadsheet::auth
