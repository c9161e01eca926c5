#include "cache/purger.h"

#include <algorithm>
#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace broadsheet::cache {

PurgeQueue::PurgeQueue(std::vector<std::unique_ptr<Purger>> purgers, std::string site_key,
                       size_t capacity)
    : site_key_(std::move(site_key)), capacity_(std::max<size_t>(capacity, 1)) {
  for (auto& purger : purgers) lanes_.emplace_back().purger = std::move(purger);
  for (Lane& lane : lanes_) lane.thread = std::thread([this, &lane] { Loop(lane); });
}

PurgeQueue::PurgeQueue(std::unique_ptr<Purger> purger, std::string site_key, size_t capacity)
    : PurgeQueue(
          [&] {
            std::vector<std::unique_ptr<Purger>> one;
            one.push_back(std::move(purger));
            return one;
          }(),
          std::move(site_key), capacity) {}

PurgeQueue::~PurgeQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (Lane& lane : lanes_) lane.thread.join();
}

void PurgeQueue::Add(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (Lane& lane : lanes_) {
      for (const auto& key : keys) lane.waiting.insert(key);
      if (lane.waiting.size() > capacity_) {
        lane.waiting = {site_key_};
        collapsed_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  wake_.notify_all();
}

bool PurgeQueue::SendBatch(Lane& lane, std::unique_lock<std::mutex>& lock) {
  std::vector<std::string> batch;
  for (auto it = lane.waiting.begin(); it != lane.waiting.end() && batch.size() < kMaxKeysPerPurge;)
    batch.push_back(lane.waiting.extract(it++).value());
  lane.sending = true;
  lock.unlock();
  auto purged = lane.purger->Purge(batch);
  lock.lock();
  lane.sending = false;
  if (purged) {
    sent_.fetch_add(1, std::memory_order_relaxed);
    lane.attempts = 0;
    wake_.notify_all();
    return true;
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  for (auto& key : batch) lane.waiting.insert(std::move(key));
  if (++lane.attempts == kMaxAttempts) {
    spdlog::warn(
        "cache purges failing for {} attempts ({}): the whole site will be purged once "
        "the cache answers again",
        lane.attempts, Describe(purged.error()));
    given_up_.fetch_add(1, std::memory_order_relaxed);
  }
  if (lane.attempts >= kMaxAttempts) {
    lane.waiting = {site_key_};
  } else if (lane.attempts == 1) {
    spdlog::warn("cache purge failed (will retry): {}", Describe(purged.error()));
  }
  // 1 s, 2 s, 4 s … at most a minute.
  const int doubling = std::min(lane.attempts - 1, 6);
  lane.retry_at =
      std::chrono::steady_clock::now() +
      std::min<std::chrono::seconds>(std::chrono::seconds(1 << doubling), std::chrono::seconds(60));
  wake_.notify_all();
  return false;
}

void PurgeQueue::Loop(Lane& lane) {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (lane.waiting.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !lane.waiting.empty(); });
      continue;
    }
    if (std::chrono::steady_clock::now() < lane.retry_at) {
      // Finish clears retry_at to have the waiting keys sent at once.
      const auto until = lane.retry_at;
      wake_.wait_until(lock, until, [&] { return stopping_ || lane.retry_at != until; });
      continue;
    }
    SendBatch(lane, lock);
  }
}

bool PurgeQueue::Finish(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::unique_lock lock(mutex_);
  // Each cache's thread sends as usual, without its pause before a retry; this waits for them.
  for (Lane& lane : lanes_) lane.retry_at = {};
  wake_.notify_all();
  auto done = [&] {
    return std::all_of(lanes_.begin(), lanes_.end(),
                       [](const Lane& lane) { return lane.waiting.empty() && !lane.sending; });
  };
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    for (Lane& lane : lanes_) {
      if (!lane.sending && lane.retry_at != std::chrono::steady_clock::time_point{}) {
        lane.retry_at = {};
        wake_.notify_all();
      }
    }
    wake_.wait_until(
        lock, std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
  }
  return true;
}

PurgeStats PurgeQueue::Stats() const {
  PurgeStats stats;
  stats.sent = sent_.load(std::memory_order_relaxed);
  stats.failed = failed_.load(std::memory_order_relaxed);
  stats.given_up = given_up_.load(std::memory_order_relaxed);
  stats.collapsed = collapsed_.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  for (const Lane& lane : lanes_) stats.waiting += lane.waiting.size();
  return stats;
}

std::string PurgeQueue::MetricsText() const {
  const PurgeStats stats = Stats();
  return fmt::format(
      "# HELP broadsheet_purges_total Cache purges sent, by outcome (failed counts each "
      "attempt).\n"
      "# TYPE broadsheet_purges_total counter\n"
      "broadsheet_purges_total{{outcome=\"sent\"}} {}\n"
      "broadsheet_purges_total{{outcome=\"failed\"}} {}\n"
      "broadsheet_purges_total{{outcome=\"given_up\"}} {}\n"
      "broadsheet_purges_total{{outcome=\"collapsed\"}} {}\n"
      "# HELP broadsheet_purge_keys_waiting Surrogate keys waiting to be purged.\n"
      "# TYPE broadsheet_purge_keys_waiting gauge\n"
      "broadsheet_purge_keys_waiting {}\n",
      stats.sent, stats.failed, stats.given_up, stats.collapsed, stats.waiting);
}

VarnishPurger::VarnishPurger(std::vector<std::string> addresses, std::chrono::milliseconds timeout)
    : addresses_(std::move(addresses)), timeout_(timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

namespace {

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

Result<void> VarnishPurger::Purge(const std::vector<std::string>& keys) {
  std::string joined;
  for (const auto& key : keys) joined += (joined.empty() ? "" : " ") + key;
  const std::string header = "xkey-purge: " + joined;
  for (const auto& address : addresses_) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return Fail(ErrorCode::kInternal, "cannot start a purge request");
    curl_slist* headers = curl_slist_append(nullptr, header.c_str());
    const std::string url = address + "/";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PURGE");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) {
      return Fail(ErrorCode::kUnavailable, "the cache at " + address + " could not be reached",
                  curl_easy_strerror(code));
    }
    if (status < 200 || status > 299) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("the cache at {} refused the purge ({})", address, status));
    }
  }
  return {};
}

}  // namespace broadsheet::cache
