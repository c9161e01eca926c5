// Sender: delivers the newsletter's durable outbox (Store::DueDeliveries) through SMTP.
//
// Each call of RunBatch takes up to `batch` due deliveries, sends them over `concurrency`
// connections kept open between batches, at most `rate` messages a second, and records the whole
// batch's results in one transaction. So after a crash at most one batch — the mails in flight,
// whose completion was not yet recorded, at most a quarter second's worth at `rate` — is sent
// again: each crash during a send repeats a recipient's copy at most once, and every recipient
// not in that batch gets the issue exactly once. A temporary failure (4xx, timeout) is retried
// after retry_after_s, doubling each time, up to max_attempts; a permanent one (5xx) fails the
// delivery and counts a bounce against the subscriber, who is marked bounced at bounce_threshold.
//
// Each message: the HTML and text with the reader's own unsubscribe link, the
// List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) headers, and a per-recipient return path
// (VERP: bounces+SEND-SUBSCRIBER@ the sender's domain) so a bounce names whom it is about.
//
// Only one Sender may work a site's outbox at a time: hold a DeliveryLock while running.
//
// Not thread-safe: one thread calls RunBatch (it starts its own sending threads).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "mail/mailer.h"
#include "storage/store.h"

namespace broadsheet::newsletter {

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
};

struct BatchReport {
  int sent = 0;
  int retrying = 0;
  int failed = 0;
  bool empty() const { return sent + retrying + failed == 0; }
};

// An exclusive lock on the site's outbox (a flock on a file in the site directory), held by
// whoever delivers: the running server, or `broadsheet newsletter send` when no server runs.
class DeliveryLock {
 public:
  // nullopt when someone else holds it.
  static Result<std::optional<DeliveryLock>> TryAcquire(const std::filesystem::path& site_dir);
  DeliveryLock(DeliveryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DeliveryLock(const DeliveryLock&) = delete;
  ~DeliveryLock();

 private:
  explicit DeliveryLock(int fd) : fd_(fd) {}
  int fd_;
};

class Sender {
 public:
  // `connect` opens one SMTP connection (a Mailer that keeps it); called `concurrency` times.
  // `publication` gives the base URL for the unsubscribe links.
  Sender(Store& store, SenderOptions options,
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
  std::vector<std::unique_ptr<mail::Mailer>> connections_;
  std::function<Result<Publication>()> publication_;
  std::map<std::int64_t, NewsletterSend> sends_;     // issues seen, by id
  mutable std::string key_;                          // the site's newsletter key, once read
  std::chrono::steady_clock::time_point next_slot_;  // rate limiting
};

}  // namespace broadsheet::newsletter
