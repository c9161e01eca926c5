#include "newsletter/sender.h"

#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "newsletter/subscriptions.h"

namespace broadsheet::newsletter {
namespace {

std::string Replace(std::string text, std::string_view marker, const std::string& with) {
  for (size_t at = text.find(marker); at != std::string::npos;
       at = text.find(marker, at + with.size())) {
    text.replace(at, marker.size(), with);
  }
  return text;
}

}  // namespace

Sender::Sender(Store& store, SenderOptions options, std::string node,
               std::function<std::unique_ptr<mail::Mailer>()> connect,
               std::function<Result<Publication>()> publication)
    : store_(store),
      options_(options),
      node_(std::move(node)),
      publication_(std::move(publication)) {
  options_.claim_s = std::max(2, options_.claim_s);
  options_.concurrency = std::max(1, options_.concurrency);
  options_.batch = std::max(1, options_.batch);
  // A batch is at most a quarter second's worth (but one message per connection), so a cancelled
  // send or a shutdown takes effect soon, and a crash re-sends few: the batch in flight is all a
  // crash can repeat, and with a second's worth twenty kills gave readers up to eight copies.
  if (options_.rate > 0) {
    options_.batch = std::min(options_.batch, std::max(options_.concurrency, options_.rate / 4));
  }
  for (int i = 0; i < options_.concurrency; ++i) connections_.push_back(connect());
}

Result<mail::Message> Sender::MessageFor(const NewsletterSend& send, const Delivery& delivery,
                                         const Publication& publication) const {
  if (key_.empty()) {
    auto key = NewsletterKey(store_);
    if (!key) return tl::unexpected(key.error());
    key_ = std::move(*key);
  }
  const std::string base = PublicBaseUrl(publication);
  const std::string unsubscribe =
      base + "/newsletter/unsubscribe/" + ManageLinkToken(key_, delivery.subscriber_id);
  mail::Message message;
  message.to = delivery.email;
  message.subject = send.subject;
  message.html = Replace(send.html, kUnsubscribeMarker, unsubscribe);
  message.text = Replace(send.text, kUnsubscribeMarker, unsubscribe);
  message.headers = {{"List-Unsubscribe", "<" + unsubscribe + ">"},
                     {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
                     {"Precedence", "bulk"}};
  if (!options_.return_domain.empty()) {
    message.return_path = fmt::format("bounces+{}-{}@{}", delivery.send_id, delivery.subscriber_id,
                                      options_.return_domain);
  }
  return message;
}

Result<BatchReport> Sender::RunBatch(Timestamp now, const std::atomic<bool>* stopping) {
  if (!unrecorded_.empty()) {
    auto recorded =
        store_.RecordDeliveries(unrecorded_, options_.bounce_threshold, unrecorded_at_, node_);
    if (!recorded) return tl::unexpected(recorded.error());
    unrecorded_.clear();
  }
  const ClaimTerms terms{node_, now, now + options_.claim_s, now + kHeartbeatSeconds};
  auto due = store_.ClaimDeliveries(terms, options_.batch);
  if (!due) return tl::unexpected(due.error());
  if (due->empty()) return BatchReport{};
  // Messages start only while the claim has half its time left (a slow SMTP server).
  const auto claimed_until =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.claim_s) / 2;
  // Anything that fails before sending gives the batch back at once.
  auto give_back = [&](const Error& error) -> Result<BatchReport> {
    (void)store_.RecordDeliveries({}, options_.bounce_threshold, now, node_);
    return tl::unexpected(error);
  };
  auto publication = publication_();
  if (!publication) return give_back(publication.error());
  if (key_.empty()) {  // before the threads start: they only read it
    auto key = NewsletterKey(store_);
    if (!key) return give_back(key.error());
    key_ = std::move(*key);
  }
  for (const Delivery& delivery : *due) {
    if (sends_.count(delivery.send_id)) continue;
    auto send = store_.FindSend(delivery.send_id);
    if (!send) return give_back(send.error());
    if (*send) sends_.emplace(delivery.send_id, std::move(**send));
  }

  std::vector<DeliveryResult> results(due->size());
  std::vector<char> attempted(due->size(), 0);
  std::mutex slot_mutex;
  const auto interval = options_.rate > 0 ? std::chrono::microseconds(1000000 / options_.rate)
                                          : std::chrono::microseconds(0);
  auto work = [&](size_t connection) {
    for (size_t i = connection; i < due->size(); i += connections_.size()) {
      if (stopping && stopping->load()) return;                      // the rest stay queued
      if (std::chrono::steady_clock::now() > claimed_until) return;  // given back below
      attempted[i] = 1;
      const Delivery& delivery = (*due)[i];
      DeliveryResult& result = results[i];
      result.send_id = delivery.send_id;
      result.subscriber_id = delivery.subscriber_id;
      if (interval.count() > 0) {
        std::chrono::steady_clock::time_point slot;
        {
          std::lock_guard lock(slot_mutex);
          slot = std::max(std::chrono::steady_clock::now(), next_slot_);
          next_slot_ = slot + interval;
        }
        std::this_thread::sleep_until(slot);
      }
      auto found = sends_.find(delivery.send_id);
      auto message = found == sends_.end()
                         ? Result<mail::Message>(Fail(ErrorCode::kNotFound, "the issue is gone"))
                         : MessageFor(found->second, delivery, *publication);
      auto sent = message ? connections_[connection]->Send(*message)
                          : Result<void>(tl::unexpected(message.error()));
      if (sent) continue;  // kSent is the default
      result.error = Describe(sent.error());
      const bool temporary =
          sent.error().code == ErrorCode::kIo || sent.error().code == ErrorCode::kUnavailable;
      if (temporary && delivery.attempts + 1 < options_.max_attempts) {
        result.outcome = DeliveryResult::Outcome::kRetry;
        const Timestamp wait = static_cast<Timestamp>(options_.retry_after_s)
                               << std::min(delivery.attempts, 8);
        result.retry_at = now + std::min<Timestamp>(wait, 6 * 3600);
      } else {
        result.outcome = DeliveryResult::Outcome::kFailed;
        result.bounced = sent.error().code == ErrorCode::kInvalidArgument;
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    for (size_t connection = 1; connection < connections_.size(); ++connection)
      threads.emplace_back(work, connection);
    work(0);
  }
  std::vector<DeliveryResult> done;
  for (size_t i = 0; i < results.size(); ++i) {
    if (attempted[i]) done.push_back(std::move(results[i]));
  }
  results = std::move(done);
  if (auto recorded = store_.RecordDeliveries(results, options_.bounce_threshold, now, node_);
      !recorded) {
    // Kept, and written before anything else is claimed. The claims may lapse meanwhile (after
    // kHeartbeatSeconds of outage), but the other nodes, back from the same outage, leave dead
    // claims alone for kHeartbeatSeconds (records.h, RejoinedLeaseName), and the loop calls
    // again within a second or two: so nobody sends these messages again (sender.h).
    unrecorded_ = std::move(results);
    unrecorded_at_ = now;
    return tl::unexpected(recorded.error());
  }
  BatchReport report;
  for (const DeliveryResult& result : results) {
    if (result.outcome == DeliveryResult::Outcome::kSent) ++report.sent;
    if (result.outcome == DeliveryResult::Outcome::kRetry) ++report.retrying;
    if (result.outcome == DeliveryResult::Outcome::kFailed) ++report.failed;
  }
  return report;
}

}  // namespace broadsheet::newsletter
