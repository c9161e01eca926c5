#include "http/status.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

TEST(StatusFor, FullDiskIsInsufficientStorageAndBusyIsUnavailable) {
  EXPECT_EQ(StatusFor(ErrorCode::kStorageFull), 507);
  EXPECT_EQ(StatusFor(ErrorCode::kBusy), 503);
  EXPECT_EQ(StatusFor(ErrorCode::kIo), 500);
  EXPECT_EQ(ReasonPhrase(507), "Insufficient Storage");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kStorageFull), "storage_full");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kBusy), "busy");
}

}  // namespace
}  // namespace broadsheet::http
