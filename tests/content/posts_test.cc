// The publishing rules themselves (content/posts.h), without HTTP: who may move a post where,
// and what becomes of its address.
#include "content/posts.h"

#include "content/records.h"

#include <gtest/gtest.h>

#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::content {
namespace {

using auth::Role;

constexpr Timestamp kNow = 1'800'000'000;

class PostsTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    BROADSHEET_OPEN_TEST_STORE(store_);
    policy_.emplace(*store_, markdown::FilterOptions{});
    posts_.emplace(*store_, *policy_);
    editor_ = Actor{AddUser("editor@example.org", "editor"), Role::kEditor};
    author_ = Actor{AddUser("author@example.org", "author"), Role::kAuthor};
    writer_ = Actor{AddUser("writer@example.org", "contributor"), Role::kContributor};
    Author staff;
    staff.slug = "staff-writer";
    staff.name = "Staff Writer";
    ASSERT_TRUE(store_->UpsertAuthor(staff));
  }

  std::int64_t AddUser(const std::string& email, const std::string& role) {
    User user;
    user.email = email;
    user.name = email;
    user.role = role;
    return *store_->CreateUser(user);
  }

  static PostInput Input(const std::string& title, const std::string& body = "Words.") {
    PostInput input;
    input.title = title;
    input.body = body;
    input.authors = "staff-writer";  // an article is published with a byline (see Byline tests)
    return input;
  }

  // Saves and expects success.
  std::int64_t Save(const Actor& actor, std::optional<std::int64_t> id, const PostInput& input,
                    Step step, Timestamp now = kNow) {
    auto saved = posts_->Save(actor, id, input, id ? Stored(*id).edit_count : 0, step, now);
    EXPECT_TRUE(saved) << Describe(saved.error());
    return saved ? *saved : 0;
  }
  ErrorCode Refusal(const Actor& actor, std::optional<std::int64_t> id, const PostInput& input,
                    Step step, Timestamp now = kNow) {
    auto saved = posts_->Save(actor, id, input, id ? Stored(*id).edit_count : 0, step, now);
    EXPECT_FALSE(saved);
    return saved ? ErrorCode::kInternal : saved.error().code;
  }
  Post Stored(std::int64_t id) { return (*store_->FindPostById(id))->post; }
  PostInput InputOf(std::int64_t id) {
    return Posts::InputOf(**store_->FindPostById(id), TimeZone());
  }
  std::optional<Redirect> RedirectAt(const std::string& path) {
    return *store_->FindRedirect(path);
  }

  std::unique_ptr<SqlStore> store_;
  std::optional<BodyPolicy> policy_;
  std::optional<Posts> posts_;
  Actor editor_, author_, writer_;
};

TEST_P(PostsTest, AContributorWritesAndSubmitsButCannotPublish) {
  const std::int64_t id =
      Save(writer_, std::nullopt, Input("Sanctions at the Border"), Step::kSave);
  EXPECT_EQ(Stored(id).status, PostStatus::kDraft);
  EXPECT_EQ(Stored(id).created_by, writer_.user_id);
  EXPECT_EQ(Refusal(writer_, id, InputOf(id), Step::kPublish), ErrorCode::kForbidden);
  EXPECT_EQ(Refusal(writer_, id, InputOf(id), Step::kSchedule), ErrorCode::kForbidden);
  EXPECT_EQ(Stored(id).status, PostStatus::kDraft);
  Save(writer_, id, InputOf(id), Step::kSubmit);
  EXPECT_EQ(Stored(id).status, PostStatus::kPending);

  Save(editor_, id, InputOf(id), Step::kPublish);
  EXPECT_EQ(Stored(id).status, PostStatus::kPublished);
  EXPECT_EQ(Stored(id).published_at, kNow);
  // Published, it is no longer the contributor's to change.
  EXPECT_EQ(Refusal(writer_, id, InputOf(id), Step::kSave), ErrorCode::kForbidden);
  EXPECT_FALSE(MayEdit(writer_, Stored(id)));
}

