#include "content/body.h"

#include <gtest/gtest.h>

#include "storage/sql_store.h"

namespace broadsheet::content {
namespace {

using auth::Role;

constexpr const char* kHostile =
    "<p>Hi<script>alert(1)</script><img src=x onerror=alert(2)></p>"
    "<iframe src=\"https://evil.example/x\"></iframe>";
constexpr const char* kEmbed = "<iframe src=\"https://video.example/embed/1\"></iframe>";

struct Fixture {
  std::unique_ptr<SqlStore> store;
  std::int64_t editor = 0, other_editor = 0, contributor = 0, author = 0;
  Fixture() {
    auto opened = SqlStore::Open({":memory:", true});
    store = std::move(*opened);
    editor = AddUser("editor@example.org", "editor");
    other_editor = AddUser("chief@example.org", "administrator");
    contributor = AddUser("contributor@example.org", "contributor");
    author = AddUser("author@example.org", "author");
  }
  std::int64_t AddUser(const std::string& email, const std::string& role) {
    User user;
    user.email = email;
    user.name = email;
    user.role = role;
    return *store->CreateUser(user);
  }
  void AllowUnfiltered(bool on) {
    ASSERT_TRUE(store->SetDeskSetting(kUnfilteredHtmlSetting, on ? "1" : "0"));
  }
  BodyPolicy Policy() { return BodyPolicy(*store, markdown::FilterOptions{{"video.example"}}); }
  // A post stored as a database from before the filter would hold it: HTML exactly as given.
  std::int64_t StorePost(const std::string& slug, std::optional<std::int64_t> creator,
                         const std::string& html) {
    Post post;
    post.slug = slug;
    post.title = slug;
    post.body_markdown = html;
    post.body_html = html;
    return *store->CreatePost(post, creator, "{}");
  }
  Post Stored(std::int64_t id) { return (*store->FindPostById(id))->post; }
};

bool MayStore(Fixture& fixture, std::int64_t user, Role role, const Post& post) {
  auto may = fixture.Policy().MayStoreRawHtml(Writer{user, role}, post);
  EXPECT_TRUE(may) << Describe(may.error());
  return may && *may;
}

TEST(BodyPolicy, EveryoneIsFilteredWhileTheSettingIsOff) {
  Fixture fixture;
  const Post fresh;
  EXPECT_FALSE(MayStore(fixture, fixture.editor, Role::kEditor, fresh));
  fixture.AllowUnfiltered(false);
  EXPECT_FALSE(MayStore(fixture, fixture.other_editor, Role::kAdministrator, fresh));
}

TEST(BodyPolicy, EditorsKeepRawHtmlInNewAndOwnAndOtherEditorsPosts) {
  Fixture fixture;
  fixture.AllowUnfiltered(true);
  EXPECT_TRUE(MayStore(fixture, fixture.editor, Role::kEditor, Post{}));
  const Post own = fixture.Stored(fixture.StorePost("own", fixture.editor, "x"));
  EXPECT_TRUE(MayStore(fixture, fixture.editor, Role::kEditor, own));
  const Post chiefs = fixture.Stored(fixture.StorePost("chiefs", fixture.other_editor, "x"));
  EXPECT_TRUE(MayStore(fixture, fixture.editor, Role::kEditor, chiefs));
}

TEST(BodyPolicy, ContributorsAndAuthorsAreAlwaysFiltered) {
  Fixture fixture;
  fixture.AllowUnfiltered(true);
  EXPECT_FALSE(MayStore(fixture, fixture.contributor, Role::kContributor, Post{}));
  const Post authors = fixture.Stored(fixture.StorePost("authors", fixture.author, "x"));
  EXPECT_FALSE(MayStore(fixture, fixture.author, Role::kAuthor, authors));
}

TEST(BodyPolicy, AnEditorSavingAContributorsPostIsFiltered) {
  Fixture fixture;
  fixture.AllowUnfiltered(true);
  const Post draft = fixture.Stored(fixture.StorePost("draft", fixture.contributor, "x"));
  EXPECT_FALSE(MayStore(fixture, fixture.editor, Role::kEditor, draft));
}

TEST(BodyPolicy, PostsOfDisabledOrDemotedOrNoAccountsAreFiltered) {
  Fixture fixture;
  fixture.AllowUnfiltered(true);
  const Post imported = fixture.Stored(fixture.StorePost("imported", std::nullopt, "x"));
  EXPECT_FALSE(MayStore(fixture, fixture.editor, Role::kEditor, imported));
  const Post chiefs = fixture.Stored(fixture.StorePost("chiefs", fixture.other_editor, "x"));
  ASSERT_TRUE(fixture.store->SetUserDisabled(fixture.other_editor, true));
  EXPECT_FALSE(MayStore(fixture, fixture.editor, Role::kEditor, chiefs));
  auto kept = fixture.Policy().KeepsRawHtml(fixture.other_editor);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(*kept);
  const Post own = fixture.Stored(fixture.StorePost("own", fixture.editor, "x"));
  ASSERT_TRUE(fixture.store->SetUserRole(fixture.editor, "author"));
  kept = fixture.Policy().KeepsRawHtml(fixture.editor);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(*kept);
}

TEST(BodyPolicy, OptionsCarryTheRuleAndTheSitesEmbedHosts) {
  Fixture fixture;
  fixture.AllowUnfiltered(true);
  auto raw = fixture.Policy().ForWriter(Writer{fixture.editor, Role::kEditor}, Post{});
  ASSERT_TRUE(raw);
  EXPECT_TRUE(raw->unfiltered);
  auto filtered = fixture.Policy().ForWriter(Writer{fixture.author, Role::kAuthor}, Post{});
  ASSERT_TRUE(filtered);
  EXPECT_FALSE(filtered->unfiltered);
  auto html = markdown::ToHtml(std::string(kEmbed) + "\n\n" + kHostile, *filtered);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("https://video.example/embed/1"), std::string::npos);
  EXPECT_EQ(html->find("evil.example"), std::string::npos);
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_FALSE(fixture.Policy().Filtered().unfiltered);
  EXPECT_EQ(fixture.Policy().Filtered().filter.embed_hosts,
            std::vector<std::string>{"video.example"});
}

TEST(RefilterStoredHtml, FiltersOldBodiesOnceAndLeavesEditorsRawHtml) {
  Fixture fixture;
  fixture.AllowUnfiltered(true);
  const auto contributors = fixture.StorePost("contributors", fixture.contributor, kHostile);
  const auto imported = fixture.StorePost("imported", std::nullopt, std::string(kEmbed) + kHostile);
  const auto editors = fixture.StorePost("editors", fixture.editor, kHostile);
  const auto clean = fixture.StorePost("clean", fixture.author, "<p>Fine.</p>");
  Author author;
  author.slug = "jane";
  author.name = "Jane";
  author.bio_html = "<p>Jane<script>x()</script></p>";
  ASSERT_TRUE(fixture.store->UpsertAuthor(author));

  const BodyPolicy policy = fixture.Policy();
  auto report = RefilterStoredHtml(*fixture.store, policy, 2);  // small batches: several rounds
  ASSERT_TRUE(report) << Describe(report.error());
  EXPECT_TRUE(report->ran);
  EXPECT_EQ(report->posts, 4);
  EXPECT_EQ(report->posts_changed, 2);
  EXPECT_EQ(report->posts_kept_raw, 1);
  EXPECT_EQ(report->bios_changed, 1);
  for (const auto id : {contributors, imported}) {
    const std::string html = fixture.Stored(id).body_html;
    EXPECT_EQ(html.find("<script"), std::string::npos) << html;
    EXPECT_EQ(html.find("onerror"), std::string::npos) << html;
    EXPECT_EQ(html.find("evil.example"), std::string::npos) << html;
  }
  EXPECT_NE(fixture.Stored(imported).body_html.find("https://video.example/embed/1"),
            std::string::npos);
  EXPECT_EQ(fixture.Stored(editors).body_html, kHostile);
  EXPECT_EQ(fixture.Stored(clean).body_html, "<p>Fine.</p>");
  EXPECT_EQ((*fixture.store->FindAuthor("jane"))->bio_html.find("<script"), std::string::npos);

  // A second start does nothing, even to a body written raw since.
  const auto later = fixture.StorePost("later", fixture.contributor, kHostile);
  auto again = RefilterStoredHtml(*fixture.store, policy);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->ran);
  EXPECT_EQ(fixture.Stored(later).body_html, kHostile);
}

TEST(RefilterStoredHtml, FilteringItsOwnOutputChangesNothing) {
  Fixture fixture;
  const auto id = fixture.StorePost("once", fixture.author, std::string(kEmbed) + kHostile);
  ASSERT_TRUE(RefilterStoredHtml(*fixture.store, fixture.Policy()));
  const std::string once = fixture.Stored(id).body_html;
  auto twice = fixture.Policy().Filter(once);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, once);
}

TEST(RefilterStoredHtml, ABodyTheFilterRefusesKeepsOnlyItsText) {
  Fixture fixture;
  std::string deep;
  for (int i = 0; i < 2 * markdown::kMaxParseDepth; ++i) deep += "<div>";
  deep += "words<script>x()</script>";
  const auto id = fixture.StorePost("deep", fixture.author, deep);
  auto report = RefilterStoredHtml(*fixture.store, fixture.Policy());
  ASSERT_TRUE(report) << Describe(report.error());
  const std::string html = fixture.Stored(id).body_html;
  EXPECT_EQ(html.find("<div"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("words"), std::string::npos);
}

}  // namespace
}  // namespace broadsheet::content
