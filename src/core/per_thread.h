// PerThread<T> gives each thread that asks its own T, and lets one thread visit them all: for
// counters and buffers that every request touches, so that the server's threads do not take
// turns at one lock (and pass its cache line between cores) on every request.
//
// Each T keeps its own lock for what its thread and a visitor share. The Ts live as long as the
// PerThread; a thread's lookup is a short scan of the instances it has used.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace broadsheet {

template <typename T>
class PerThread {
 public:
  PerThread() = default;
  PerThread(const PerThread&) = delete;
  PerThread& operator=(const PerThread&) = delete;

  // The calling thread's T, made on its first call.
  T& Local() {
    // (instance id, T) for the instances this thread used; ids are never reused, so an entry of
    // a destroyed instance is never matched again.
    thread_local std::vector<std::pair<std::uint64_t, T*>> mine;
    for (const auto& [id, value] : mine) {
      if (id == id_) return *value;
    }
    std::lock_guard lock(mutex_);
    T* value = all_.emplace_back(std::make_unique<T>()).get();
    mine.emplace_back(id_, value);
    return *value;
  }

  // Calls `visit` with every thread's T, while no thread can add one.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& value : all_) visit(*value);
  }

 private:
  static inline std::atomic<std::uint64_t> next_id_{1};
  const std::uint64_t id_ = next_id_.fetch_add(1, std::memory_order_relaxed);
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<T>> all_;
};

}  // namespace broadsheet
