// Outbox: the mail the site sends one person at a time (sign-in and password links, invitations,
// comment notices, subscription confirmations, newsletter tests), sent on a background thread so
// that no request waits on an SMTP server, and kept in the database so that none is lost.
//
// Queue stores the message before it returns: once a page tells someone "a link is on its way",
// the link survives a crash, a restart and a mail server that is down. The thread sends what is
// due, oldest first, and after a temporary failure (a 4xx reply, a timeout, a refused
// connection) tries again after growing waits, giving up after `give_up_after` seconds; a
// permanent refusal (5xx) gives up at once. When the process starts, everything still queued is
// tried at once, whatever its wait.
//
// Delivery is at least once: a message is marked sent right after the server accepts it, so a
// crash between the two sends that one message again. One message is in flight at a time, so a
// crash repeats at most one message.
//
// Several processes (nodes sharing a PostgreSQL database, or a server and a command on one SQLite
// file) may each run an Outbox on one database: each claims one message at a time for its node
// id (Store::ClaimMail, records.h ClaimTerms), so no message goes out twice at once. A process
// killed while sending leaves its message to the others once its heartbeat lapses
// (kHeartbeatSeconds, renewed with every claim and by app/heartbeat.h): that one message is
// repeated at most once.
//
// Thread-safe. Borrows the Store and the Mailer, which must outlive it; the destructor finishes
// the message in flight and leaves the rest queued for the next start.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "mail/mailer.h"
#include "storage/store.h"

namespace broadsheet::mail {

struct OutboxOptions {
  Timestamp give_up_after = 2 * 86400;   // seconds after queueing
  Timestamp keep_finished = 30 * 86400;  // how long sent and failed messages stay listed
  // Waits after the first, second, … failed attempt; the last repeats.
  std::vector<Timestamp> retry_waits = {10, 60, 300, 900, 3600};
  // This process's node id, which its claims name; empty: one made up for this Outbox.
  std::string node;
  // How long a claimed message stays this Outbox's while it lives: longer than one send may
  // take (the SMTP timeout), or a slow send may be repeated by another node.
  Timestamp claim_s = 120;
};

class Outbox {
 public:
  // `on_failure` is told about messages given up (for the log).
  Outbox(Store& store, Mailer& mailer, std::function<void(const Message&, const Error&)> on_failure,
         OutboxOptions options = {});
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  bool configured() const { return mailer_.configured(); }
  const std::string& node() const { return node_; }
  // Stores the message for sending. kUnavailable when mail is not configured; the store's error
  // (a full disk, a busy database) when it could not be kept, so the caller can say so.
  // Inside Store::InTransaction the message is stored when that commits: call Wake after it.
  Result<void> Queue(const Message& message);
  // Asks the sending thread for a pass without waiting for it: after a transaction that queued
  // mail commits, so that a pass Queue asked for before the commit does not leave it waiting.
  void Wake();
  // Blocks until every message due now has been attempted once (for tests).
  void Flush();

 private:
  struct Unrecorded {
    std::int64_t id;
    MailOutcome outcome;
    Timestamp at;
    std::string error;
  };

  void Loop();
  bool Stopping();
  // Sends what is due at `now` (everything queued when `all`). On the sending thread only.
  void SendDue(Timestamp now, bool all);
  void Attempt(const OutgoingMail& mail, Timestamp now);
  // Writes the outcomes not yet stored; true when none is left.
  bool RecordOutcomes();

  Store& store_;
  Mailer& mailer_;
  std::function<void(const Message&, const Error&)> on_failure_;
  const OutboxOptions options_;
  const std::string node_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t wanted_ = 0;  // passes asked for (by Queue and Flush)
  std::uint64_t done_ = 0;    // passes finished
  bool stopping_ = false;
  std::vector<Unrecorded> unrecorded_;  // the sending thread's alone
  std::thread thread_;
};

}  // namespace broadsheet::mail
