#include "search/snapshot.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::search {
namespace {

constexpr Timestamp kNow = 2'000'000'000;
constexpr Timestamp kDay = 86400;

// Two nodes on one database, each with its own index and work folder, sharing a media store (a
// local folder here; test_s3 and tests/cluster use a bucket).
class Snapshot : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE_AT(store_, (dir_.path() / "site.db").string());
    objects_ = std::make_unique<media::LocalObjectStore>(dir_.path() / "bucket");
    std::filesystem::create_directories(dir_.path() / "a");
    auto index = SearchIndex::Open(dir_.path() / "a" / "search.xapian", *store_);
    ASSERT_TRUE(index) << Describe(index.error());
    maker_ = std::move(*index);
    maker_snapshots_ = std::make_unique<Snapshots>(*maker_, *store_, *objects_,
                                                   dir_.path() / "a" / "search.snapshot", kDay);
  }

  void Publish(const std::string& slug, const std::string& title) {
    Post post;
    post.slug = slug;
    post.title = title;
    post.body_html = "<p>" + title + " in the body.</p>";
    post.status = PostStatus::kPublished;
    post.published_at = 1000;
    ASSERT_TRUE(store_->UpsertPost(post));
  }

  std::vector<std::string> Found(SearchIndex& index, const std::string& text) {
    Filters filters;
    filters.now = kNow;
    filters.limit = 50;
    auto results = index.Search(Parse(text), filters);
    EXPECT_TRUE(results) << (results ? "" : Describe(results.error()));
    std::vector<std::string> slugs;
    if (results) {
      for (const auto& hit : results->hits) slugs.push_back(hit.detail.post.slug);
    }
    std::sort(slugs.begin(), slugs.end());
    return slugs;
  }

  // A node joining now: a new, empty index folder.
  std::unique_ptr<SearchIndex> NewNode(const std::string& name) {
    std::filesystem::create_directories(dir_.path() / name);
    auto index = SearchIndex::Open(dir_.path() / name / "search.xapian", *store_);
    EXPECT_TRUE(index) << Describe(index.error());
    return index ? std::move(*index) : nullptr;
  }
  Snapshots SnapshotsOf(SearchIndex& index, const std::string& name) {
    return Snapshots(index, *store_, *objects_, dir_.path() / name / "search.snapshot", kDay);
  }

  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<media::LocalObjectStore> objects_;
  std::unique_ptr<SearchIndex> maker_;
  std::unique_ptr<Snapshots> maker_snapshots_;
};

using Slugs = std::vector<std::string>;

TEST_P(Snapshot, ANewNodeTakesItAndReadsTheLogOnFromIt) {
  for (int i = 0; i < 30; ++i) Publish("p" + std::to_string(i), "Sanctions " + std::to_string(i));
  // Nothing to copy before the index is complete.
  EXPECT_FALSE(*maker_snapshots_->Due(kNow));
  ASSERT_TRUE(maker_->Sync());
  ASSERT_FALSE(maker_->building());
  ASSERT_TRUE(*maker_snapshots_->Due(kNow));
  auto made = maker_snapshots_->Make(kNow);
  ASSERT_TRUE(made) << Describe(made.error());
  EXPECT_EQ(made->position, maker_->LogPosition());
  EXPECT_FALSE(*maker_snapshots_->Due(kNow + 1));  // made, and nothing changed since
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "a" / "search.snapshot"));

  // Written after the snapshot: the new node reads it from the log.
  Publish("late", "Sanctions late");
  auto joiner = NewNode("b");
  ASSERT_TRUE(joiner);
  auto snapshots = SnapshotsOf(*joiner, "b");
  auto taken = snapshots.Take();
  ASSERT_TRUE(taken) << Describe(taken.error());
  EXPECT_TRUE(*taken);
  EXPECT_FALSE(joiner->building());
  EXPECT_EQ(joiner->LogPosition(), made->position);
  EXPECT_EQ(Found(*joiner, "sanctions").size(), 30u);  // the copy, before any Sync
  ASSERT_TRUE(joiner->Sync());
  EXPECT_EQ(Found(*joiner, "sanctions").size(), 31u);
  EXPECT_EQ(Found(*joiner, "late"), Slugs{"late"});
  // Taken once: a node with an index of its own never takes one again.
  EXPECT_FALSE(*snapshots.Take());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "b" / "search.snapshot"));
}

