#include "http/access_log.h"

#include <cerrno>
#include <cstring>

namespace broadsheet::http {

constexpr size_t kFlushBytes = 64 * 1024;

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path.empty()) return std::unique_ptr<AccessLog>(new AccessLog(nullptr, false));
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) {
    return Fail(ErrorCode::kIo, "cannot open the access log " + path, std::strerror(errno));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(file, true));
}

AccessLog::AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {
  if (file_ != nullptr) flusher_ = std::thread([this] { FlushLoop(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (flusher_.joinable()) flusher_.join();
  if (owned_) std::fclose(file_);
}

void AccessLog::Write(std::string_view line) {
  if (file_ == nullptr) return;
  bool full = false;
  {
    Buffer& buffer = buffers_.Local();
    std::lock_guard lock(buffer.mutex);
    buffer.lines.append(line);
    full = buffer.lines.size() >= kFlushBytes;
  }
  if (!full) return;
  {
    std::lock_guard lock(mutex_);
    flush_wanted_ = true;
  }
  wake_.notify_one();
}

void AccessLog::FlushLoop() {
  std::string batch;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || flush_wanted_; });
    flush_wanted_ = false;
    const bool stop = stopping_;
    lock.unlock();
    buffers_.ForEach([&batch](Buffer& buffer) {
      std::lock_guard buffer_lock(buffer.mutex);
      batch += buffer.lines;
      buffer.lines.clear();  // keeps its capacity
    });
    if (!batch.empty()) {
      std::fwrite(batch.data(), 1, batch.size(), file_);
      std::fflush(file_);
      batch.clear();
    }
    if (stop) return;
    lock.lock();
  }
}

}  // namespace broadsheet::http
