// Outbox: sends messages on a background thread, so that no request waits on an SMTP server.
// It is in memory: a message queued right before the process dies is lost, which is acceptable
// for sign-in mail (the person asks again); the newsletter has its own durable outbox.
//
// Thread-safe. The destructor sends what is queued, waiting at most `drain_timeout`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "mail/mailer.h"

namespace broadsheet::mail {

class Outbox {
 public:
  // `on_failure` is told about messages the server refused (for the log).
  Outbox(Mailer& mailer, std::function<void(const Message&, const Error&)> on_failure);
  ~Outbox();

  bool configured() const { return mailer_.configured(); }
  void Queue(Message message);
  // Blocks until the queue is empty (for tests and shutdown).
  void Flush();

 private:
  void Loop();

  Mailer& mailer_;
  std::function<void(const Message&, const Error&)> on_failure_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Message> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace broadsheet::mail
