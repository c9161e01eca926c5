// Accounts: staff accounts, sign-in, sessions and the tokens that protect forms.
//
// Sign-in is throttled per account and per client address: after `per_account` failures for one
// e-mail address, or `per_address` failures from one address, within `window` seconds, further
// attempts are refused with kRateLimited (HTTP 429) — even with the right password — until the
// window has passed. Failures are stored, so the limit holds across restarts and processes.
// Each attempt is counted as a failure before it is checked, in the same transaction that reads
// the counts, and given back only if it proves right: a burst of attempts sent at once gets no
// more checks than the limit allows, the rest are refused.
// Wrong two-factor codes are counted on their own, with the same limits, per account and per
// address; a right password does not clear any count for an account with two-factor sign-in:
// counts are cleared only when the whole sign-in (password, then code) succeeds.
//
// Sessions are random tokens held in an HttpOnly cookie; the store keeps only their hashes.
// Form tokens (CSRF) are keyed hashes of what the form is bound to (a session, or a pre-session
// cookie for the sign-in form) and of the action it posts to, signed with a per-site secret kept
// in the store.
//
// Borrows the Store. Thread-safe (no mutable state of its own).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "auth/roles.h"
#include "storage/store.h"

namespace broadsheet::auth {

struct Limits {
  int per_account = 5;
  int per_address = 20;
  Timestamp window = 15 * 60;
  Timestamp session_lifetime = 14 * 24 * 3600;
  Timestamp link_lifetime = 7 * 24 * 3600;  // set-password links
};

// The signed-in person behind a request.
struct Viewer {
  User user;
  Role role = Role::kContributor;
  std::string session_hash;
  // The address the request reached ("https://desk.example.org": scheme, then the Host header),
  // when the desk filled it in; the desk compares it with the configured public address.
  std::string reached_at;
};

struct SignInAttempt {
  std::string email;
  std::string password;
  std::string client_ip;
  std::string user_agent;
};

struct SignedIn {
  std::string token;  // for the session cookie; empty when a code is still needed
  Viewer viewer;
  // Set when the account uses two-factor sign-in: the password was right, and this token (for a
  // short-lived cookie) stands for it until the code is given to CompleteTwoFactor.
  std::string pending_token;
};

// Checks the shape of an e-mail address (one @, a dotted domain, no spaces, at most 254 bytes).
Result<void> CheckEmail(std::string_view email);

// Who manages whose account: administrators manage everyone but owners; only an owner changes
// an owner or makes one; nobody changes their own account this way, so no one can lock
// themselves out.
bool MayManage(const Viewer& actor, const User& target);
bool MayGrant(const Viewer& actor, Role role);

class Accounts {
 public:
  explicit Accounts(Store& store, Limits limits = {}) : store_(store), limits_(limits) {}

  // What else is stored with a new account (its author profile, say), given the account with
  // its id: in the account's transaction, so when it fails no account is made either.
  using AlongWith = std::function<Result<void>(const User&)>;

  // Creates an account. Without a password the account cannot sign in until one is set through
  // a link from CreatePasswordLink. The password is hashed before the transaction begins.
  Result<std::int64_t> AddUser(const std::string& email, const std::string& name,
                               std::string_view role, const std::optional<std::string>& password,
                               const AlongWith& along_with = {});
  // The desk's account management, with MayManage and MayGrant: kForbidden with a message when
  // the actor may not, kNotFound for no such account. Invite creates an account without a
  // password (see AddUser).
  Result<std::int64_t> Invite(const Viewer& actor, const std::string& email,
                              const std::string& name, std::string_view role,
                              const AlongWith& along_with = {});
  Result<User> ChangeRole(const Viewer& actor, std::int64_t user_id, std::string_view role);
  // Disabling ends the account's sessions.
  Result<User> SetDisabled(const Viewer& actor, std::int64_t user_id, bool disabled);
  // The account `actor` may manage (for sending it a password link).
  Result<User> Managed(const Viewer& actor, std::int64_t user_id);
  // Ends one of the actor's own sessions (by its hash); kNotFound for any other session.
  Result<void> EndOwnSession(const Viewer& actor, const std::string& session_hash, Timestamp now);

  // A single-use token for /admin/password/TOKEN, valid for `lifetime` (default
  // `link_lifetime`).
  Result<std::string> CreatePasswordLink(std::int64_t user_id, Timestamp now,
                                         std::optional<Timestamp> lifetime = std::nullopt);
  // How many password links were made for the account since `since` (to limit reset mail).
  Result<int> PasswordLinksSince(std::int64_t user_id, Timestamp since);
  // The account a set-password link belongs to, if the link is still valid.
  Result<std::optional<User>> PasswordLinkUser(const std::string& token, Timestamp now);
  // Sets the password and uses up the link. kNotFound for an invalid or used link.
  Result<User> SetPasswordWithLink(const std::string& token, const std::string& password,
                                   Timestamp now);

  // kRateLimited when throttled; kUnauthenticated for a wrong e-mail address or password (the
  // two are not distinguished).
  Result<SignedIn> SignIn(const SignInAttempt& attempt, Timestamp now);
  // The second step for accounts with two-factor sign-in: `pending_token` from SignIn and the
  // 6-digit code. kRateLimited after too many wrong codes (counted apart from passwords).
  Result<SignedIn> CompleteTwoFactor(const std::string& pending_token, const std::string& code,
                                     const std::string& client_ip, const std::string& user_agent,
                                     Timestamp now);
  Result<std::optional<Viewer>> Authenticate(const std::string& token, Timestamp now);
  Result<void> SignOut(const std::string& token);

  // A form token bound to `binding` (a session hash, or a pre-session cookie value) and to
  // `action`, the method and path the form posts to ("POST /admin/users/4"): a token taken from
  // one form does not authorise any other action.
  Result<std::string> FormToken(const std::string& binding, std::string_view action);
  // True when `token` was made by FormToken for `binding` and `action`.
  Result<bool> CheckFormToken(const std::string& binding, std::string_view action,
                              const std::string& token);

  // Staff recognition on public pages, where the session cookie (Path=/admin) is not sent: a mark
  // for a second cookie, "SESSIONHASH.SIGNATURE", that names the session without being able to
  // open the desk. RecognizeStaff gives the mark's account while its session lasts.
  Result<std::string> StaffMark(const std::string& session_hash);
  Result<std::optional<User>> RecognizeStaff(const std::string& mark, Timestamp now);

  // The signature of a preview link for post `post_id`, valid until `expires`.
  Result<std::string> PreviewSignature(std::int64_t post_id, Timestamp expires);
  bool CheckPreviewSignature(std::int64_t post_id, Timestamp expires, const std::string& signature);

  const Limits& limits() const { return limits_; }

 private:
  Result<std::string> FormKey();
  // Counts an attempt as a failure before it is checked (Store::ReserveFailedLogin); nullopt
  // when throttled.
  Result<std::optional<FailedLoginReservation>> Reserve(const std::string& account_key,
                                                        const std::string& address_key,
                                                        Timestamp now);
  Result<SignedIn> StartSession(User user, Role role, const std::string& client_ip,
                                const std::string& user_agent, Timestamp now);

  Store& store_;
  const Limits limits_;
};

}  // namespace broadsheet::auth
