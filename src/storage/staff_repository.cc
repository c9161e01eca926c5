// Staff accounts, sessions, failed sign-ins and single-use tokens.
#include "storage/dialect.h"
#include "storage/repositories.h"
#include "storage/row_readers.h"

namespace broadsheet::storage::staff {
namespace {

User UserRow(const Row& row) {
  User user;
  user.id = row.Int(0);
  user.email = row.Text(1);
  user.name = row.Text(2);
  user.role = row.Text(3);
  user.password_hash = row.Text(4);
  user.created_at = row.Int(5);
  user.disabled = row.Int(6) != 0;
  user.totp_secret = row.Text(7);
  user.totp_last_step = row.Int(8);
  user.author_id = row.OptionalInt(9);
  return user;
}

Session SessionRow(const Row& row) {
  return Session{row.Text(0), row.Int(1),  row.Int(2), row.Int(3),
                 row.Int(4),  row.Text(5), row.Text(6)};
}

OneTimeToken TokenRow(const Row& row) {
  return OneTimeToken{row.Text(0), row.Text(1), row.Int(2), row.Int(3), row.Int(4)};
}

// An UPDATE of one account: kNotFound when it changed no row.
Result<void> UpdatedAccount(const Result<std::int64_t>& changed) {
  if (!changed) return tl::unexpected(changed.error());
  if (*changed == 0) return Fail(ErrorCode::kNotFound, "no such account");
  return {};
}

}  // namespace

Result<std::int64_t> CreateUser(Connection& c, const User& user) {
  auto id = c.Integer(
      "INSERT INTO users(email, name, role, password_hash, created_at, disabled) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING RETURNING id",
      user.email, user.name, user.role, user.password_hash,
      user.created_at ? user.created_at : Now(), user.disabled);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kConflict, "there is already an account for " + user.email);
  return **id;
}

Result<std::optional<User>> FindUser(Connection& c, std::int64_t id) {
  return c.One(
      "SELECT id, email, name, role, password_hash, created_at, disabled, totp_secret, "
      "totp_last_step, author_id FROM users WHERE id = ?",
      UserRow, id);
}

Result<std::optional<User>> FindUserByEmail(Connection& c, const std::string& email) {
  return c.One(
      "SELECT id, email, name, role, password_hash, created_at, disabled, totp_secret, "
      "totp_last_step, author_id FROM users WHERE email = ?",
      UserRow, email);
}

Result<std::vector<User>> ListUsers(Connection& c) {
  return c.All(std::string("SELECT id, email, name, role, password_hash, created_at, disabled, "
                           "totp_secret, totp_last_step, author_id FROM users ORDER BY name") +
                   dialect::ByteOrder(c.dialect()) + ", id",
               UserRow);
}

Result<void> SetPasswordHash(Connection& c, std::int64_t user_id, const std::string& hash) {
  if (auto set =
          UpdatedAccount(c.Exec("UPDATE users SET password_hash = ? WHERE id = ?", hash, user_id));
      !set) {
    return set;
  }
  // A new password signs the account out everywhere.
  return Done(c.Exec("DELETE FROM sessions WHERE user_id = ?", user_id));
}

Result<void> SetUserRole(Connection& c, std::int64_t user_id, const std::string& role) {
  return UpdatedAccount(c.Exec("UPDATE users SET role = ? WHERE id = ?", role, user_id));
}

Result<void> SetUserAuthor(Connection& c, std::int64_t user_id,
                           std::optional<std::int64_t> author_id) {
  if (author_id) {
    auto other =
        c.Integer("SELECT id FROM users WHERE author_id = ? AND id <> ?", *author_id, user_id);
    if (!other) return tl::unexpected(other.error());
    if (*other) return Fail(ErrorCode::kConflict, "another account has this author profile");
  }
  return UpdatedAccount(c.Exec("UPDATE users SET author_id = ? WHERE id = ?", author_id, user_id));
}

Result<void> SetUserDisabled(Connection& c, std::int64_t user_id, bool disabled) {
  if (auto set =
          UpdatedAccount(c.Exec("UPDATE users SET disabled = ? WHERE id = ?", disabled, user_id));
      !set) {
    return set;
  }
  if (!disabled) return {};
  return Done(c.Exec("DELETE FROM sessions WHERE user_id = ?", user_id));
}

Result<void> SetTotpSecret(Connection& c, std::int64_t user_id, const std::string& secret) {
  return Done(c.Exec("UPDATE users SET totp_secret = ? WHERE id = ?", secret, user_id));
}

