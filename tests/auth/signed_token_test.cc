#include "auth/signed_token.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"

namespace broadsheet::auth {
namespace {

class SignedTokenTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto()); }
  const std::string key_ = "a key for the tests, as a site's secret would be";
  TokenSigner signer_{key_};
};

// Links already in readers' mailboxes were signed before TokenSigner existed: each use must
// still sign exactly the bytes it signed then.
TEST_F(SignedTokenTest, SignsTheSameBytesAsEveryEarlierTokenFormat) {
  EXPECT_EQ(signer_.Issue("manage", "", {"42"}), "42." + Sign(key_, "manage:42"));
  EXPECT_EQ(signer_.Issue("confirm", "", {"42", "1900000000"}),
            "42.1900000000." + Sign(key_, "confirm:42.1900000000"));
  EXPECT_EQ(signer_.Issue("privacy", "", {"1900000000", "612e62"}),
            "1900000000.612e62." + Sign(key_, "privacy:1900000000.612e62"));
  EXPECT_EQ(signer_.Issue("form", "7", {"1800000000"}),
            "1800000000." + Sign(key_, "form:7:1800000000"));
  EXPECT_EQ(signer_.Issue("staff", "", {"abcdef"}), "abcdef." + Sign(key_, "staff:abcdef"));
  EXPECT_EQ(signer_.Signature("preview", "5", {"1800000000"}), Sign(key_, "preview:5:1800000000"));
  EXPECT_EQ(signer_.Signature("form", "session\n/desk/posts", {}),
            Sign(key_, "form:session\n/desk/posts"));
}

TEST_F(SignedTokenTest, TheSignatureItselfIsPinned) {
  // BLAKE2b-256 of "manage:1" keyed with the BLAKE2b-256 hash of the key, base64url (as Python's
  // hashlib computes it): a change here breaks every link already sent.
  EXPECT_EQ(TokenSigner("k").Issue("manage", "", {"1"}),
            "1.AxEr9wZzPEibxPvDg3uOU8bne2gKCYq1wcmJMhZQ8w8");
}

TEST_F(SignedTokenTest, GivesBackTheFieldsOfAGenuineToken) {
  const std::string token = signer_.Issue("confirm", "", {"42", "1900000000"});
  const auto fields = signer_.Verify("confirm", "", token, 2);
  ASSERT_TRUE(fields);
  EXPECT_EQ(*fields, (std::vector<std::string>{"42", "1900000000"}));
  const std::string empty = signer_.Issue("privacy", "", {"1", ""});
  EXPECT_EQ(signer_.Verify("privacy", "", empty, 2), (std::vector<std::string>{"1", ""}));
}

TEST_F(SignedTokenTest, RefusesATokenMadeForAnotherUseOrAnotherContext) {
  const std::string token = signer_.Issue("manage", "", {"42"});
  EXPECT_FALSE(signer_.Verify("staff", "", token, 1));
  EXPECT_FALSE(signer_.Verify("manage", "7", token, 1));
  EXPECT_FALSE(TokenSigner("another key").Verify("manage", "", token, 1));
  const std::string stamp = signer_.Issue("form", "7", {"1800000000"});
  EXPECT_TRUE(signer_.Verify("form", "7", stamp, 1));
  EXPECT_FALSE(signer_.Verify("form", "8", stamp, 1));
}

TEST_F(SignedTokenTest, RefusesAlteredAndMalformedTokens) {
  const std::string token = signer_.Issue("confirm", "", {"42", "1900000000"});
  std::string altered = token;
  altered[0] = '4' == altered[0] ? '5' : '4';
  EXPECT_FALSE(signer_.Verify("confirm", "", altered, 2));
  EXPECT_FALSE(signer_.Verify("confirm", "", token, 1));  // the expiry read as the signature
  EXPECT_FALSE(signer_.Verify("confirm", "", token, 3));
  EXPECT_FALSE(signer_.Verify("confirm", "", token + ".", 2));
  EXPECT_FALSE(signer_.Verify("confirm", "", token + "x", 2));
  EXPECT_FALSE(signer_.Verify("confirm", "", token.substr(0, token.size() - 1), 2));
  EXPECT_FALSE(signer_.Verify("confirm", "", "", 2));
  EXPECT_FALSE(signer_.Verify("confirm", "", "..", 2));
  EXPECT_FALSE(signer_.VerifySignature("confirm", "", {"42", "1900000000"}, ""));
}

TEST_F(SignedTokenTest, AnExpiredTokenIsRefused) {
  const std::string token = signer_.Issue("confirm", "", {"42", "1900000000"});
  EXPECT_TRUE(signer_.VerifyUnexpired("confirm", "", token, 2, 1, 1900000000));
  EXPECT_FALSE(signer_.VerifyUnexpired("confirm", "", token, 2, 1, 1900000001));
  // A field that is no time is refused whatever its signature says.
  const std::string odd = signer_.Issue("confirm", "", {"42", "soon"});
  EXPECT_TRUE(signer_.Verify("confirm", "", odd, 2));
  EXPECT_FALSE(signer_.VerifyUnexpired("confirm", "", odd, 2, 1, 0));
}

TEST_F(SignedTokenTest, RefusesOverlongTokensUnread) {
  const std::string field(TokenSigner::kMaxTokenSize, 'a');
  const std::string token = signer_.Issue("privacy", "", {"1", field});
  EXPECT_FALSE(signer_.Verify("privacy", "", token, 2));
}

}  // namespace
}  // namespace broadsheet::auth
