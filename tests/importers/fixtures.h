// WordPress's own test exports, read from the shared fixtures folder beside the project; tests
// that need them skip, saying why, where the folder is absent.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

namespace broadsheet::importers {

inline std::filesystem::path Fixtures() {
  return std::filesystem::path(BROADSHEET_SOURCE_DIR) / ".." / "shared" / "fixtures" / "wordpress";
}

}  // namespace broadsheet::importers

#define REQUIRE_FIXTURES()                                           \
  if (!std::filesystem::exists(Fixtures()))                          \
  GTEST_SKIP() << "no WordPress fixtures at " << Fixtures().string() \
               << " (the shared fixtures folder is absent on this machine)"
