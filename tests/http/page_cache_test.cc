#include "http/page_cache.h"

#include <gtest/gtest.h>

namespace broadsheet::http {
namespace {

std::shared_ptr<CachedPage> Page(size_t body_bytes) {
  auto page = std::make_shared<CachedPage>();
  page->identity.body.assign(body_bytes, 'x');
  return page;
}

TEST(PageCache, StoresAndFindsAtTheSameVersion) {
  PageCache cache(1 << 20);
  cache.Sync(1);
  cache.Insert("/a/", Page(100), 1);
  EXPECT_NE(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.Find("/b/"), nullptr);
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(PageCache, ANewContentVersionEmptiesIt) {
  PageCache cache(1 << 20);
  cache.Sync(1);
  cache.Insert("/a/", Page(100), 1);
  cache.Sync(2);
  EXPECT_EQ(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(PageCache, PagesRenderedAgainstAnOldVersionAreNotStored) {
  PageCache cache(1 << 20);
  cache.Sync(2);
  cache.Insert("/a/", Page(100), 1);
  EXPECT_EQ(cache.Find("/a/"), nullptr);
}

TEST(PageCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
  const size_t one = Page(1000)->Bytes() + 3;
  PageCache cache(one * 2 + 10);
  cache.Sync(1);
  cache.Insert("/a/", Page(1000), 1);
  cache.Insert("/b/", Page(1000), 1);
  ASSERT_NE(cache.Find("/a/"), nullptr);  // /a/ is now the most recent
  cache.Insert("/c/", Page(1000), 1);
  EXPECT_NE(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.Find("/b/"), nullptr);
  EXPECT_NE(cache.Find("/c/"), nullptr);
  EXPECT_LE(cache.bytes(), cache.budget());
}

TEST(PageCache, APageLargerThanTheBudgetIsNotStored) {
  PageCache cache(100);
  cache.Sync(1);
  cache.Insert("/big/", Page(1000), 1);
  EXPECT_EQ(cache.entries(), 0u);
}

}  // namespace
}  // namespace broadsheet::http
