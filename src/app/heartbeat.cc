#include "app/heartbeat.h"

#include <unistd.h>

#include <array>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace broadsheet::app {
namespace {

// Renewed this often, well inside kHeartbeatSeconds, so that one late renewal loses nothing.
constexpr auto kBeatEvery = std::chrono::seconds(3);

}  // namespace

std::string NewNodeId() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device random;
  return fmt::format("{}:{}:{:08x}", host[0] ? host.data() : "host", getpid(), random());
}

Heartbeat::Heartbeat(Store& store, std::string node)
    : store_(store), node_(std::move(node)), thread_([this] { Loop(); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Whatever this process still claims is free for the others at once.
  if (auto released = store_.ReleaseLease(NodeLeaseName(node_), node_); !released)
    spdlog::warn("could not give up this node's heartbeat: {}", Describe(released.error()));
}

void Heartbeat::Beat() {
  const Timestamp now = Now();
  auto alive = store_.TakeLease(NodeLeaseName(node_), node_, now, now + kHeartbeatSeconds);
  if (!alive) {
    spdlog::debug("heartbeat not renewed: {}", Describe(alive.error()));
  } else if (!*alive) {
    spdlog::error("another process has this node's id {}", node_);
  }
}

void Heartbeat::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    Beat();
    lock.lock();
    wake_.wait_for(lock, kBeatEvery, [this] { return stopping_; });
  }
}

SharedLease::SharedLease(Store& store, std::string name, std::string holder, Timestamp life)
    : store_(store), name_(std::move(name)), holder_(std::move(holder)), life_(life) {}

SharedLease::~SharedLease() {
  if (!held_) return;
  if (auto released = store_.ReleaseLease(name_, holder_); !released)
    spdlog::warn("could not give up the {} lease: {}", name_, Describe(released.error()));
}

bool SharedLease::Hold(Timestamp now) {
  auto taken = store_.TakeLease(name_, holder_, now, now + life_);
  const bool held = taken && *taken;
  if (held && !held_) spdlog::info("this node ({}) now does the {} work", holder_, name_);
  if (!held && held_) {
    spdlog::warn("this node ({}) no longer holds the {} lease{}", holder_, name_,
                 taken ? "" : ": " + Describe(taken.error()));
  }
  held_ = held;
  return held;
}

}  // namespace broadsheet::app