TEST_P(PostsTest, OnlyEditorsTouchOtherPeoplesPosts) {
  const std::int64_t id = Save(author_, std::nullopt, Input("An Author's Piece"), Step::kPublish);
  EXPECT_EQ(Stored(id).status, PostStatus::kPublished);
  Save(author_, id, Input("An Author's Piece, Revised"), Step::kSave);  // their own, published
  EXPECT_EQ(Refusal(writer_, id, Input("Taken Over"), Step::kSave), ErrorCode::kForbidden);
  const Actor other_author{AddUser("other@example.org", "author"), Role::kAuthor};
  EXPECT_EQ(Refusal(other_author, id, Input("Taken Over"), Step::kSave), ErrorCode::kForbidden);
  EXPECT_EQ(Refusal(other_author, id, InputOf(id), Step::kTrash), ErrorCode::kForbidden);
  Save(editor_, id, Input("Edited by the Desk"), Step::kSave);
  EXPECT_EQ(Stored(id).title, "Edited by the Desk");
  EXPECT_EQ(posts_->FindForEdit(writer_, id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(posts_->FindForEdit(editor_, id + 100).error().code, ErrorCode::kNotFound);
}

TEST_P(PostsTest, PublishingAndSchedulingFollowTheDate) {
  PostInput later = Input("Due Tomorrow");
  later.date = "2027-01-16T09:00";  // after kNow (2027-01-15T08:00Z)
  const std::int64_t id = Save(editor_, std::nullopt, later, Step::kSave);
  EXPECT_EQ(Refusal(editor_, id, later, Step::kPublish), ErrorCode::kInvalidArgument);
  Save(editor_, id, later, Step::kSchedule);
  EXPECT_EQ(Stored(id).status, PostStatus::kScheduled);
  EXPECT_EQ(*Posts::PublishDue(*store_, kNow), 0);
  EXPECT_EQ(*Posts::PublishDue(*store_, *Stored(id).published_at), 1);
  EXPECT_EQ(Stored(id).status, PostStatus::kPublished);

  PostInput past = Input("Already Past");
  past.date = "2020-01-01T00:00";
  const std::int64_t other = Save(editor_, std::nullopt, past, Step::kSave);
  EXPECT_EQ(Refusal(editor_, other, past, Step::kSchedule), ErrorCode::kInvalidArgument);
}

TEST_P(PostsTest, ARenamedPublishedPostLeavesA301AndADraftLeavesNothing) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("Grid Security"), Step::kPublish);
  PostInput renamed = InputOf(id);
  renamed.slug = "grid-security-europe";
  Save(editor_, id, renamed, Step::kSave);
  const auto redirect = RedirectAt("/grid-security/");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->to_path, "/grid-security-europe/");

  const std::int64_t draft = Save(editor_, std::nullopt, Input("Draft Only"), Step::kSave);
  PostInput moved = InputOf(draft);
  moved.slug = "draft-moved";
  Save(editor_, draft, moved, Step::kSave);
  EXPECT_FALSE(RedirectAt("/draft-only/"));
}

TEST_P(PostsTest, TrashingAPublishedPostLeaves410UntilItIsPublishedAgain) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("Energy Talks"), Step::kPublish);
  Save(editor_, id, InputOf(id), Step::kTrash);
  EXPECT_EQ(Stored(id).status, PostStatus::kTrash);
  ASSERT_TRUE(RedirectAt("/energy-talks/"));
  EXPECT_EQ(RedirectAt("/energy-talks/")->status, 410);
  // A trashed post is restored before anything else happens to it.
  EXPECT_EQ(Refusal(editor_, id, InputOf(id), Step::kPublish), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Refusal(editor_, id, InputOf(id), Step::kTrash), ErrorCode::kInvalidArgument);
  Save(editor_, id, InputOf(id), Step::kRestore);
  EXPECT_EQ(Stored(id).status, PostStatus::kDraft);
  // Saving the draft does not bring the address back to life: the 410 stays.
  Save(editor_, id, InputOf(id), Step::kSave);
  EXPECT_TRUE(RedirectAt("/energy-talks/"));
  Save(editor_, id, InputOf(id), Step::kPublish);
  EXPECT_FALSE(RedirectAt("/energy-talks/"));
}

TEST_P(PostsTest, ANewPostPublishedAtOnceTakesItsAddressBack) {
  ASSERT_TRUE(store_->PutRedirect({"/foo/", "", 410, kNow}));
  PostInput input = Input("Foo Returns");
  input.slug = "foo";
  Save(editor_, std::nullopt, input, Step::kPublish);
  EXPECT_FALSE(RedirectAt("/foo/"));
  ASSERT_TRUE(store_->PutRedirect({"/bar/", "/elsewhere/", 301, kNow}));
  input.slug = "bar";
  input.date = "2027-03-01T09:00";
  Save(editor_, std::nullopt, input, Step::kSchedule);
  EXPECT_FALSE(RedirectAt("/bar/"));
}

