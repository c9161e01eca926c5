#include "mail/outbox.h"

#include <algorithm>
#include <limits>
#include <random>

#include <fmt/format.h>

namespace broadsheet::mail {

namespace {

// The longest rest between two looks at the outbox, in case a wake-up was missed (a message
// queued by another process, a clock that jumped).
constexpr auto kLongestRest = std::chrono::seconds(30);

Message MessageOf(const OutgoingMail& mail) {
  Message message;
  message.from = mail.from;
  message.to = mail.to;
  message.subject = mail.subject;
  message.text = mail.text;
  message.html = mail.html;
  message.headers = mail.headers;
  message.return_path = mail.return_path;
  return message;
}

std::string MadeUpNode() {
  std::random_device random;
  return fmt::format("outbox-{:08x}{:08x}", random(), random());
}

}  // namespace

Outbox::Outbox(Store& store, Mailer& mailer,
               std::function<void(const Message&, const Error&)> on_failure, OutboxOptions options)
    : store_(store),
      mailer_(mailer),
      on_failure_(std::move(on_failure)),
      options_(std::move(options)),
      node_(options_.node.empty() ? MadeUpNode() : options_.node),
      thread_([this] { Loop(); }) {}

Outbox::~Outbox() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Result<void> Outbox::Queue(const Message& message) {
  if (!configured()) return Fail(ErrorCode::kUnavailable, "This site cannot send e-mail.");
  OutgoingMail mail;
  mail.from = message.from;
  mail.to = message.to;
  mail.subject = message.subject;
  mail.text = message.text;
  mail.html = message.html;
  mail.headers = message.headers;
  mail.return_path = message.return_path;
  mail.created_at = Now();
  auto queued = store_.QueueMail(mail);
  if (!queued) return tl::unexpected(queued.error());
  {
    std::lock_guard lock(mutex_);
    ++wanted_;
  }
  changed_.notify_all();
  return {};
}

void Outbox::Wake() {
  {
    std::lock_guard lock(mutex_);
    ++wanted_;
  }
  changed_.notify_all();
}

void Outbox::Flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t pass = ++wanted_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return done_ >= pass || stopping_; });
}

void Outbox::Attempt(const OutgoingMail& mail, Timestamp now) {
  const Message message = MessageOf(mail);
  auto sent = mailer_.Send(message);
  Unrecorded result{mail.id, MailOutcome::kSent, now, ""};
  if (!sent) {
    result.error = Describe(sent.error());
    const auto& waits = options_.retry_waits;
    const Timestamp wait =
        waits.empty() ? 60 : waits[std::min<size_t>(mail.attempts, waits.size() - 1)];
    // Only a temporary failure is worth another try, and only while the message still matters.
    if (sent.error().code == ErrorCode::kIo &&
        now + wait <= mail.created_at + options_.give_up_after) {
      result.outcome = MailOutcome::kRetry;
      result.at = now + wait;
    } else {
      result.outcome = MailOutcome::kFailed;
      if (on_failure_) on_failure_(message, sent.error());
    }
  }
  unrecorded_.push_back(std::move(result));
  RecordOutcomes();
}

bool Outbox::RecordOutcomes() {
  // An outcome the store could not take (a full disk) is kept here and written on a later pass;
  // meanwhile its message is not sent again.
  std::erase_if(unrecorded_, [this](const Unrecorded& result) {
    return bool(store_.RecordMail(result.id, result.outcome, result.at, result.error, node_));
  });
  return unrecorded_.empty();
}

bool Outbox::Stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void Outbox::SendDue(Timestamp now, bool all) {
  if (!RecordOutcomes()) return;  // the store cannot take writes: send nothing until it can
  // Oldest first, each message once per pass: one that fails for now waits for a later pass.
  // One claimed at a time, so that a process killed mid-send holds back only the message in
  // flight, and the other nodes share the rest.
  std::int64_t after = 0;
  while (!Stopping()) {
    const ClaimTerms terms{node_, now, now + options_.claim_s, now + kHeartbeatSeconds};
    auto due = store_.ClaimMail(terms, all ? std::numeric_limits<Timestamp>::max() : now, after, 1);
    if (!due || due->empty()) return;
    for (const OutgoingMail& mail : *due) {
      Attempt(mail, now);
      after = mail.id;
      if (!unrecorded_.empty()) return;
    }
    now = Now();
  }
}

void Outbox::Loop() {
  bool first = true;
  Timestamp last_prune = 0;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const std::uint64_t pass = wanted_;
    lock.unlock();
    if (configured()) {
      const Timestamp now = Now();
      // At start-up everything queued is tried at once: the outage that made it wait may be over.
      SendDue(now, first);
      first = false;
      if (now - last_prune >= 3600) {
        (void)store_.PruneMail(now - options_.keep_finished);
        last_prune = now;
      }
    }
    auto next = configured() ? store_.NextMailAt() : Result<std::optional<Timestamp>>();
    lock.lock();
    done_ = pass;
    changed_.notify_all();
    if (stopping_ || wanted_ != pass) continue;
    auto rest = std::chrono::duration_cast<std::chrono::seconds>(kLongestRest);
    if (next && *next) {
      const Timestamp wait = std::max<Timestamp>(**next - Now(), 1);
      rest = std::min(rest, std::chrono::seconds(wait));
    }
    changed_.wait_for(lock, rest, [&] { return stopping_ || wanted_ != pass; });
  }
}

}  // namespace broadsheet::mail
