#include "http/page_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/time.h"

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
  EXPECT_TRUE(cache.Find("/a/"));
  EXPECT_FALSE(cache.Find("/b/"));
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(PageCache, ANewContentVersionEmptiesIt) {
  PageCache cache(1 << 20);
  cache.Insert("/a/", Page(100), cache.Sync(1));
  cache.Sync(2);
  EXPECT_FALSE(cache.Find("/a/"));
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(PageCache, PagesRenderedAgainstAnOldVersionAreNotStored) {
  PageCache cache(1 << 20);
  const auto old = cache.Sync(1);
  cache.Sync(2);
  cache.Insert("/a/", Page(100), old);
  EXPECT_FALSE(cache.Find("/a/"));
}

TEST(PageCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
  const size_t one = Page(1000)->Bytes() + 3;
  PageCache cache(one * 2 + 10);
  const auto ticket = cache.Sync(1);
  cache.Insert("/a/", Page(1000), ticket);
  cache.Insert("/b/", Page(1000), ticket);
  ASSERT_TRUE(cache.Find("/a/"));  // /a/ is now the most recent
  cache.Insert("/c/", Page(1000), ticket);
  EXPECT_TRUE(cache.Find("/a/"));
  EXPECT_FALSE(cache.Find("/b/"));
  EXPECT_TRUE(cache.Find("/c/"));
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

TEST(PageCache, StalePagesAreServedAndRefreshedOnceAtATime) {
  PageCache cache(1 << 20, std::chrono::milliseconds(0));
  const auto ticket = cache.Sync(1);
  cache.Insert("/a/", PageOf("post"), ticket);
  cache.Insert("/b/", PageOf("post"), ticket);
  cache.Insert("/", PageOf("home"), ticket);
  cache.Insert("/section/x/", PageOf("section"), ticket);
  EXPECT_FALSE(cache.Find("/a/").refresh);
  cache.MarkStale("/a/", {"home", "section"});
  auto first = cache.Find("/a/");
  ASSERT_TRUE(first);  // still served
  EXPECT_TRUE(first.refresh);
  EXPECT_FALSE(cache.Find("/a/").refresh);  // someone is already rendering it
  EXPECT_FALSE(cache.Find("/b/").refresh);
  EXPECT_TRUE(cache.Find("/").refresh);
  EXPECT_TRUE(cache.Find("/section/x/").refresh);
  cache.Insert("/a/", PageOf("post"), cache.Sync(1));  // the refreshed page
  EXPECT_FALSE(cache.Find("/a/").refresh);
  cache.Release("/");  // a refresh that failed: the next reader tries again
  EXPECT_TRUE(cache.Find("/").refresh);
  EXPECT_EQ(cache.entries(), 4u);
}

TEST(PageCache, APageRenderedBeforeTheMarkIsStoredStale) {
  PageCache cache(1 << 20, std::chrono::milliseconds(0));
  const auto before = cache.Sync(1);
  cache.MarkStale("/a/", {"home"});
  cache.Insert("/a/", PageOf("post"), before);  // rendered from what the comment changed
  cache.Insert("/", PageOf("home"), before);
  cache.Insert("/b/", PageOf("post"), before);  // not marked: fresh
  EXPECT_TRUE(cache.Find("/a/").refresh);
  EXPECT_TRUE(cache.Find("/").refresh);
  EXPECT_FALSE(cache.Find("/b/").refresh);
  cache.Sync(2);  // another process's write still empties everything
  EXPECT_FALSE(cache.Find("/b/"));
}

TEST(PageCache, AStalePageIsRefreshedAtMostOncePerInterval) {
  PageCache cache(1 << 20, std::chrono::milliseconds(200));
  cache.Insert("/a/", PageOf("post"), cache.Sync(1));
  cache.MarkStale("/a/", {});
  EXPECT_FALSE(cache.Find("/a/").refresh);  // stored just now: served as it is for a moment
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(cache.Find("/a/").refresh);
}

TEST(PageCache, AnExpiredPageIsAMiss) {
  PageCache cache(1 << 20);
  auto page = PageOf("post");
  page->expires = Now() - 1;
  cache.Insert("/closed/", page, cache.Sync(1));
  EXPECT_FALSE(cache.Find("/closed/"));
  EXPECT_EQ(cache.entries(), 0u);
  page = PageOf("post");
  page->expires = Now() + 3600;
  cache.Insert("/open/", page, cache.Sync(1));
  EXPECT_TRUE(cache.Find("/open/"));
}

}  // namespace
}  // namespace broadsheet::http