TEST_P(Snapshot, ANewOneReplacesTheLastAndItsFilesGo) {
  Publish("one", "Energy grid");
  ASSERT_TRUE(maker_->Sync());
  auto first = maker_snapshots_->Make(kNow);
  ASSERT_TRUE(first) << Describe(first.error());
  Publish("two", "Energy policy");
  // The position the index commits moves once no older transaction is still running anywhere
  // in the PostgreSQL cluster (other tests run beside this one).
  for (int tries = 0; tries < 100 && maker_->LogPosition() == first->position; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Publish("more-" + std::to_string(tries), "More energy");
    ASSERT_TRUE(maker_->Sync());
  }
  EXPECT_FALSE(*maker_snapshots_->Due(kNow + kDay - 1));
  EXPECT_TRUE(*maker_snapshots_->Due(kNow + kDay));
  auto second = maker_snapshots_->Make(kNow + kDay);
  ASSERT_TRUE(second) << Describe(second.error());
  EXPECT_NE(second->folder, first->folder);
  for (const SnapshotFile& file : first->files)
    EXPECT_FALSE(*objects_->Size(first->folder + file.name)) << file.name;
  for (const SnapshotFile& file : second->files)
    EXPECT_TRUE(*objects_->Size(second->folder + file.name)) << file.name;
  auto recorded = store_->LoadSearchSnapshot();
  ASSERT_TRUE(recorded && *recorded);
  EXPECT_EQ((*recorded)->made_at, kNow + kDay);
  auto manifest = ParseManifest((*recorded)->manifest);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->folder, second->folder);
}

TEST_P(Snapshot, AnIndexBehindTheLatestOrNotCaughtUpNeverReplacesIt) {
  Publish("one", "Energy grid");
  ASSERT_TRUE(maker_->Sync());
  ASSERT_TRUE(maker_snapshots_->Make(kNow));
  // A node that took the snapshot has read no further: nothing to replace, however late.
  auto joiner = NewNode("b");
  auto snapshots = SnapshotsOf(*joiner, "b");
  EXPECT_FALSE(*snapshots.Due(kNow + 10 * kDay));  // not caught up since it started
  ASSERT_TRUE(*snapshots.Take());
  ASSERT_TRUE(joiner->Sync());
  EXPECT_FALSE(*snapshots.Due(kNow + 10 * kDay));
}

TEST_P(Snapshot, AReindexAfterItIsBuiltFromThePostsNotCopiedAgain) {
  Publish("one", "Deterrence");
  ASSERT_TRUE(maker_->Sync());
  ASSERT_TRUE(maker_snapshots_->Make(kNow));
  ASSERT_TRUE(store_->LogReindex());
  auto joiner = NewNode("b");
  auto snapshots = SnapshotsOf(*joiner, "b");
  ASSERT_TRUE(*snapshots.Take());
  ASSERT_TRUE(joiner->Sync());  // reads the reindex row and builds from the posts
  EXPECT_FALSE(joiner->building());
  // Not the snapshot from before the reindex, again.
  EXPECT_FALSE(*joiner->WouldTakeSnapshot(maker_->LogPosition()));
  EXPECT_FALSE(*snapshots.Take());
  EXPECT_EQ(Found(*joiner, "deterrence"), Slugs{"one"});
}

