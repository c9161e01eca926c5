// Sender: delivers the newsletter's durable outbox (Store::ClaimDeliveries) through SMTP.
//
// Each call of RunBatch claims up to `batch` due deliveries for this process's node id, sends them
// over `concurrency` connections kept open between batches, at most `rate` messages a second, and
// records the whole batch's results in one transaction. So after a crash at most one batch — the
// mails in flight, whose completion was not yet recorded, at most a quarter second's worth at
// `rate` — is sent again: each crash during a send repeats a recipient's copy at most once, and
// every recipient not in that batch gets the issue exactly once. A temporary failure (4xx, timeout)
// is retried after retry_after_s, doubling each time, up to max_attempts; a permanent one (5xx)
// fails the delivery and counts a bounce against the subscriber, who is marked bounced at
// bounce_threshold.
//
// Each message: the HTML and text with the reader's own unsubscribe link, the
// List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) headers, and a per-recipient return path
// (VERP: bounces+SEND-SUBSCRIBER@ the sender's domain) so a bounce names whom it is about.
//
// Any number of Senders, in any processes on any machines, may work one database's outbox at once:
// each claims its batch (records.h, ClaimTerms), so no delivery goes to two of them at a time. A
// process killed mid-batch leaves its claimed rows to the others once its heartbeat lapses
// (kHeartbeatSeconds): the messages it had sent but not recorded go out once more, the rest once.
// A live Sender that sent a batch but could not record it (the database away) keeps it and
// records it first thing once the database answers, before claiming anything; the others, whose
// heartbeats lapsed in the same outage, take no dead claim for kHeartbeatSeconds after they are
// back (records.h, RejoinedLeaseName), so they do not send that batch again. A node cut off from
// the database alone for longer than that, while the others go on, has its batch sent again.
// A Sender only starts a message while its claim has at least half of `claim_s` left, so a live
// Sender never loses a claim it is still working on. `rate` and `concurrency` are each Sender's:
// three nodes send at up to three times `rate` in all. One Sender per node id.
//
// Not thread-safe: one thread calls RunBatch (it starts its own sending threads).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "mail/mailer.h"
#include "storage/store.h"

namespace broadsheet::newsletter {

// The lease a running server's newsletter worker holds (this prefix and its node id), so that
// `broadsheet newsletter send` knows a server delivers and leaves the send to it.
inline constexpr std::string_view kSenderLeasePrefix = "newsletter:";

// Where each reader's unsubscribe link goes in an issue's bodies.
inline constexpr std::string_view kUnsubscribeMarker = "%%BROADSHEET_UNSUBSCRIBE_URL%%";

struct SenderOptions {
  int rate = 100;       // messages a second; 0: as fast as the server takes them
  int concurrency = 4;  // SMTP connections
  int batch = 100;  // deliveries recorded per transaction (at most `rate` / 4, or `concurrency`)
  int retry_after_s = 60;
  int max_attempts = 8;
  int bounce_threshold = 1;   // permanent refusals before a subscriber is marked bounced
  std::string return_domain;  // for VERP return paths; empty: the sender's own address
  int claim_s = 300;          // how long a claimed batch stays this Sender's (not a setting)
};

struct BatchReport {
  int sent = 0;
  int retrying = 0;
  int failed = 0;
  bool empty() const { return sent + retrying + failed == 0; }
};

class Sender {
 public:
  // `node` is this process's node id, which its claims name (its heartbeat is renewed with each
  // claim; between claims, app/heartbeat.h keeps it). `connect` opens one SMTP connection (a
  // Mailer that keeps it); called `concurrency` times. `publication` gives the base URL for the
  // unsubscribe links.
  Sender(Store& store, SenderOptions options, std::string node,
         std::function<std::unique_ptr<mail::Mailer>()> connect,
         std::function<Result<Publication>()> publication);

  // Sends one batch of due deliveries; an empty report when nothing is due. When `stopping`
  // turns true, messages not yet attempted stay queued for next time and the batch ends early.
  Result<BatchReport> RunBatch(Timestamp now, const std::atomic<bool>* stopping = nullptr);

  // The message for one delivery (exposed for previews and tests).
  Result<mail::Message> MessageFor(const NewsletterSend& send, const Delivery& delivery,
                                   const Publication& publication) const;

 private:
  Store& store_;
  SenderOptions options_;
  const std::string node_;
  std::vector<std::unique_ptr<mail::Mailer>> connections_;
  std::function<Result<Publication>()> publication_;
  std::map<std::int64_t, NewsletterSend> sends_;     // issues seen, by id
  mutable std::string key_;                          // the site's newsletter key, once read
  std::chrono::steady_clock::time_point next_slot_;  // rate limiting
  std::vector<DeliveryResult> unrecorded_;  // a batch the store could not take, written next
  Timestamp unrecorded_at_ = 0;
};

}  // namespace broadsheet::newsletter
