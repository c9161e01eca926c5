// A mailer for the unit suites that keeps every message handed to it, instead of sending it.
#pragma once

#include <mutex>
#include <vector>

#include "mail/mailer.h"

namespace broadsheet::test {

class RecordingMailer : public mail::Mailer {
 public:
  Result<void> Send(const mail::Message& message) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(message);
    return {};
  }
  bool configured() const override { return true; }
  std::vector<mail::Message> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::mutex mutex_;
  std::vector<mail::Message> sent_;
};

}  // namespace broadsheet::test