TEST_P(Snapshot, ADamagedCopyIsRefusedAndTheNodeBuilds) {
  Publish("one", "Alliance");
  ASSERT_TRUE(maker_->Sync());
  auto made = maker_snapshots_->Make(kNow);
  ASSERT_TRUE(made);
  // One of its files altered in the bucket.
  const SnapshotFile& file = made->files.front();
  ASSERT_TRUE(objects_->Put(made->folder + file.name, "not the index", ""));
  auto joiner = NewNode("b");
  auto snapshots = SnapshotsOf(*joiner, "b");
  auto taken = snapshots.Take();
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kCorrupt);
  EXPECT_TRUE(joiner->building());
  ASSERT_TRUE(joiner->Sync());
  EXPECT_EQ(Found(*joiner, "alliance"), Slugs{"one"});
}

TEST_P(Snapshot, OnlyACompleteIndexWritesOne) {
  Publish("one", "Alliance");
  // Not synced: still being built.
  auto written = maker_->WriteSnapshot(dir_.path() / "copy");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kConflict);
}

TEST_P(Snapshot, ASnapshotOfAnotherDatabaseIsNotTaken) {
  Publish("one", "Alliance");
  ASSERT_TRUE(maker_->Sync());
  auto made = maker_snapshots_->Make(kNow);
  ASSERT_TRUE(made);
  SnapshotManifest foreign = *made;
  foreign.position =
      "another-generation " + foreign.position.substr(foreign.position.find(' ') + 1);
  ASSERT_TRUE(store_->SaveSearchSnapshot({FormatManifest(foreign), kNow}));
  auto joiner = NewNode("b");
  auto snapshots = SnapshotsOf(*joiner, "b");
  EXPECT_FALSE(*snapshots.Take());
  EXPECT_TRUE(joiner->building());
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, Snapshot, test::kBothDatabases, test::DatabaseName);

TEST(SnapshotManifest, RoundTrips) {
  SnapshotManifest manifest;
  manifest.position = "g1 42";
  manifest.folder = "private/search/0123456789abcdef0123456789abcdef/";
  manifest.files = {{"postlist.glass", 8192, std::string(64, 'a')},
                    {"iamglass", 163, std::string(64, 'b')}};
  auto parsed = ParseManifest(FormatManifest(manifest));
  ASSERT_TRUE(parsed) << Describe(parsed.error());
  EXPECT_EQ(parsed->position, manifest.position);
  EXPECT_EQ(parsed->folder, manifest.folder);
  ASSERT_EQ(parsed->files.size(), 2u);
  EXPECT_EQ(parsed->files[1].name, "iamglass");
  EXPECT_EQ(parsed->files[0].size, 8192);
}

TEST(SnapshotManifest, AnythingElseIsRefused) {
  const std::string header = "broadsheet search snapshot 1\n";
  const std::string folder = "folder private/search/0123456789abcdef0123456789abcdef/\n";
  const std::string position = "position g1 42\n";
  const std::string file = "file postlist.glass 10 " + std::string(64, 'a') + "\n";
  for (const std::string& text : {
           std::string(""),
           "broadsheet search snapshot 2\n" + position + folder + file,
           header + position + folder,  // no files
           header + folder + file,      // no position
           header + position + "folder media/0123456789abcdef0123456789abcdef/\n" + file,
           header + position + "folder private/search/../../media/\n" + file,
           header + position + "folder private/search/0123/\n" + file,
           header + position + folder + "file ../site.db 10 " + std::string(64, 'a') + "\n",
           header + position + folder + "file a/b 10 " + std::string(64, 'a') + "\n",
           header + position + folder + "file postlist.glass -1 " + std::string(64, 'a') + "\n",
           header + position + folder + "file postlist.glass 99999999999999999 " +
               std::string(64, 'a') + "\n",
           header + position + folder + "file postlist.glass 10 XYZ\n",
           header + position + folder + file + file,  // twice
           header + position + folder + file + "owner mallory\n",
       }) {
    auto parsed = ParseManifest(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kCorrupt) << text;
  }
}

}  // namespace
}  // namespace broadsheet::search
