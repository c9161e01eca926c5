#include "auth/accounts.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/crypto.h"
#include "auth/totp.h"
#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::auth {
namespace {

class AccountsTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    BROADSHEET_OPEN_TEST_STORE(store_);
    accounts_ = std::make_unique<Accounts>(*store_);
    ASSERT_TRUE(accounts_->AddUser("ed@example.org", "Ed Itor", "editor", "correct horse battery"));
  }
  Result<SignedIn> TryPassword(const std::string& password, const std::string& ip = "192.0.2.1",
                               const std::string& email = "ed@example.org") {
    return accounts_->SignIn({email, password, ip, "test"}, now_);
  }
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Accounts> accounts_;
  Timestamp now_ = 1800000000;
};

TEST(Passwords, HashesAreArgon2idAndVerify) {
  ASSERT_TRUE(InitCrypto());
  auto hash = HashPassword("a long passphrase");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_TRUE(VerifyPassword(*hash, "a long passphrase"));
  EXPECT_FALSE(VerifyPassword(*hash, "a long passphrasE"));
  EXPECT_FALSE(VerifyPassword("", "anything"));
  EXPECT_EQ(CheckPasswordRules("short").error().code, ErrorCode::kInvalidArgument);
}

TEST(Tokens, AreRandomAndHashed) {
  ASSERT_TRUE(InitCrypto());
  const std::string a = RandomToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, RandomToken());
  EXPECT_EQ(HashToken(a).size(), 64u);
  EXPECT_EQ(Sign("key", "message"), Sign("key", "message"));
  EXPECT_NE(Sign("key", "message"), Sign("other", "message"));
}

TEST(CheckEmail, AcceptsAddressesAndRefusesTheRest) {
  EXPECT_TRUE(CheckEmail("jane.doe+desk@example.co.uk"));
  for (const char* bad : {"", "jane", "@example.org", "jane@", "jane@example", "a b@example.org",
                          "jane@@example.org", "jane@example.org.", "<jane@example.org>"}) {
    EXPECT_FALSE(CheckEmail(bad)) << bad;
  }
}

TEST_P(AccountsTest, SignInCreatesASessionThatAuthenticates) {
  auto signed_in = TryPassword("correct horse battery");
  ASSERT_TRUE(signed_in) << signed_in.error().message;
  EXPECT_EQ(signed_in->viewer.role, Role::kEditor);
  auto viewer = accounts_->Authenticate(signed_in->token, now_ + 10);
  ASSERT_TRUE(viewer && *viewer);
  EXPECT_EQ((*viewer)->user.email, "ed@example.org");
  // The store keeps a hash, never the token itself.
  EXPECT_FALSE(*store_->FindSession(signed_in->token, now_));
  ASSERT_TRUE(accounts_->SignOut(signed_in->token));
  EXPECT_FALSE(*accounts_->Authenticate(signed_in->token, now_ + 20));
}

TEST_P(AccountsTest, SessionsExpire) {
  auto signed_in = TryPassword("correct horse battery");
  ASSERT_TRUE(signed_in);
  EXPECT_FALSE(
      *accounts_->Authenticate(signed_in->token, now_ + accounts_->limits().session_lifetime + 1));
}

