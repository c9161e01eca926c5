#include "core/per_thread.h"

#include <thread>

#include <gtest/gtest.h>

namespace broadsheet {
namespace {

struct Count {
  int value = 0;
};

TEST(PerThread, EachThreadHasItsOwnAndAVisitSeesThemAll) {
  PerThread<Count> counts;
  Count* main_count = &counts.Local();
  EXPECT_EQ(&counts.Local(), main_count);  // the same one each time
  main_count->value = 1;
  Count* other_count = nullptr;
  std::thread other([&] {
    other_count = &counts.Local();
    other_count->value = 2;
  });
  other.join();
  EXPECT_NE(other_count, main_count);
  int sum = 0, seen = 0;
  counts.ForEach([&](Count& count) {
    sum += count.value;
    ++seen;
  });
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(sum, 3);
}

TEST(PerThread, InstancesDoNotShareEvenAtTheSameAddress) {
  {
    PerThread<Count> counts;
    counts.Local().value = 5;
  }
  // A new instance (perhaps where the old one was) starts with nothing of the old one's.
  PerThread<Count> counts;
  EXPECT_EQ(counts.Local().value, 0);
  int seen = 0;
  counts.ForEach([&](Count&) { ++seen; });
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace broadsheet
