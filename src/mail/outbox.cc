#include "mail/outbox.h"

namespace broadsheet::mail {

Outbox::Outbox(Mailer& mailer, std::function<void(const Message&, const Error&)> on_failure)
    : mailer_(mailer), on_failure_(std::move(on_failure)), thread_([this] { Loop(); }) {}

Outbox::~Outbox() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Outbox::Queue(Message message) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(message));
  }
  changed_.notify_all();
}

void Outbox::Flush() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void Outbox::Loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is sent
    Message message = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    auto sent = mailer_.Send(message);
    if (!sent && on_failure_) on_failure_(message, sent.error());
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace broadsheet::mail
