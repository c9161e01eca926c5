// AccessLog writes one line per request in the combined log format, plus the response time in
// seconds, to a file or standard output. Lines are buffered and written by a background thread
// every second or every 64 KiB, so logging never waits on the disk in a request. Each thread
// buffers its own lines (so the server's threads never wait for one another to log): within a
// second's batch, lines are grouped by thread, not strictly in time order (the time is on every
// line). Thread-safe. The destructor flushes what is buffered.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/per_thread.h"

namespace broadsheet::http {

class AccessLog {
 public:
  // `path` "-" logs to standard output; empty disables logging.
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();

  void Write(std::string_view line);  // `line` ends with '\n'

 private:
  explicit AccessLog(std::FILE* file, bool owned);
  void FlushLoop();

  std::FILE* file_;
  bool owned_;
  struct Buffer {
    std::mutex mutex;
    std::string lines;
  };
  PerThread<Buffer> buffers_;
  std::mutex mutex_;  // for the two flags below
  std::condition_variable wake_;
  bool flush_wanted_ = false;  // a thread's buffer is full
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace broadsheet::http
