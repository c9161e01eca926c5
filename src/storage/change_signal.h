// ChangeSignal lets every process working on a site tell the running server that content
// changed, without the server touching the database on each request. It is a 64-bit counter in a
// small memory-mapped file beside the database: writers increment it after they commit; readers
// compare it with the value their cache was built at. Reading is one atomic load.
//
// Thread-safe and process-safe (lock-free atomics on shared memory). Owned by the Store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"

namespace broadsheet {

class ChangeSignal {
 public:
  // Maps `path`, creating it if needed. An empty path gives a process-private counter.
  static Result<std::unique_ptr<ChangeSignal>> Open(const std::string& path);
  ~ChangeSignal();
  ChangeSignal(const ChangeSignal&) = delete;
  ChangeSignal& operator=(const ChangeSignal&) = delete;

  std::uint64_t Read() const;
  void Bump();

 private:
  ChangeSignal(std::uint64_t* counter, bool mapped) : counter_(counter), mapped_(mapped) {}
  std::uint64_t* counter_;
  bool mapped_;
  std::uint64_t private_counter_ = 0;
};

}  // namespace broadsheet