Result<bool> UseTotpStep(Connection& c, std::int64_t user_id, std::int64_t step) {
  auto changed = c.Exec("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                        step, user_id, step);
  if (!changed) return tl::unexpected(changed.error());
  return *changed == 1;
}

Result<void> CreateSession(Connection& c, const Session& session) {
  if (auto created = Done(
          c.Exec("INSERT INTO sessions(token_hash, user_id, created_at, last_seen_at, expires_at, "
                 "client_ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 session.token_hash, session.user_id, session.created_at, session.last_seen_at,
                 session.expires_at, session.client_ip, session.user_agent));
      !created) {
    return created;
  }
  // Expired sessions are removed here, so the table never grows without bound.
  return Done(c.Exec("DELETE FROM sessions WHERE expires_at <= ?", session.created_at));
}

Result<std::optional<Session>> FindSession(Connection& c, const std::string& token_hash,
                                           Timestamp now) {
  return c.One(
      "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, client_ip, user_agent "
      "FROM sessions WHERE token_hash = ? AND expires_at > ?",
      SessionRow, token_hash, now);
}

Result<void> TouchSession(Connection& c, const std::string& token_hash, Timestamp now) {
  return Done(c.Exec("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", now, token_hash));
}

Result<void> DeleteSession(Connection& c, const std::string& token_hash) {
  return Done(c.Exec("DELETE FROM sessions WHERE token_hash = ?", token_hash));
}

Result<std::vector<Session>> ListSessions(Connection& c, std::int64_t user_id, Timestamp now) {
  return c.All(
      "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, client_ip, user_agent "
      "FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY last_seen_at DESC, token_hash",
      SessionRow, user_id, now);
}

Result<std::optional<FailedLoginReservation>> ReserveFailedLogin(Connection& c,
                                                                 const FailedLoginLimits& limits,
                                                                 const std::string& email,
                                                                 const std::string& client_ip,
                                                                 Timestamp at) {
  // The caller's write transaction keeps the counts true until the insert: SQLite's write lock,
  // or on PostgreSQL the table's lock, so that a burst of attempts is counted one by one rather
  // than failing to serialise (and then refused, as a throttle that cannot count must).
  if (auto lock = dialect::LockForWrites(c.dialect(), "failed_logins")) {
    if (auto locked = Done(c.Exec(*lock)); !locked) return tl::unexpected(locked.error());
  }
  auto for_email = c.Integer("SELECT count(*) FROM failed_logins WHERE email = ? AND at >= ?",
                             email, limits.since);
  if (!for_email) return tl::unexpected(for_email.error());
  auto from_address =
      c.Integer("SELECT count(*) FROM failed_logins WHERE client_ip = ? AND at >= ?", client_ip,
                limits.since);
  if (!from_address) return tl::unexpected(from_address.error());
  const int email_count = static_cast<int>(for_email->value_or(0));
  const int address_count = static_cast<int>(from_address->value_or(0));
  if (email_count >= limits.per_email || address_count >= limits.per_address)
    return std::optional<FailedLoginReservation>();
  auto id =
      c.Integer("INSERT INTO failed_logins(email, client_ip, at) VALUES (?, ?, ?) RETURNING id",
                email, client_ip, at);
  if (!id) return tl::unexpected(id.error());
  // Keep a day of history; older failures no longer count.
  if (auto pruned = Done(c.Exec("DELETE FROM failed_logins WHERE at < ?", at - 86400)); !pruned)
    return tl::unexpected(pruned.error());
  return FailedLoginReservation{id->value_or(0), email_count + 1, address_count + 1};
}

Result<void> ReleaseFailedLogin(Connection& c, std::int64_t reservation_id) {
  return Done(c.Exec("DELETE FROM failed_logins WHERE id = ?", reservation_id));
}

Result<void> ClearFailedLogins(Connection& c, const std::string& email) {
  return Done(c.Exec("DELETE FROM failed_logins WHERE email = ?", email));
}

Result<void> CreateToken(Connection& c, const OneTimeToken& token) {
  return Done(
      c.Exec("INSERT INTO one_time_tokens(token_hash, purpose, user_id, created_at, expires_at) "
             "VALUES (?, ?, ?, ?, ?)",
             token.token_hash, token.purpose, token.user_id, token.created_at, token.expires_at));
}

Result<int> CountTokensSince(Connection& c, std::int64_t user_id, const std::string& purpose,
                             Timestamp since) {
  auto count = c.Integer(
      "SELECT count(*) FROM one_time_tokens WHERE user_id = ? AND purpose = ? AND created_at >= ?",
      user_id, purpose, since);
  if (!count) return tl::unexpected(count.error());
  return static_cast<int>(count->value_or(0));
}

Result<std::optional<OneTimeToken>> PeekToken(Connection& c, const std::string& token_hash,
                                              const std::string& purpose, Timestamp now) {
  return c.One(
      "SELECT token_hash, purpose, user_id, created_at, expires_at FROM one_time_tokens "
      "WHERE token_hash = ? AND purpose = ? AND expires_at > ? AND used_at IS NULL",
      TokenRow, token_hash, purpose, now);
}

Result<std::optional<OneTimeToken>> UseToken(Connection& c, const std::string& token_hash,
                                             const std::string& purpose, Timestamp now) {
  auto found = PeekToken(c, token_hash, purpose, now);
  if (!found || !*found) return found;
  if (auto used = Done(
          c.Exec("UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ?", now, token_hash));
      !used) {
    return tl::unexpected(used.error());
  }
  return found;
}

}  // namespace broadsheet::storage::staff