TEST_P(PostsTest, ADraftAtARedirectedAddressLeavesTheRedirectAlone) {
  ASSERT_TRUE(store_->PutRedirect({"/old-report/", "/reports/2026/", 301, kNow}));
  const std::int64_t id = Save(editor_, std::nullopt, Input("Old Report"), Step::kSave);
  Save(editor_, id, InputOf(id), Step::kSave);
  EXPECT_TRUE(RedirectAt("/old-report/"));
  PostInput later = InputOf(id);
  later.date = "2027-02-01T09:00";
  Save(editor_, id, later, Step::kSchedule);
  EXPECT_FALSE(RedirectAt("/old-report/"));
}

TEST_P(PostsTest, AnOutOfDateFormChangesNothing) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("First Words"), Step::kSave);
  const int opened_at = Stored(id).edit_count;
  Save(editor_, id, Input("Someone Else Saved"), Step::kSave);
  auto late = posts_->Save(editor_, id, Input("My Late Save"), opened_at, Step::kSave, kNow);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Stored(id).title, "Someone Else Saved");
}

TEST_P(PostsTest, AutosaveKeepsDraftsOnlyAndNeverTheirState) {
  const std::int64_t id = Save(writer_, std::nullopt, Input("Work in Progress"), Step::kSave);
  auto saved =
      posts_->Autosave(writer_, id, Input("Work in Progress, Later"), Stored(id).edit_count);
  ASSERT_TRUE(saved) << Describe(saved.error());
  EXPECT_EQ(Stored(id).title, "Work in Progress, Later");
  EXPECT_EQ(Stored(id).status, PostStatus::kDraft);

  const std::int64_t live = Save(editor_, std::nullopt, Input("Live Piece"), Step::kPublish);
  auto refused = posts_->Autosave(editor_, live, Input("Half-Written"), Stored(live).edit_count);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Stored(live).title, "Live Piece");
}

TEST_P(PostsTest, AFieldThatIsWrongIsNamedAndNothingIsStored) {
  EXPECT_EQ(Refusal(editor_, std::nullopt, Input(""), Step::kSave), ErrorCode::kInvalidArgument);
  PostInput unknown = Input("Bylines");
  unknown.authors = "nobody-here";
  auto saved = posts_->Save(editor_, std::nullopt, unknown, 0, Step::kSave, kNow);
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::kInvalidArgument);
  PostInput image = Input("Pictures");
  image.image_url = "javascript:alert(1)";
  EXPECT_EQ(Refusal(editor_, std::nullopt, image, Step::kSave), ErrorCode::kInvalidArgument);
  image.image_url = "https://images.example/a.jpg";
  EXPECT_EQ(Refusal(editor_, std::nullopt, image, Step::kSave), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->CountPostsForDesk({}).value(), 0);
}

TEST_P(PostsTest, AContributorsBodyIsFilteredWhateverTheSetting) {
  ASSERT_TRUE(store_->SetDeskSetting(kUnfilteredHtmlSetting, "1"));
  const std::string body = "<p>Text<script>alert(1)</script></p>";
  const std::int64_t id = Save(writer_, std::nullopt, Input("Hostile", body), Step::kSave);
  EXPECT_EQ(Stored(id).body_html.find("<script"), std::string::npos);
  const std::int64_t own = Save(editor_, std::nullopt, Input("Trusted", body), Step::kSave);
  EXPECT_NE(Stored(own).body_html.find("<script"), std::string::npos);
  // The editor's preview of the contributor's post is what the save would store: filtered; of
  // their own, not. A contributor gets no preview of the editor's post.
  auto theirs = posts_->Preview(editor_, id, InputOf(id), kNow);
  ASSERT_TRUE(theirs) << Describe(theirs.error());
  EXPECT_EQ(theirs->post.body_html.find("<script"), std::string::npos);
  auto mine = posts_->Preview(editor_, own, InputOf(own), kNow);
  ASSERT_TRUE(mine) << Describe(mine.error());
  EXPECT_NE(mine->post.body_html.find("<script"), std::string::npos);
  auto refused = posts_->Preview(writer_, own, InputOf(own), kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
}

TEST_P(PostsTest, ARevisionComesBackAsANewEdit) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("The First Headline"), Step::kSave);
  Save(editor_, id, Input("The Second Headline"), Step::kSave);
  const auto revisions = *store_->ListRevisions(id);
  ASSERT_GE(revisions.size(), 2u);
  const Revision& first = revisions.back();
  ASSERT_EQ(first.title, "The First Headline");
  ASSERT_TRUE(posts_->RestoreRevision(editor_, id, first.id, Stored(id).edit_count, kNow));
  EXPECT_EQ(Stored(id).title, "The First Headline");
  EXPECT_EQ(posts_->RestoreRevision(writer_, id, first.id, std::nullopt, kNow).error().code,
            ErrorCode::kForbidden);
  const std::int64_t other = Save(editor_, std::nullopt, Input("Another"), Step::kSave);
  EXPECT_EQ(posts_->RestoreRevision(editor_, other, first.id, std::nullopt, kNow).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(posts_->RestoreRevision(editor_, id, first.id, 0, kNow).error().code,
            ErrorCode::kConflict);
}

