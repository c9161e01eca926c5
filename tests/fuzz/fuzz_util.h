// Helpers shared by the fuzz targets: a scratch file for readers that take a path, and an
// in-memory store for importers. Each target is one LLVMFuzzerTestOneInput (libFuzzer in the
// clang fuzzing build; replay_main.cc elsewhere).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "storage/sql_store.h"

namespace broadsheet::fuzz {

inline std::string_view AsText(const std::uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A file of this process under /tmp, rewritten for every input; removed at exit.
class ScratchFile {
 public:
  explicit ScratchFile(const char* suffix) {
    path_ = "/tmp/broadsheet-fuzz-" + std::to_string(getpid()) + suffix;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  const std::string& Write(std::string_view text) {
    std::FILE* out = std::fopen(path_.c_str(), "wb");
    if (out == nullptr) std::abort();
    std::fwrite(text.data(), 1, text.size(), out);
    std::fclose(out);
    return path_;
  }

 private:
  std::string path_;
};

// One in-memory database for the whole run: inputs accumulate in it, as imports on a live site do.
inline Store& SharedStore() {
  static std::unique_ptr<SqlStore> store = [] {
    auto opened = SqlStore::Open({.path = ":memory:", .create = true});
    if (!opened) std::abort();
    return std::move(*opened);
  }();
  return *store;
}

}  // namespace broadsheet::fuzz