TEST_P(AccountsTest, WrongPasswordAndUnknownAddressLookTheSame) {
  auto wrong = TryPassword("incorrect horse");
  auto unknown = TryPassword("correct horse battery", "192.0.2.1", "nobody@example.org");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_P(AccountsTest, RepeatedFailuresForAnAccountAreRefusedEvenWithTheRightPassword) {
  for (int i = 0; i < accounts_->limits().per_account; ++i) {
    // From different addresses, so only the per-account limit applies.
    EXPECT_EQ(TryPassword("wrong", "192.0.2." + std::to_string(i)).error().code,
              ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(TryPassword("correct horse battery", "198.51.100.7").error().code,
            ErrorCode::kRateLimited);
  now_ += accounts_->limits().window + 1;
  EXPECT_TRUE(TryPassword("correct horse battery", "198.51.100.7"));
}

TEST_P(AccountsTest, RepeatedFailuresFromAnAddressAreRefused) {
  for (int i = 0; i < accounts_->limits().per_address; ++i) {
    TryPassword("wrong", "203.0.113.5", "user" + std::to_string(i) + "@example.org");
  }
  EXPECT_EQ(TryPassword("correct horse battery", "203.0.113.5").error().code,
            ErrorCode::kRateLimited);
  EXPECT_TRUE(TryPassword("correct horse battery", "203.0.113.6"));
}

// Issue 13: a right password must not reset the count of wrong two-factor codes.
TEST_P(AccountsTest, WrongCodesAreThrottledEvenWhenThePasswordIsRightEachTime) {
  auto user = store_->FindUserByEmail("ed@example.org");
  ASSERT_TRUE(user && *user);
  const std::string secret = NewTotpSecret();
  ASSERT_TRUE(store_->SetTotpSecret((**user).id, secret));
  std::string wrong = "000000";
  for (const char* candidate : {"000000", "111111", "222222", "333333"}) {
    bool matches = false;
    for (int drift = -1; drift <= 1; ++drift)
      matches = matches || TotpCode(*Base32Decode(secret), now_ / 30 + drift) == candidate;
    if (!matches) wrong = candidate;
  }
  int refused = 0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    auto pending = TryPassword("correct horse battery");
    if (!pending) {
      EXPECT_EQ(pending.error().code, ErrorCode::kRateLimited);
      ++refused;
      continue;
    }
    ASSERT_FALSE(pending->pending_token.empty());
    auto signed_in =
        accounts_->CompleteTwoFactor(pending->pending_token, wrong, "192.0.2.1", "test", now_);
    ASSERT_FALSE(signed_in);
    if (signed_in.error().code == ErrorCode::kRateLimited) ++refused;
  }
  EXPECT_GE(refused, 30);
}

// Issue 13: attempts made at the same time are counted before they are checked, so a burst of
// wrong passwords gets no more checks than the limit.
TEST_P(AccountsTest, ABurstOfConcurrentWrongPasswordsIsCheckedNoMoreThanTheLimit) {
  std::atomic<int> checked{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      auto result = accounts_->SignIn({"ed@example.org", "wrong", "192.0.2.1", "test"}, now_);
      if (!result && result.error().code == ErrorCode::kUnauthenticated) ++checked;
      if (!result && result.error().code == ErrorCode::kRateLimited) ++refused;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(checked.load(), accounts_->limits().per_account);
  EXPECT_EQ(refused.load(), 40 - accounts_->limits().per_account);
  EXPECT_EQ(TryPassword("correct horse battery").error().code, ErrorCode::kRateLimited);
}

TEST_P(AccountsTest, ARightPasswordGivesItsPlaceBack) {
  for (int i = 0; i < accounts_->limits().per_account - 1; ++i)
    ASSERT_EQ(TryPassword("wrong", "192.0.2." + std::to_string(i)).error().code,
              ErrorCode::kUnauthenticated);
  // The account has one failure left before the limit; right passwords do not spend it.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(TryPassword("correct horse battery", "198.51.100.1"));
  ASSERT_TRUE(
      accounts_->SignIn({"ed@example.org", "correct horse battery", "198.51.100.1", "t"}, now_));
}

TEST_P(AccountsTest, AccountsWithoutPasswordsCannotSignIn) {
  auto id = accounts_->AddUser("new@example.org", "New Writer", "contributor", std::nullopt);
  ASSERT_TRUE(id);
  EXPECT_EQ(TryPassword("", "192.0.2.9", "new@example.org").error().code,
            ErrorCode::kUnauthenticated);
  auto link = accounts_->CreatePasswordLink(*id, now_);
  ASSERT_TRUE(link);
  EXPECT_EQ((*accounts_->PasswordLinkUser(*link, now_))->email, "new@example.org");
  EXPECT_EQ(accounts_->SetPasswordWithLink(*link, "short", now_).error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(accounts_->SetPasswordWithLink(*link, "a brand new passphrase", now_));
  EXPECT_TRUE(TryPassword("a brand new passphrase", "192.0.2.9", "new@example.org"));
  // Links work once.
  EXPECT_EQ(accounts_->SetPasswordWithLink(*link, "another passphrase", now_).error().code,
            ErrorCode::kNotFound);
}

TEST_P(AccountsTest, PasswordLinksExpire) {
  auto id = accounts_->AddUser("late@example.org", "Late", "author", std::nullopt);
  ASSERT_TRUE(id);
  auto link = accounts_->CreatePasswordLink(*id, now_);
  ASSERT_TRUE(link);
  EXPECT_FALSE(*accounts_->PasswordLinkUser(*link, now_ + accounts_->limits().link_lifetime + 1));
}

TEST_P(AccountsTest, AddUserValidates) {
  EXPECT_EQ(accounts_->AddUser("ed@example.org", "Twin", "editor", std::nullopt).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(accounts_->AddUser("ED@EXAMPLE.ORG", "Twin", "editor", std::nullopt).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(accounts_->AddUser("x@example.org", "X", "king", std::nullopt).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(accounts_->AddUser("not-an-address", "X", "editor", std::nullopt).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(accounts_->AddUser("y@example.org", " ", "editor", std::nullopt).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(AccountsTest, FormTokensAreBoundToWhatTheyWereMadeFor) {
  auto token = accounts_->FormToken("session:abc", "POST /admin/posts/1");
  ASSERT_TRUE(token);
  EXPECT_TRUE(*accounts_->CheckFormToken("session:abc", "POST /admin/posts/1", *token));
  EXPECT_FALSE(*accounts_->CheckFormToken("session:abd", "POST /admin/posts/1", *token));
  EXPECT_FALSE(*accounts_->CheckFormToken("session:abc", "POST /admin/posts/1", ""));
  EXPECT_FALSE(*accounts_->CheckFormToken("", "POST /admin/posts/1", *token));
}

// Issue 13: a token taken from one form (the editor's) must not authorise another action.
TEST_P(AccountsTest, FormTokensAreBoundToTheirAction) {
  auto token = accounts_->FormToken("session:abc", "POST /admin/posts/1");
  ASSERT_TRUE(token);
  EXPECT_FALSE(*accounts_->CheckFormToken("session:abc", "POST /admin/users/4", *token));
  EXPECT_FALSE(*accounts_->CheckFormToken("session:abc", "POST /admin/posts/12", *token));
  EXPECT_FALSE(*accounts_->CheckFormToken("session:abc", "", *token));
}

TEST_P(AccountsTest, SigningInDoesNotInvalidateThePublicPageCache) {
  const auto before = store_->ContentVersion();
  ASSERT_TRUE(TryPassword("correct horse battery"));
  TryPassword("wrong");
  EXPECT_EQ(store_->ContentVersion(), before);
}

}  // namespace
}  // namespace broadsheet::auth

namespace broadsheet::auth {
namespace {

// The account rules the desk's users page relies on.
class AccountManagementTest : public AccountsTest {
 protected:
  Viewer As(const std::string& email) {
    User user = **store_->FindUserByEmail(email);
    return Viewer{user, *ParseRole(user.role), "", ""};
  }
  std::int64_t Add(const std::string& email, const std::string& role) {
    return *accounts_->AddUser(email, "Someone", role, std::nullopt);
  }
};

TEST_P(AccountManagementTest, AdministratorsManageEveryoneButOwnersAndThemselves) {
  const std::int64_t owner = Add("owner@example.org", "owner");
  const std::int64_t admin = Add("admin@example.org", "administrator");
  const std::int64_t writer = Add("writer@example.org", "contributor");
  const Viewer administrator = As("admin@example.org");
  EXPECT_TRUE(accounts_->ChangeRole(administrator, writer, "author"));
  EXPECT_EQ((*store_->FindUser(writer))->role, "author");
  EXPECT_EQ(accounts_->ChangeRole(administrator, owner, "editor").error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(accounts_->SetDisabled(administrator, admin, true).error().code,
            ErrorCode::kForbidden);  // their own account
  EXPECT_EQ(accounts_->ChangeRole(administrator, writer, "owner").error().code,
            ErrorCode::kForbidden);  // only an owner makes an owner
  EXPECT_EQ((*store_->FindUser(writer))->role, "author");
  EXPECT_EQ(accounts_->Invite(administrator, "new@example.org", "New", "owner").error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(accounts_->Managed(administrator, 9999).error().code, ErrorCode::kNotFound);

  const Viewer the_owner = As("owner@example.org");
  EXPECT_TRUE(accounts_->ChangeRole(the_owner, admin, "owner"));
  EXPECT_TRUE(accounts_->SetDisabled(the_owner, writer, true));
  EXPECT_TRUE((*store_->FindUser(writer))->disabled);
  // An editor manages no accounts at all.
  EXPECT_EQ(accounts_->SetDisabled(As("ed@example.org"), writer, false).error().code,
            ErrorCode::kForbidden);
}

TEST_P(AccountManagementTest, OnlyOnesOwnSessionsCanBeEnded) {
  auto mine = TryPassword("correct horse battery");
  ASSERT_TRUE(mine);
  ASSERT_TRUE(accounts_->AddUser("other@example.org", "Other", "editor", "another long password"));
  auto theirs = TryPassword("another long password", "192.0.2.9", "other@example.org");
  ASSERT_TRUE(theirs);
  const Viewer me = As("ed@example.org");
  EXPECT_EQ(accounts_->EndOwnSession(me, HashToken(theirs->token), now_).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(*accounts_->Authenticate(theirs->token, now_));
  EXPECT_TRUE(accounts_->EndOwnSession(me, HashToken(mine->token), now_));
  EXPECT_FALSE(*accounts_->Authenticate(mine->token, now_));
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, AccountsTest, test::kBothDatabases, test::DatabaseName);
INSTANTIATE_TEST_SUITE_P(BothDatabases, AccountManagementTest, test::kBothDatabases,
                         test::DatabaseName);

}  // namespace
}  // namespace broadsheet::auth
