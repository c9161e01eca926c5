#include "storage/change_signal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace broadsheet {

Result<std::unique_ptr<ChangeSignal>> ChangeSignal::Open(const std::string& path) {
  if (path.empty()) {
    auto signal = std::unique_ptr<ChangeSignal>(new ChangeSignal(nullptr, false));
    signal->counter_ = &signal->private_counter_;
    return signal;
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(ErrorCode::kIo, "cannot open the change signal file " + path, std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || (info.st_size < static_cast<off_t>(sizeof(std::uint64_t)) &&
                                  ::ftruncate(fd, sizeof(std::uint64_t)) != 0)) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    return Fail(ErrorCode::kIo, "cannot size the change signal file " + path, reason);
  }
  void* memory = ::mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (memory == MAP_FAILED) {
    return Fail(ErrorCode::kIo, "cannot map the change signal file " + path, std::strerror(errno));
  }
  return std::unique_ptr<ChangeSignal>(new ChangeSignal(static_cast<std::uint64_t*>(memory), true));
}

ChangeSignal::~ChangeSignal() {
  if (mapped_) ::munmap(counter_, sizeof(std::uint64_t));
}

std::uint64_t ChangeSignal::Read() const {
  return std::atomic_ref<std::uint64_t>(*counter_).load(std::memory_order_acquire);
}

void ChangeSignal::Bump() {
  std::atomic_ref<std::uint64_t>(*counter_).fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace broadsheet