TEST_P(PostsTest, NotesAreForPublishedArticles) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("Figures"), Step::kSave);
  EXPECT_EQ(posts_->AddNote(editor_, id, "correction", "Fixed.", kNow).error().code,
            ErrorCode::kInvalidArgument);
  Save(editor_, id, InputOf(id), Step::kPublish);
  EXPECT_EQ(posts_->AddNote(editor_, id, "correction", "  ", kNow).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(posts_->AddNote(editor_, id, "retraction", "No.", kNow).error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(posts_->AddNote(editor_, id, "correction", " The figure was 12%. ", kNow + 60));
  const auto detail = **store_->FindPostById(id);
  ASSERT_EQ(detail.notes.size(), 1u);
  EXPECT_EQ(detail.notes[0].text, "The figure was 12%.");
  EXPECT_EQ(detail.post.updated_at, kNow + 60);
}

TEST_P(PostsTest, OnlyEditorsRewordOrRemoveNotes) {
  const std::int64_t id = Save(author_, std::nullopt, Input("Own Figures"), Step::kPublish);
  const std::int64_t note = *posts_->AddNote(author_, id, "correction", "It was 12%.", kNow + 60);
  EXPECT_FALSE(MayChangeNotes(author_));
  EXPECT_FALSE(MayChangeNotes(writer_));
  EXPECT_TRUE(MayChangeNotes(editor_));
  // The author may add to their own article, but not take back what it told readers.
  EXPECT_EQ(posts_->EditNote(author_, id, note, "correction", "It was 13%.").error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(posts_->RemoveNote(author_, id, note).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(posts_->EditNote(writer_, id, note, "correction", "It was 13%.").error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(posts_->RemoveNote(writer_, id, note).error().code, ErrorCode::kForbidden);
  EXPECT_EQ((**store_->FindPostById(id)).notes.at(0).text, "It was 12%.");
}

TEST_P(PostsTest, AnEditorRewordsANoteKeepingItsDate) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("Vote Count"), Step::kPublish);
  const std::int64_t note = *posts_->AddNote(editor_, id, "correction", "It was 52.", kNow + 60);
  auto before = posts_->EditNote(editor_, id, note, "update", "  It was 51.  ");
  ASSERT_TRUE(before) << Describe(before.error());
  EXPECT_EQ(before->text, "It was 52.");
  const auto detail = **store_->FindPostById(id);
  ASSERT_EQ(detail.notes.size(), 1u);
  EXPECT_EQ(detail.notes[0].kind, "update");
  EXPECT_EQ(detail.notes[0].text, "It was 51.");
  EXPECT_EQ(detail.notes[0].at, kNow + 60);
  EXPECT_EQ(detail.post.updated_at, kNow + 60);  // rewording is not a new update

  EXPECT_EQ(posts_->EditNote(editor_, id, note, "correction", " ").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(posts_->EditNote(editor_, id, note, "retraction", "No.").error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(posts_->EditNote(editor_, id, note, "correction", std::string(2001, 'x')).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(posts_->EditNote(editor_, id, note + 99, "correction", "x").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(posts_->EditNote(editor_, id + 99, note, "correction", "x").error().code,
            ErrorCode::kNotFound);
}

TEST_P(PostsTest, AnEditorRemovesANoteOfThatArticleOnly) {
  const std::int64_t id = Save(editor_, std::nullopt, Input("First Piece"), Step::kPublish);
  const std::int64_t other = Save(editor_, std::nullopt, Input("Second Piece"), Step::kPublish);
  const std::int64_t note = *posts_->AddNote(editor_, id, "update", "Added a chart.", kNow);
  const std::int64_t kept = *posts_->AddNote(editor_, id, "correction", "Fixed a name.", kNow);
  // A note is named together with its article: another article's id does not reach it.
  EXPECT_EQ(posts_->RemoveNote(editor_, other, note).error().code, ErrorCode::kNotFound);
  auto removed = posts_->RemoveNote(editor_, id, note);
  ASSERT_TRUE(removed) << Describe(removed.error());
  EXPECT_EQ(removed->text, "Added a chart.");
  const auto detail = **store_->FindPostById(id);
  ASSERT_EQ(detail.notes.size(), 1u);
  EXPECT_EQ(detail.notes[0].id, kept);
  EXPECT_EQ(posts_->RemoveNote(editor_, id, note).error().code, ErrorCode::kNotFound);
}

TEST_P(PostsTest, APreviewShowsTheUnsavedArticleAndStoresNothing) {
  const auto id =
      Save(writer_, std::nullopt, Input("Stored Headline", "Stored words."), Step::kSave);
  PostInput input = InputOf(id);
  input.title = "";
  input.body = "Unsaved *words*.";
  input.tags = "Brand New Tag";
  auto preview = posts_->Preview(writer_, id, input, kNow);
  ASSERT_TRUE(preview) << Describe(preview.error());
  EXPECT_EQ(preview->post.title, "Untitled");
  EXPECT_NE(preview->post.body_html.find("<em>words</em>"), std::string::npos);
  EXPECT_EQ(preview->post.published_at, kNow);
  ASSERT_EQ(preview->tags.size(), 1u);
  EXPECT_EQ(preview->tags[0].name, "Brand New Tag");
  // Nothing stored: neither the text nor the tag.
  EXPECT_EQ(Stored(id).body_markdown, "Stored words.");
  EXPECT_EQ(Stored(id).edit_count, 1);
  auto tag = store_->FindTag("brand-new-tag");
  ASSERT_TRUE(tag);
  EXPECT_FALSE(*tag);
  // The save's rules hold: a wrong field is named, and only people who may edit the post see it.
  input.section = "no-such-section";
  auto wrong = posts_->Preview(writer_, id, input, kNow);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  auto other = posts_->Preview(author_, id, InputOf(id), kNow);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kForbidden);
}

TEST_P(PostsTest, OnlyEditorsEmptyTheTrash) {
  const std::int64_t id = Save(author_, std::nullopt, Input("Gone Soon"), Step::kPublish);
  Save(author_, id, InputOf(id), Step::kTrash);
  EXPECT_EQ(posts_->EmptyTrash(author_).error().code, ErrorCode::kForbidden);
  // A draft trashed before it was ever published leaves its address answering 410 too.
  const std::int64_t draft = Save(writer_, std::nullopt, Input("Never Out"), Step::kSave);
  Save(writer_, draft, InputOf(draft), Step::kTrash);
  EXPECT_FALSE(RedirectAt("/never-out/"));
  EXPECT_EQ(*posts_->EmptyTrash(editor_), 2);
  EXPECT_FALSE(*store_->FindPostById(id));
  ASSERT_TRUE(RedirectAt("/gone-soon/"));
  EXPECT_EQ(RedirectAt("/gone-soon/")->status, 410);
  ASSERT_TRUE(RedirectAt("/never-out/"));
  EXPECT_EQ(RedirectAt("/never-out/")->status, 410);
}

TEST_P(PostsTest, AnImportedPostTakesBackItsAddressAndNeedsAUsableOne) {
  ASSERT_TRUE(store_->PutRedirect({"/back-again/", "", 410, kNow}));
  Post post;
  post.slug = "back-again";
  post.title = "Back Again";
  post.status = PostStatus::kPublished;
  post.created_at = kNow;
  auto id = Posts::Import(*store_, post);
  ASSERT_TRUE(id) << Describe(id.error());
  EXPECT_FALSE(RedirectAt("/back-again/"));
  EXPECT_EQ(Stored(*id).published_at, kNow);  // a published post always has a date

  post.slug = "Not A Slug";
  EXPECT_EQ(Posts::Import(*store_, post).error().code, ErrorCode::kInvalidArgument);
  post.slug = "../etc";
  EXPECT_EQ(Posts::Import(*store_, post).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(PostsTest, AnArticleWithoutABylineIsPublishedOnlyWhenConfirmed) {
  PostInput input = Input("Nobody's Piece");
  input.authors = "";
  const std::int64_t id = Save(editor_, std::nullopt, input, Step::kSave);
  EXPECT_EQ(Refusal(editor_, id, input, Step::kPublish), ErrorCode::kInvalidArgument);
  input.date = "2030-01-01T09:00";
  EXPECT_EQ(Refusal(editor_, id, input, Step::kSchedule), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Stored(id).status, PostStatus::kDraft);
  input.date = "";
  input.without_byline = true;
  Save(editor_, id, input, Step::kPublish);
  EXPECT_EQ(Stored(id).status, PostStatus::kPublished);
  // A page has no byline to miss.
  PostInput page = Input("About Us");
  page.authors = "";
  page.kind = "page";
  const std::int64_t about = Save(editor_, std::nullopt, page, Step::kPublish);
  EXPECT_EQ(Stored(about).status, PostStatus::kPublished);
}

TEST_P(PostsTest, AWritersLinkedProfileIsTheDefaultByline) {
  EXPECT_EQ(*posts_->DefaultByline(writer_), "");
  auto user = **store_->FindUser(writer_.user_id);
  auto slug = CreateProfileFor(*store_, user);
  ASSERT_TRUE(slug) << Describe(slug.error());
  EXPECT_EQ(*slug, "writer-example-org");
  EXPECT_EQ(*posts_->DefaultByline(writer_), "writer-example-org");
  // One profile each: a second is refused, and another account cannot take this one.
  user = **store_->FindUser(writer_.user_id);
  EXPECT_EQ(CreateProfileFor(*store_, user).error().code, ErrorCode::kConflict);
  EXPECT_EQ(LinkProfile(*store_, editor_.user_id, *slug).error().code, ErrorCode::kConflict);
  EXPECT_EQ(LinkProfile(*store_, editor_.user_id, "nobody-here").error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(LinkProfile(*store_, editor_.user_id, "staff-writer"));
  EXPECT_EQ(*posts_->DefaultByline(editor_), "staff-writer");
  ASSERT_TRUE(LinkProfile(*store_, editor_.user_id, ""));
  EXPECT_EQ(*posts_->DefaultByline(editor_), "");
  // A second account with the same name gets its own address.
  User namesake;
  namesake.id = author_.user_id;
  namesake.name = "writer@example.org";
  EXPECT_EQ(*CreateProfileFor(*store_, namesake), "writer-example-org-2");
}

TEST_P(PostsTest, AnAuthorProfileIsPublicOnceAnArticleWithItsBylineIsPublished) {
  Author hand_made;
  hand_made.slug = "hand-made";
  hand_made.name = "Hand Made";
  ASSERT_TRUE(store_->UpsertAuthor(hand_made));
  auto public_slugs = [&](Timestamp now) {
    std::vector<std::string> slugs;
    auto listed = store_->ListPublicAuthors(now);
    EXPECT_TRUE(listed) << Describe(listed.error());
    if (listed)
      for (const Author& author : *listed) slugs.push_back(author.slug);
    return slugs;
  };
  // Profiles without a published article are not public: no list has them, no page finds them.
  EXPECT_TRUE(public_slugs(kNow + 1000).empty());
  EXPECT_FALSE(*store_->FindPublicAuthor("staff-writer", kNow + 1000));
  ASSERT_TRUE(*store_->FindAuthor("staff-writer"));  // the desk still has it
  // A draft, a scheduled article and a published page do not make it public.
  const std::int64_t draft = Save(editor_, std::nullopt, Input("Draft Analysis"), Step::kSave);
  PostInput later = Input("Later Analysis");
  later.date = "2027-01-16T09:00";  // after kNow
  Save(editor_, std::nullopt, later, Step::kSchedule);
  PostInput page = Input("About Us");
  page.kind = "page";
  Save(editor_, std::nullopt, page, Step::kPublish);
  EXPECT_TRUE(public_slugs(kNow + 1000).empty());
  EXPECT_FALSE(*store_->FindPublicAuthor("staff-writer", kNow + 1000));
  // Its first published article does, from the moment it is out.
  Save(editor_, draft, InputOf(draft), Step::kPublish);
  const Timestamp out = *Stored(draft).published_at;
  EXPECT_EQ(public_slugs(out), std::vector<std::string>{"staff-writer"});
  EXPECT_TRUE(public_slugs(out - 1).empty());
  auto found = store_->FindPublicAuthor("staff-writer", out);
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->name, "Staff Writer");
  EXPECT_FALSE(*store_->FindPublicAuthor("hand-made", out));
  // Unpublished again, it is private again.
  Save(editor_, draft, InputOf(draft), Step::kUnpublish);
  EXPECT_TRUE(public_slugs(kNow + 3000).empty());
}

// A new account as the invite form gives it: no password, the profile chosen automatically.
NewAccount Account(std::string email, std::string name, std::string role) {
  NewAccount account;
  account.email = std::move(email);
  account.name = std::move(name);
  account.role = std::move(role);
  return account;
}

TEST_P(PostsTest, ANewAccountLinksAFreeProfileOfItsNameOrGetsItsOwn) {
  auth::Accounts accounts(*store_);
  auto profiles = [&] { return store_->ListAuthors()->size(); };
  const auto before = profiles();
  // The profile of exactly the same name that no account has is linked, not duplicated.
  auto linked = AddAccount(*store_, accounts, nullptr,
                           Account("staff@example.org", "Staff Writer", "contributor"));
  ASSERT_TRUE(linked) << Describe(linked.error());
  EXPECT_EQ(linked->profile_slug, "staff-writer");
  EXPECT_FALSE(linked->profile_created);
  EXPECT_EQ(profiles(), before);
  const auto staff_writer = (*store_->FindAuthor("staff-writer"))->id;
  EXPECT_EQ((**store_->FindUserByEmail("staff@example.org")).author_id, staff_writer);
  // A namesake whose profile is taken gets a new one; so does a writer with no namesake.
  auto namesake = AddAccount(*store_, accounts, nullptr,
                             Account("other@example.org", "Staff Writer", "author"));
  ASSERT_TRUE(namesake);
  EXPECT_EQ(namesake->profile_slug, "staff-writer-2");
  EXPECT_TRUE(namesake->profile_created);
  // An editor gets none unless one is chosen; "none" gives a writer none.
  auto editor =
      AddAccount(*store_, accounts, nullptr, Account("ed@example.org", "Ed Itor", "editor"));
  ASSERT_TRUE(editor);
  EXPECT_EQ(editor->profile_slug, "");
  EXPECT_FALSE(editor->user.author_id);
  NewAccount bare = Account("bare@example.org", "Bare Writer", "contributor");
  bare.profile = ProfileChoice::kNone;
  ASSERT_TRUE(AddAccount(*store_, accounts, nullptr, bare));
  EXPECT_FALSE((**store_->FindUserByEmail("bare@example.org")).author_id);
  // Linking a profile another account has is refused, and no account is left behind.
  NewAccount taken = Account("taken@example.org", "Someone Else", "contributor");
  taken.profile = ProfileChoice::kExisting;
  taken.author_slug = "staff-writer";
  auto refused = AddAccount(*store_, accounts, nullptr, taken);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(*store_->FindUserByEmail("taken@example.org"));
  taken.author_slug = "no-such-profile";
  EXPECT_EQ(AddAccount(*store_, accounts, nullptr, taken).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(*store_->FindUserByEmail("taken@example.org"));
  // A refused account leaves no new profile either.
  NewAccount twice = Account("staff@example.org", "Twice Over", "contributor");
  twice.profile = ProfileChoice::kNew;
  EXPECT_EQ(AddAccount(*store_, accounts, nullptr, twice).error().code, ErrorCode::kConflict);
  EXPECT_FALSE(*store_->FindAuthor("twice-over"));
  // Through the desk, the actor's role decides which roles may be given.
  auth::Viewer viewer;
  viewer.user = **store_->FindUser(editor_.user_id);
  viewer.role = Role::kEditor;
  EXPECT_EQ(AddAccount(*store_, accounts, &viewer, Account("x@example.org", "X", "contributor"))
                .error()
                .code,
            ErrorCode::kForbidden);
}

TEST_P(PostsTest, ReturnToWriterSendsAPendingPostBackWithANote) {
  const std::int64_t id = Save(writer_, std::nullopt, Input("First Draft"), Step::kSave);
  Save(writer_, id, InputOf(id), Step::kSubmit, kNow + 10);
  EXPECT_EQ(Stored(id).submitted_at, kNow + 10);
  // Writers and authors do not review; a note is required.
  EXPECT_EQ(posts_->ReturnToWriter(writer_, id, "Shorter.", kNow).error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(posts_->ReturnToWriter(author_, id, "Shorter.", kNow).error().code,
            ErrorCode::kForbidden);
  EXPECT_EQ(posts_->ReturnToWriter(editor_, id, "  ", kNow).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Stored(id).status, PostStatus::kPending);
  auto returned = posts_->ReturnToWriter(editor_, id, " Cut the second half. ", kNow + 20);
  ASSERT_TRUE(returned) << Describe(returned.error());
  EXPECT_EQ(returned->created_by, writer_.user_id);
  EXPECT_EQ(Stored(id).status, PostStatus::kDraft);
  // Only a post under review goes back.
  EXPECT_EQ(posts_->ReturnToWriter(editor_, id, "Again.", kNow).error().code,
            ErrorCode::kInvalidArgument);
  auto notes = posts_->EditorialNotes(writer_, id);
  ASSERT_TRUE(notes);
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].text, "Cut the second half.");
  EXPECT_EQ((*notes)[0].user_id, editor_.user_id);
  EXPECT_EQ((*notes)[0].user_name, "editor@example.org");
  EXPECT_EQ((*notes)[0].at, kNow + 20);
  EXPECT_FALSE((*notes)[0].resolved_at);
  ASSERT_EQ(posts_->OpenEditorialNotes(writer_)->size(), 1u);
  EXPECT_EQ((*posts_->OpenEditorialNotes(writer_))[0].post_id, id);
  EXPECT_EQ((*posts_->OpenEditorialNotes(writer_))[0].open, 1);
  EXPECT_TRUE(posts_->OpenEditorialNotes(editor_)->empty());
}

// A writer's dashboard counts only the notes they can reach: a contributor may not open their
// post once an editor has published it (kEditOwnPublished is an author's), so its notes are not
// theirs; an author's published post stays theirs to open, and its notes count.
TEST_P(PostsTest, OpenEditorialNotesAreOnlyThoseOnPostsTheWriterMayOpen) {
  const std::int64_t contributed = Save(writer_, std::nullopt, Input("Contributed"), Step::kSubmit);
  ASSERT_TRUE(posts_->AddEditorialNote(editor_, contributed, "Check the dates.", kNow));
  ASSERT_EQ(posts_->OpenEditorialNotes(writer_)->size(), 1u);
  Save(editor_, contributed, InputOf(contributed), Step::kPublish);
  EXPECT_EQ(posts_->FindForEdit(writer_, contributed).error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(posts_->OpenEditorialNotes(writer_)->empty());

  const std::int64_t authored = Save(author_, std::nullopt, Input("Authored"), Step::kPublish);
  ASSERT_TRUE(posts_->AddEditorialNote(editor_, authored, "A fact to check.", kNow));
  ASSERT_TRUE(posts_->AddEditorialNote(editor_, authored, "And a link.", kNow + 1));
  auto open = posts_->OpenEditorialNotes(author_);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].post_id, authored);
  EXPECT_EQ((*open)[0].open, 2);
  EXPECT_EQ((*open)[0].status, PostStatus::kPublished);
  EXPECT_TRUE(posts_->FindForEdit(author_, authored));
}

TEST_P(PostsTest, EditorialNotesStayWithTheWriterAndTheEditors) {
  const std::int64_t id = Save(writer_, std::nullopt, Input("Private Notes"), Step::kSave);
  const Actor other{AddUser("other@example.org", "contributor"), Role::kContributor};
  EXPECT_EQ(posts_->AddEditorialNote(writer_, id, "Mine.", kNow).error().code,
            ErrorCode::kForbidden);
  auto note = posts_->AddEditorialNote(editor_, id, "Check the figures.", kNow);
  ASSERT_TRUE(note) << Describe(note.error());
  EXPECT_EQ(posts_->AddEditorialNote(editor_, id, "", kNow).error().code,
            ErrorCode::kInvalidArgument);
  // Another contributor reads and resolves nothing here.
  EXPECT_EQ(posts_->EditorialNotes(other, id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(posts_->ResolveEditorialNote(other, id, *note, kNow).error().code,
            ErrorCode::kForbidden);
  // The writer resolves it, once; the note says who and when.
  ASSERT_TRUE(posts_->ResolveEditorialNote(writer_, id, *note, kNow + 30));
  EXPECT_EQ(posts_->ResolveEditorialNote(writer_, id, *note, kNow + 40).error().code,
            ErrorCode::kNotFound);
  const auto notes = *posts_->EditorialNotes(editor_, id);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].resolved_at, kNow + 30);
  EXPECT_EQ(notes[0].resolved_by, writer_.user_id);
  EXPECT_EQ(notes[0].resolved_by_name, "writer@example.org");
  EXPECT_TRUE(posts_->OpenEditorialNotes(writer_)->empty());
  // A note of another post is not this one's.
  const std::int64_t second = Save(writer_, std::nullopt, Input("Another"), Step::kSave);
  const auto other_note = *posts_->AddEditorialNote(editor_, second, "Elsewhere.", kNow);
  EXPECT_EQ(posts_->ResolveEditorialNote(editor_, id, other_note, kNow).error().code,
            ErrorCode::kNotFound);
}

TEST_P(PostsTest, TheReviewQueueListsOldestSubmissionFirst) {
  const std::int64_t early = Save(writer_, std::nullopt, Input("Written Early"), Step::kSave);
  const std::int64_t late = Save(writer_, std::nullopt, Input("Written Late"), Step::kSave);
  Save(writer_, late, InputOf(late), Step::kSubmit, kNow + 100);
  Save(writer_, early, InputOf(early), Step::kSubmit, kNow + 200);
  DeskQuery query;
  query.status = PostStatus::kPending;
  query.oldest_submitted_first = true;
  const auto queue = *store_->ListPostsForDesk(query);
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue[0].post.id, late);
  EXPECT_EQ(queue[1].post.id, early);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, PostsTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::content
