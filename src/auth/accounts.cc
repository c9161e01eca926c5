#include "auth/accounts.h"

#include <algorithm>

#include "auth/crypto.h"
#include "auth/signed_token.h"
#include "auth/totp.h"
#include "core/text.h"

namespace broadsheet::auth {
namespace {

constexpr const char* kSetPassword = "set-password";
constexpr const char* kTwoFactor = "two-factor";

// Verifying against this keeps a sign-in for an unknown address as slow as for a known one, so
// timing does not reveal which addresses have accounts.
const std::string& DummyHash() {
  static const std::string hash = HashPassword("not a real password, only for timing").value_or("");
  return hash;
}

// Wrong two-factor codes are stored beside wrong passwords but under keys of their own ("code:"
// + the e-mail address, and + the client address), so each step has its own count: a right
// password neither clears nor spends the codes' allowance.
std::string CodeFailureKey(std::string_view key) { return "code:" + std::string(key); }

}  // namespace

Result<void> CheckEmail(std::string_view email) {
  const auto at = email.find('@');
  const bool ok = !email.empty() && email.size() <= 254 && at != std::string_view::npos && at > 0 &&
                  email.find('@', at + 1) == std::string_view::npos &&
                  email.find_first_of(" \t\r\n<>,;\"") == std::string_view::npos &&
                  email.find('.', at) != std::string_view::npos && email.back() != '.' &&
                  email[at + 1] != '.' && IsValidUtf8(email) &&
                  std::none_of(email.begin(), email.end(), [](unsigned char c) {
                    return c < 0x20 || c == 0x7f;  // no control characters (header injection)
                  });
  if (!ok) {
    return Fail(ErrorCode::kInvalidArgument,
                "\"" + std::string(email.substr(0, 100)) + "\" is not an e-mail address");
  }
  return {};
}

Result<std::int64_t> Accounts::AddUser(const std::string& email, const std::string& name,
                                       std::string_view role,
                                       const std::optional<std::string>& password,
                                       const AlongWith& along_with) {
  if (auto checked = CheckEmail(email); !checked) return tl::unexpected(checked.error());
  const auto trimmed_name = Trim(name);
  if (trimmed_name.empty() || trimmed_name.size() > 200) {
    return Fail(ErrorCode::kInvalidArgument, "the name must have 1 to 200 characters");
  }
  if (!ParseRole(role)) {
    return Fail(ErrorCode::kInvalidArgument,
                "\"" + std::string(role) +
                    "\" is not a role (owner, administrator, editor, author, contributor)");
  }
  User user;
  user.email = email;
  user.name = std::string(trimmed_name);
  user.role = std::string(role);
  user.created_at = Now();
  if (password) {
    if (auto checked = CheckPasswordRules(*password); !checked)
      return tl::unexpected(checked.error());
    auto hash = HashPassword(*password);
    if (!hash) return tl::unexpected(hash.error());
    user.password_hash = std::move(*hash);
  }
  if (!along_with) return store_.CreateUser(user);
  auto done = store_.InTransaction([&]() -> Result<void> {
    auto id = store_.CreateUser(user);
    if (!id) return tl::unexpected(id.error());
    user.id = *id;
    return along_with(user);
  });
  if (!done) return tl::unexpected(done.error());
  return user.id;
}

bool MayManage(const Viewer& actor, const User& target) {
  if (!Can(actor.role, Action::kManageUsers)) return false;
  if (target.id == actor.user.id) return false;
  if (target.role == "owner") return actor.role == Role::kOwner;
  return true;
}

bool MayGrant(const Viewer& actor, Role role) {
  return Can(actor.role, Action::kManageUsers) &&
         (role != Role::kOwner || actor.role == Role::kOwner);
}

Result<std::int64_t> Accounts::Invite(const Viewer& actor, const std::string& email,
                                      const std::string& name, std::string_view role,
                                      const AlongWith& along_with) {
  const auto parsed = ParseRole(role);
  if (!parsed || !MayGrant(actor, *parsed))
    return Fail(ErrorCode::kForbidden, "Choose a role you may give.");
  return AddUser(email, name, role, std::nullopt, along_with);
}

Result<User> Accounts::Managed(const Viewer& actor, std::int64_t user_id) {
  auto target = store_.FindUser(user_id);
  if (!target) return tl::unexpected(target.error());
  if (!*target) return Fail(ErrorCode::kNotFound, "There is no such account.");
  if (!MayManage(actor, **target))
    return Fail(ErrorCode::kForbidden, "Your role does not allow changing this account.");
  return std::move(**target);
}

Result<User> Accounts::ChangeRole(const Viewer& actor, std::int64_t user_id,
                                  std::string_view role) {
  auto target = Managed(actor, user_id);
  if (!target) return target;
  const auto parsed = ParseRole(role);
  if (!parsed || !MayGrant(actor, *parsed))
    return Fail(ErrorCode::kForbidden, "Choose a role you may give.");
  if (auto done = store_.SetUserRole(user_id, std::string(role)); !done)
    return tl::unexpected(done.error());
  target->role = std::string(role);
  return target;
}

Result<User> Accounts::SetDisabled(const Viewer& actor, std::int64_t user_id, bool disabled) {
  auto target = Managed(actor, user_id);
  if (!target) return target;
  if (auto done = store_.SetUserDisabled(user_id, disabled); !done)
    return tl::unexpected(done.error());
  target->disabled = disabled;
  return target;
}

Result<void> Accounts::EndOwnSession(const Viewer& actor, const std::string& session_hash,
                                     Timestamp now) {
  auto sessions = store_.ListSessions(actor.user.id, now);
  if (!sessions) return tl::unexpected(sessions.error());
  const bool own = std::any_of(sessions->begin(), sessions->end(), [&](const Session& session) {
    return session.token_hash == session_hash;
  });
  if (!own) return Fail(ErrorCode::kNotFound, "There is no such session.");
  return store_.DeleteSession(session_hash);
}

Result<std::string> Accounts::CreatePasswordLink(std::int64_t user_id, Timestamp now,
                                                 std::optional<Timestamp> lifetime) {
  const std::string token = RandomToken();
  OneTimeToken record{HashToken(token), kSetPassword, user_id, now,
                      now + lifetime.value_or(limits_.link_lifetime)};
  if (auto created = store_.CreateToken(record); !created) return tl::unexpected(created.error());
  return token;
}

Result<int> Accounts::PasswordLinksSince(std::int64_t user_id, Timestamp since) {
  return store_.CountTokensSince(user_id, kSetPassword, since);
}

Result<std::optional<User>> Accounts::PasswordLinkUser(const std::string& token, Timestamp now) {
  auto found = store_.PeekToken(HashToken(token), kSetPassword, now);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::nullopt;
  return store_.FindUser((*found)->user_id);
}

Result<User> Accounts::SetPasswordWithLink(const std::string& token, const std::string& password,
                                           Timestamp now) {
  if (auto checked = CheckPasswordRules(password); !checked) return tl::unexpected(checked.error());
  auto hash = HashPassword(password);
  if (!hash) return tl::unexpected(hash.error());
  std::optional<User> user;
  auto done = store_.InTransaction([&]() -> Result<void> {
    auto used = store_.UseToken(HashToken(token), kSetPassword, now);
    if (!used) return tl::unexpected(used.error());
    if (!*used)
      return Fail(ErrorCode::kNotFound, "this link is not valid any more; ask for a new one");
    if (auto set = store_.SetPasswordHash((*used)->user_id, *hash); !set) return set;
    auto found = store_.FindUser((*used)->user_id);
    if (!found) return tl::unexpected(found.error());
    user = std::move(*found);
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  if (!user) return Fail(ErrorCode::kNotFound, "the account no longer exists");
  return *user;
}

Result<SignedIn> Accounts::SignIn(const SignInAttempt& attempt, Timestamp now) {
  // Counted as a failure before the password is checked, so that a burst of attempts at once
  // cannot pass the limit before any is recorded; a right password gives the place back.
  auto reserved = Reserve(attempt.email, attempt.client_ip, now);
  if (!reserved) return tl::unexpected(reserved.error());
  if (!*reserved) {
    return Fail(ErrorCode::kRateLimited,
                "Too many failed sign-in attempts. Wait 15 minutes, then try again.");
  }

  auto user = store_.FindUserByEmail(attempt.email);
  if (!user) return tl::unexpected(user.error());
  const bool known = user->has_value() && !(*user)->disabled && !(*user)->password_hash.empty();
  const bool verified =
      VerifyPassword(known ? (*user)->password_hash : DummyHash(), attempt.password);
  const auto role = known ? ParseRole((*user)->role) : std::nullopt;
  if (!known || !verified || !role) {
    return Fail(ErrorCode::kUnauthenticated, "The e-mail address or the password is wrong.");
  }
  if (auto released = store_.ReleaseFailedLogin((*reserved)->id); !released)
    return tl::unexpected(released.error());
  if (!(*user)->totp_secret.empty()) {
    // The password alone is not a sign-in: failures are cleared only once the code is right
    // too, or else each right password would reset the count of wrong codes.
    SignedIn pending;
    pending.pending_token = RandomToken();
    OneTimeToken record{HashToken(pending.pending_token), kTwoFactor, (*user)->id, now, now + 300};
    if (auto created = store_.CreateToken(record); !created) return tl::unexpected(created.error());
    pending.viewer = Viewer{std::move(**user), *role, "", ""};
    return pending;
  }
  if (auto cleared = store_.ClearFailedLogins(attempt.email); !cleared) {
    return tl::unexpected(cleared.error());
  }
  return StartSession(std::move(**user), *role, attempt.client_ip, attempt.user_agent, now);
}

Result<std::optional<FailedLoginReservation>> Accounts::Reserve(const std::string& account_key,
                                                                const std::string& address_key,
                                                                Timestamp now) {
  FailedLoginLimits limits;
  limits.since = now - limits_.window;
  limits.per_email = limits_.per_account;
  limits.per_address = limits_.per_address;
  auto reserved = store_.ReserveFailedLogin(limits, account_key, address_key, now);
  // Fail closed: an attempt the throttle could not record is not checked. (A burst of attempts
  // on one account can exhaust PostgreSQL's retries of their conflicting reservations.)
  if (!reserved && reserved.error().code == ErrorCode::kBusy) {
    return Fail(ErrorCode::kRateLimited,
                "Too many sign-in attempts at once. Wait a minute, then try again.");
  }
  return reserved;
}

Result<SignedIn> Accounts::StartSession(User user, Role role, const std::string& client_ip,
                                        const std::string& user_agent, Timestamp now) {
  SignedIn signed_in;
  signed_in.token = RandomToken();
  Session session;
  session.token_hash = HashToken(signed_in.token);
  session.user_id = user.id;
  session.created_at = now;
  session.last_seen_at = now;
  session.expires_at = now + limits_.session_lifetime;
  session.client_ip = client_ip;
  // Browsers may send any bytes; what is stored is UTF-8 (PostgreSQL accepts nothing else).
  session.user_agent = ValidUtf8(std::string_view(user_agent).substr(0, 300));
  if (auto created = store_.CreateSession(session); !created)
    return tl::unexpected(created.error());
  signed_in.viewer = Viewer{std::move(user), role, session.token_hash, ""};
  return signed_in;
}

Result<SignedIn> Accounts::CompleteTwoFactor(const std::string& pending_token,
                                             const std::string& code, const std::string& client_ip,
                                             const std::string& user_agent, Timestamp now) {
  const Error wrong{ErrorCode::kUnauthenticated,
                    "The code is wrong or has expired. Sign in again if this keeps happening.", ""};
  if (pending_token.empty() || pending_token.size() > 100) return tl::unexpected(wrong);
  auto pending = store_.PeekToken(HashToken(pending_token), kTwoFactor, now);
  if (!pending) return tl::unexpected(pending.error());
  if (!*pending) return tl::unexpected(wrong);
  auto user = store_.FindUser((*pending)->user_id);
  if (!user) return tl::unexpected(user.error());
  if (!*user || (*user)->disabled || (*user)->totp_secret.empty()) return tl::unexpected(wrong);
  // Wrong codes are counted on their own (see CodeFailureKey), per account and per address,
  // and reserved before the code is checked, as passwords are.
  const std::string account_key = CodeFailureKey((*user)->email);
  auto reserved = Reserve(account_key, CodeFailureKey(client_ip), now);
  if (!reserved) return tl::unexpected(reserved.error());
  if (!*reserved) {
    return Fail(ErrorCode::kRateLimited,
                "Too many wrong codes. Wait 15 minutes, then sign in again.");
  }
  const auto step = VerifyTotp((*user)->totp_secret, code, now, (*user)->totp_last_step);
  auto fresh = step ? store_.UseTotpStep((*user)->id, *step) : Result<bool>(false);
  if (!fresh) return tl::unexpected(fresh.error());
  if (!*fresh) return tl::unexpected(wrong);
  if (auto released = store_.ReleaseFailedLogin((*reserved)->id); !released)
    return tl::unexpected(released.error());
  auto used = store_.UseToken(HashToken(pending_token), kTwoFactor, now);
  if (!used) return tl::unexpected(used.error());
  if (!*used) return tl::unexpected(wrong);
  const auto role = ParseRole((*user)->role);
  if (!role) return tl::unexpected(wrong);
  // The whole sign-in succeeded: now, and only now, the account's failures are forgotten.
  if (auto cleared = store_.ClearFailedLogins((*user)->email); !cleared)
    return tl::unexpected(cleared.error());
  if (auto cleared = store_.ClearFailedLogins(account_key); !cleared)
    return tl::unexpected(cleared.error());
  return StartSession(std::move(**user), *role, client_ip, user_agent, now);
}

Result<std::optional<Viewer>> Accounts::Authenticate(const std::string& token, Timestamp now) {
  if (token.empty() || token.size() > 100) return std::nullopt;
  const std::string hash = HashToken(token);
  auto session = store_.FindSession(hash, now);
  if (!session) return tl::unexpected(session.error());
  if (!*session) return std::nullopt;
  auto user = store_.FindUser((*session)->user_id);
  if (!user) return tl::unexpected(user.error());
  if (!*user || (*user)->disabled) return std::nullopt;
  const auto role = ParseRole((*user)->role);
  if (!role) return std::nullopt;
  // Recording activity once a minute is enough for the sessions list.
  // A full disk or a busy database must not sign anyone out (nor stop them saving their work
  // elsewhere): the bookkeeping waits for the next minute.
  if (now - (*session)->last_seen_at >= 60) {
    if (auto touched = store_.TouchSession(hash, now);
        !touched && touched.error().code != ErrorCode::kStorageFull &&
        touched.error().code != ErrorCode::kBusy) {
      return tl::unexpected(touched.error());
    }
  }
  return Viewer{std::move(**user), *role, hash, ""};
}

Result<void> Accounts::SignOut(const std::string& token) {
  if (token.empty() || token.size() > 100) return {};
  return store_.DeleteSession(HashToken(token));
}

Result<std::string> Accounts::StaffMark(const std::string& session_hash) {
  auto key = FormKey();
  if (!key) return key;
  return TokenSigner(std::move(*key)).Issue("staff", "", {session_hash});
}

Result<std::optional<User>> Accounts::RecognizeStaff(const std::string& mark, Timestamp now) {
  auto key = FormKey();
  if (!key) return tl::unexpected(key.error());
  const auto fields = TokenSigner(std::move(*key)).Verify("staff", "", mark, 1);
  if (!fields) return std::nullopt;
  auto session = store_.FindSession((*fields)[0], now);
  if (!session) return tl::unexpected(session.error());
  if (!*session) return std::nullopt;
  auto user = store_.FindUser((*session)->user_id);
  if (!user) return tl::unexpected(user.error());
  if (!*user || (*user)->disabled) return std::nullopt;
  return std::move(*user);
}

Result<std::string> Accounts::PreviewSignature(std::int64_t post_id, Timestamp expires) {
  auto key = FormKey();
  if (!key) return key;
  return TokenSigner(std::move(*key))
      .Signature("preview", std::to_string(post_id), {std::to_string(expires)});
}

bool Accounts::CheckPreviewSignature(std::int64_t post_id, Timestamp expires,
                                     const std::string& signature) {
  auto key = FormKey();
  return key && TokenSigner(std::move(*key))
                    .VerifySignature("preview", std::to_string(post_id), {std::to_string(expires)},
                                     signature);
}

Result<std::string> Accounts::FormKey() {
  return store_.Secret("form-key", [] { return RandomToken(); });
}

// A newline cannot occur in a binding, so no (binding, action) pair signs like another.
Result<std::string> Accounts::FormToken(const std::string& binding, std::string_view action) {
  auto key = FormKey();
  if (!key) return key;
  return TokenSigner(std::move(*key)).Signature("form", binding + "\n" + std::string(action), {});
}

Result<bool> Accounts::CheckFormToken(const std::string& binding, std::string_view action,
                                      const std::string& token) {
  if (binding.empty() || action.empty() || token.empty()) return false;
  auto key = FormKey();
  if (!key) return tl::unexpected(key.error());
  return TokenSigner(std::move(*key))
      .VerifySignature("form", binding + "\n" + std::string(action), {}, token);
}

}  // namespace broadsheet::auth
