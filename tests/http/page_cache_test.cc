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
  cache.Insert("/a/", Page(100), cache.Sync(1));
  EXPECT_NE(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.Find("/b/"), nullptr);
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(PageCache, ANewContentVersionEmptiesIt) {
  PageCache cache(1 << 20);
  cache.Insert("/a/", Page(100), cache.Sync(1));
  cache.Sync(2);
  EXPECT_EQ(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(PageCache, PagesRenderedAgainstAnOldVersionAreNotStored) {
  PageCache cache(1 << 20);
  const auto old = cache.Sync(1);
  cache.Sync(2);
  cache.Insert("/a/", Page(100), old);
  EXPECT_EQ(cache.Find("/a/"), nullptr);
}

TEST(PageCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
  const size_t one = Page(1000)->Bytes() + 3;
  PageCache cache(one * 2 + 10);
  const auto ticket = cache.Sync(1);
  cache.Insert("/a/", Page(1000), ticket);
  cache.Insert("/b/", Page(1000), ticket);
  ASSERT_NE(cache.Find("/a/"), nullptr);  // /a/ is now the most recent
  cache.Insert("/c/", Page(1000), ticket);
  EXPECT_NE(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.Find("/b/"), nullptr);
  EXPECT_NE(cache.Find("/c/"), nullptr);
  EXPECT_LE(cache.bytes(), cache.budget());
}

TEST(PageCache, APageLargerThanTheBudgetIsNotStored) {
  PageCache cache(100);
  cache.Insert("/big/", Page(1000), cache.Sync(1));
  EXPECT_EQ(cache.entries(), 0u);
}

std::shared_ptr<CachedPage> PageOf(std::string route) {
  auto page = Page(100);
  page->route = std::move(route);
  return page;
}

TEST(PageCache, EvictDropsTheKeyAndTheRoutesNamedAndNothingElse) {
  PageCache cache(1 << 20);
  const auto ticket = cache.Sync(1);
  cache.Insert("/a/", PageOf("post"), ticket);
  cache.Insert("/b/", PageOf("post"), ticket);
  cache.Insert("/", PageOf("home"), ticket);
  cache.Insert("/section/x/", PageOf("section"), ticket);
  cache.Evict("/a/", {"home", "section"});
  EXPECT_EQ(cache.Find("/a/"), nullptr);
  EXPECT_NE(cache.Find("/b/"), nullptr);
  EXPECT_EQ(cache.Find("/"), nullptr);
  EXPECT_EQ(cache.Find("/section/x/"), nullptr);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), PageOf("post")->Bytes() + 3);
}

TEST(PageCache, APageRenderedBeforeItsEvictionIsNotStored) {
  PageCache cache(1 << 20);
  const auto before = cache.Sync(1);
  cache.Evict("/a/", {"home"});
  cache.Insert("/a/", PageOf("post"), before);  // rendered from what the eviction replaced
  cache.Insert("/", PageOf("home"), before);
  cache.Insert("/b/", PageOf("post"), before);  // not evicted: fine
  EXPECT_EQ(cache.Find("/a/"), nullptr);
  EXPECT_EQ(cache.Find("/"), nullptr);
  EXPECT_NE(cache.Find("/b/"), nullptr);
  cache.Insert("/a/", PageOf("post"), cache.Sync(1));
  EXPECT_NE(cache.Find("/a/"), nullptr);
}

}  // namespace
}  // namespace broadsheet::http
