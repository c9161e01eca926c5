#include "importers/site_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "importers/wordpress.h"
#include "importers/wxr_writer.h"
#include "storage/sql_store.h"
#include "test_stores.h"
#include "test_util.h"

namespace broadsheet::importers {
namespace {

std::string Export(Store& store) {
  std::ostringstream out;
  auto done = ExportSiteJson(store, out);
  EXPECT_TRUE(done) << (done ? "" : done.error().message);
  return out.str();
}

// A site with one of everything the export carries.
void Fill(Store& store) {
  Publication publication;
  publication.title = "The Test Review";
  publication.timezone = "Europe/Berlin";
  publication.logo = "/uploads/media/2026/12/logo.png";
  publication.favicon = "/uploads/media/2026/12/icon.png";
  publication.accent_color = "#1f3a5f";
  publication.navigation = R"([{"kind":"section","label":"","target":"security"}])";
  ASSERT_TRUE(store.SavePublication(publication));
  ASSERT_TRUE(store.SetDeskSetting("robots_txt", "User-agent: *\nDisallow: /admin/\n"));
  User editor;
  editor.email = "ed@example.org";
  editor.name = "Ed Itor";
  editor.role = "editor";
  editor.password_hash = "$argon2id$secret";
  editor.created_at = 1700000000;
  auto user = store.CreateUser(editor);
  ASSERT_TRUE(user);
  Section section;
  section.slug = "security";
  section.name = "Security and Foreign Policy";
  section.opinion = true;
  section.disclaimer = "Views are the author's.";
  auto section_id = store.UpsertSection(section);
  Author author;
  author.slug = "jane-doe";
  author.name = "Jane Doe";
  author.bio_markdown = "Jane *writes*.";
  author.bio_html = "<p>Jane <em>writes</em>.</p>\n";
  auto author_id = store.UpsertAuthor(author);
  auto tag_id = store.UpsertTag(Tag{0, "korea", "Korea"});
  ASSERT_TRUE(section_id && author_id && tag_id);
  // Staff accounts with their own author profiles: the editor's is Jane Doe, a contributor's
  // their own.
  ASSERT_TRUE(store.SetUserAuthor(*user, *author_id));
  User contributor;
  contributor.email = "cw@example.org";
  contributor.name = "Carla Writer";
  contributor.role = "contributor";
  contributor.created_at = 1700000050;
  auto writer = store.CreateUser(contributor);
  ASSERT_TRUE(writer);
  Author own;
  own.slug = "carla-writer";
  own.name = "Carla Writer";
  auto own_id = store.UpsertAuthor(own);
  ASSERT_TRUE(own_id);
  ASSERT_TRUE(store.SetUserAuthor(*writer, *own_id));
  MediaItem media;
  media.url = "/uploads/media/2026/11/photo.jpg";
  media.width = 1200;
  media.height = 800;
  media.mime = "image/jpeg";
  media.variants =
      R"([{"mime":"image/webp","url":"/uploads/media/2026/11/photo-800.webp","width":800}])";
  media.uploaded_by = *user;
  media.created_at = 1700000100;
  ASSERT_TRUE(store.CreateMedia(media));

  Post post;
  post.slug = "deterrence";
  post.title = "Why Deterrence Works";
  post.dek = "An argument.";
  post.body_markdown = "First draft.";
  post.body_html = "<p>First draft.</p>\n";
  post.status = PostStatus::kPublished;
  post.published_at = 1700001000;
  post.section_id = *section_id;
  post.author_ids = {*author_id};
  post.tag_ids = {*tag_id};
  post.image = {"/uploads/media/2026/11/photo.jpg", "A patrol", "At the border.", "AP Photo"};
  post.seo.description = "For search engines.";
  auto post_id = store.CreatePost(post, *user, R"({"note":"created"})");
  ASSERT_TRUE(post_id);
  post.id = *post_id;
  post.body_markdown = "Second draft.";
  post.body_html = "<p>Second draft.</p>\n";
  ASSERT_TRUE(store.SavePostEdit(post, 1, *user, R"({"note":"edited"})"));
  ASSERT_TRUE(store.AddPostNote(
      PostNote{0, *post_id, "correction", "A date was wrong.", 1700002000}, *user));
  Comment comment;
  comment.post_id = *post_id;
  comment.status = CommentStatus::kApproved;
  comment.author_name = "Reader";
  comment.author_email = "reader@mail.example";
  comment.body_markdown = "Good.";
  comment.body_html = "<p>Good.</p>\n";
  comment.created_at = 1700003000;
  comment.client_hash = "not exported";
  auto first = store.CreateComment(comment);
  ASSERT_TRUE(first);
  comment.parent_id = *first;
  comment.status = CommentStatus::kSpam;
  comment.reason = "links";
  comment.created_at = 1700003100;
  ASSERT_TRUE(store.CreateComment(comment));
  Post page;
  page.slug = "about";
  page.kind = PostKind::kPage;
  page.status = PostStatus::kTrash;
  page.title = "About";
  ASSERT_TRUE(store.UpsertPost(page));

  // The contributor's draft, submitted for review, with editorial notes by two people: the
  // editor's (resolved by the writer) and the writer's reply (open).
  Post draft;
  draft.slug = "under-review";
  draft.title = "Under Review";
  draft.body_markdown = "A draft.";
  draft.body_html = "<p>A draft.</p>\n";
  draft.status = PostStatus::kPending;
  draft.author_ids = {*own_id};
  draft.submitted_at = 1700006000;
  auto draft_id = store.CreatePost(draft, *writer, R"({"note":"submitted"})");
  ASSERT_TRUE(draft_id);
  EditorialNote note;
  note.post_id = *draft_id;
  note.text = "Check the figures in the second paragraph.";
  note.at = 1700006100;
  note.user_id = *user;
  note.resolved_at = 1700006300;
  note.resolved_by = *writer;
  ASSERT_TRUE(store.AddEditorialNote(note));
  note.text = "Done; the source is linked.";
  note.at = 1700006200;
  note.user_id = *writer;
  note.resolved_at.reset();
  note.resolved_by.reset();
  ASSERT_TRUE(store.AddEditorialNote(note));

  Subscriber subscriber;
  subscriber.email = "sub@mail.example";
  subscriber.status = SubscriberStatus::kActive;
  subscriber.everything = false;
  subscriber.sections = {"security"};
  subscriber.created_at = 1700004000;
  subscriber.consented_at = 1700004100;
  subscriber.consent_source = "confirmed by e-mail";
  ASSERT_TRUE(store.SaveSubscriber(subscriber));
  ASSERT_TRUE(store.PutRedirect(Redirect{"/old/", "/deterrence/", 301, 1700005000}));
}

// The site the tests export from (store_), and fresh sites to import into, on the test's database.
class SiteJson : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override { BROADSHEET_OPEN_TEST_STORE(store_); }

  // A new, empty site on the same database as store_, or null (a failure) if none opens.
  std::unique_ptr<SqlStore> NewStore() {
    auto opened = test::OpenEmptyStore(GetParam());
    EXPECT_TRUE(opened) << (opened ? "" : Describe(opened.error()));
    return opened ? std::move(*opened) : nullptr;
  }

  std::unique_ptr<SqlStore> store_;
};

// The same sites, for the tests of the WordPress export.
class WordPressExport : public SiteJson {};

TEST_P(SiteJson, ExportImportExportIsIdentical) {
  SqlStore& original = *store_;
  Fill(original);
  const std::string first = Export(original);
  EXPECT_EQ(first.find("argon2id"), std::string::npos);      // no password hashes
  EXPECT_EQ(first.find("not exported"), std::string::npos);  // no client hashes

  testing::TempDir dir;
  dir.Write("export.json", first);
  auto restored = NewStore();
  ASSERT_NE(restored, nullptr);
  auto report = ImportSiteJson(*restored, (dir.path() / "export.json").string());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->posts, 3);
  EXPECT_EQ(report->revisions, 3);
  EXPECT_EQ(report->editorial_notes, 2);
  EXPECT_EQ(report->comments, 2);
  EXPECT_EQ(report->subscribers, 1);
  EXPECT_EQ(Export(*restored), first);

  // What readers see came back as it was.
  auto publication = restored->LoadPublication();
  ASSERT_TRUE(publication);
  EXPECT_EQ(publication->logo, "/uploads/media/2026/12/logo.png");
  EXPECT_EQ(publication->accent_color, "#1f3a5f");
  EXPECT_NE(publication->navigation.find("security"), std::string::npos);
  auto post = restored->FindPublishedPost("deterrence", 1800000000);
  ASSERT_TRUE(post && *post);
  EXPECT_EQ((*post)->post.body_html, "<p>Second draft.</p>\n");
  EXPECT_EQ((*post)->post.updated_at, 1700002000);
  ASSERT_EQ((*post)->notes.size(), 1u);
  auto comments = restored->ListCommentsOfPost((*post)->post.id);
  ASSERT_TRUE(comments);
  ASSERT_EQ(comments->size(), 2u);
  EXPECT_EQ((*comments)[1].parent_id, (*comments)[0].id);
  EXPECT_EQ((*comments)[1].status, CommentStatus::kSpam);

  // Each account has its own profile again, the draft its submission time and its notes, with
  // who wrote and who resolved them.
  auto editor = restored->FindUserByEmail("ed@example.org");
  auto writer = restored->FindUserByEmail("cw@example.org");
  auto jane = restored->FindAuthor("jane-doe");
  auto carla = restored->FindAuthor("carla-writer");
  ASSERT_TRUE(editor && *editor && writer && *writer && jane && *jane && carla && *carla);
  EXPECT_EQ((*editor)->author_id, (*jane)->id);
  EXPECT_EQ((*writer)->author_id, (*carla)->id);
  auto draft = restored->FindPost("under-review");
  ASSERT_TRUE(draft && *draft);
  EXPECT_EQ((*draft)->status, PostStatus::kPending);
  EXPECT_EQ((*draft)->submitted_at, 1700006000);
  EXPECT_EQ((*draft)->created_by, (*writer)->id);
  auto notes = restored->ListEditorialNotes((*draft)->id);
  ASSERT_TRUE(notes);
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].text, "Check the figures in the second paragraph.");
  EXPECT_EQ((*notes)[0].at, 1700006100);
  EXPECT_EQ((*notes)[0].user_id, (*editor)->id);
  EXPECT_EQ((*notes)[0].resolved_at, 1700006300);
  EXPECT_EQ((*notes)[0].resolved_by, (*writer)->id);
  EXPECT_EQ((*notes)[1].user_id, (*writer)->id);
  EXPECT_FALSE((*notes)[1].resolved_at);
  EXPECT_FALSE((*notes)[1].resolved_by);
  auto noted = restored->ListPostsWithOpenEditorialNotes((*writer)->id);
  ASSERT_TRUE(noted) << noted.error().message;
  ASSERT_EQ(noted->size(), 1u);
  EXPECT_EQ(noted->front().open, 1);

  auto subscriber = restored->FindSubscriberByEmail("sub@mail.example");
  ASSERT_TRUE(subscriber && *subscriber);
  EXPECT_EQ((*subscriber)->consented_at, 1700004100);
  EXPECT_EQ((*subscriber)->sections, std::vector<std::string>{"security"});
}

TEST_P(SiteJson, OnlyAnEmptySiteTakesAnExport) {
  SqlStore& original = *store_;
  Fill(original);
  testing::TempDir dir;
  dir.Write("export.json", Export(original));
  auto report = ImportSiteJson(original, (dir.path() / "export.json").string());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kConflict);
}

TEST_P(SiteJson, BadExportsNameTheProblemAndWriteNothing) {
  testing::TempDir dir;
  const auto refused = [&](const std::string& text) {
    dir.Write("bad.json", text);
    auto store = NewStore();
    if (store == nullptr) return std::string();
    auto report = ImportSiteJson(*store, (dir.path() / "bad.json").string());
    EXPECT_FALSE(report) << text;
    auto posts = store->ListAllPostIds();
    EXPECT_TRUE(posts && posts->empty()) << text;
    return report ? std::string() : report.error().message;
  };
  EXPECT_NE(refused("{\"format\": \"broadsheet-export\", \"version\": 1,\n\"posts\": [\n{\"slug\": "
                    "\"a\", \"title\": \"A\"},\n{\"slug\": ")
                .find("line 4"),
            std::string::npos);
  EXPECT_NE(refused("{\"posts\": []}").find("not a Broadsheet export"), std::string::npos);
  std::string deep =
      "{\"format\": \"broadsheet-export\", \"version\": 1, \"posts\": [{\"slug\": "
      "\"a\", \"title\": \"A\", \"revisions\": [{\"details\": ";
  for (int i = 0; i < 100000; ++i) deep += "[";
  EXPECT_NE(refused(deep).find("nests deeper"), std::string::npos);
  EXPECT_NE(refused("{\"format\": \"broadsheet-export\", \"version\": 2}").find("version 2"),
            std::string::npos);
  // The first post is fine; the second names a section that is not there: neither stays.
  EXPECT_NE(refused("{\"format\": \"broadsheet-export\", \"version\": 1, \"posts\": [{\"slug\": "
                    "\"a\", \"title\": \"A\"}, {\"slug\": \"b\", \"title\": \"B\", \"section\": "
                    "\"nowhere\"}]}")
                .find("posts 2: section \"nowhere\""),
            std::string::npos);
  EXPECT_NE(refused("{\"format\": \"broadsheet-export\", \"version\": 1, \"posts\": [{\"slug\": "
                    "\"a\", \"title\": 5}]}")
                .find("posts 1:"),
            std::string::npos);
}

// An export written before accounts had profiles, posts a submission time and editorial notes
// restores with none of them.
TEST_P(SiteJson, ExportsWithoutProfilesSubmissionsOrEditorialNotesRestore) {
  testing::TempDir dir;
  dir.Write("old.json",
            "{\"format\": \"broadsheet-export\", \"version\": 1,\n"
            "\"users\": [\n{\"email\": \"ed@example.org\", \"name\": \"Ed\", \"role\": "
            "\"editor\"}\n],\n"
            "\"authors\": [\n{\"slug\": \"jane-doe\", \"name\": \"Jane Doe\"}\n],\n"
            "\"posts\": [\n{\"slug\": \"a\", \"title\": \"A\", \"status\": \"pending\", "
            "\"authors\": [\"jane-doe\"], \"created_by\": \"ed@example.org\"}\n]\n}\n");
  auto restored = NewStore();
  ASSERT_NE(restored, nullptr);
  auto report = ImportSiteJson(*restored, (dir.path() / "old.json").string());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->editorial_notes, 0);
  auto editor = restored->FindUserByEmail("ed@example.org");
  ASSERT_TRUE(editor && *editor);
  EXPECT_FALSE((*editor)->author_id);
  auto post = restored->FindPost("a");
  ASSERT_TRUE(post && *post);
  EXPECT_FALSE((*post)->submitted_at);
  auto notes = restored->ListEditorialNotes((*post)->id);
  ASSERT_TRUE(notes);
  EXPECT_TRUE(notes->empty());
  // Exported again, it says so plainly.
  const std::string again = Export(*restored);
  EXPECT_NE(again.find("\"submitted_at\":null"), std::string::npos);
  EXPECT_NE(again.find("\"editorial_notes\":[]"), std::string::npos);
  EXPECT_NE(again.find("\"user\":null"), std::string::npos);
}

// Profiles, submission times and editorial notes that do not fit are refused like any other
// field, naming the record, and the site stays empty: the restore is one transaction.
TEST_P(SiteJson, HostileProfilesSubmissionsAndEditorialNotesAreRefused) {
  testing::TempDir dir;
  const std::string head =
      "{\"format\": \"broadsheet-export\", \"version\": 1,\n"
      "\"users\": [\n{\"email\": \"ed@example.org\", \"name\": \"Ed\", \"role\": \"editor\"},\n"
      "{\"email\": \"cw@example.org\", \"name\": \"Carla\", \"role\": \"contributor\"}\n],\n";
  const auto with_authors = [&](const std::string& authors) {
    return head + "\"authors\": [\n" + authors + "\n]\n}\n";
  };
  const auto with_post = [&](const std::string& fields) {
    return head + "\"authors\": [\n{\"slug\": \"jane-doe\", \"name\": \"Jane\", \"user\": " +
           "\"ed@example.org\"}\n],\n\"posts\": [\n{\"slug\": \"a\", \"title\": \"A\", " + fields +
           "}\n]\n}\n";
  };
  const auto with_note = [&](const std::string& note) {
    return with_post("\"editorial_notes\": [" + note + "]");
  };
  const std::string too_long(2001, 'x');
  const std::vector<std::string> hostile = {
      // A profile's account that is not in the export, or not an address.
      with_authors(
          "{\"slug\": \"jane-doe\", \"name\": \"Jane\", \"user\": \"nobody@example.org\"}"),
      with_authors("{\"slug\": \"jane-doe\", \"name\": \"Jane\", \"user\": 7}"),
      with_authors("{\"slug\": \"jane-doe\", \"name\": \"Jane\", \"user\": [\"ed@example.org\"]}"),
      // One account with two profiles.
      with_authors("{\"slug\": \"jane-doe\", \"name\": \"Jane\", \"user\": \"ed@example.org\"},\n"
                   "{\"slug\": \"john-roe\", \"name\": \"John\", \"user\": \"ed@example.org\"}"),
      // A submission time that is not a time.
      with_post("\"submitted_at\": 1700006000"),
      with_post("\"submitted_at\": \"yesterday\""),
      // Editorial notes that are not a list of notes.
      with_post("\"editorial_notes\": \"Check the figures.\""),
      with_post("\"editorial_notes\": {\"text\": \"Check.\"}"),
      with_note("\"Check the figures.\""),
      // Notes without text or time, too long, by or resolved by nobody, resolved without a time.
      with_note("{\"at\": \"2024-03-01T09:30:00Z\"}"),
      with_note("{\"text\": \"   \", \"at\": \"2024-03-01T09:30:00Z\"}"),
      with_note("{\"text\": \"Check.\"}"),
      with_note("{\"text\": \"" + too_long + "\", \"at\": \"2024-03-01T09:30:00Z\"}"),
      with_note("{\"text\": 5, \"at\": \"2024-03-01T09:30:00Z\"}"),
      with_note("{\"text\": \"Check.\", \"at\": \"2024-03-01T09:30:00Z\", \"user\": "
                "\"nobody@example.org\"}"),
      with_note("{\"text\": \"Check.\", \"at\": \"2024-03-01T09:30:00Z\", \"resolved_by\": "
                "\"cw@example.org\"}"),
      with_note("{\"text\": \"Check.\", \"at\": \"2024-03-01T09:30:00Z\", \"resolved_at\": true}"),
      // Notes outside a post have nowhere to go.
      head +
          "\"editorial_notes\": [\n{\"text\": \"Check.\", \"at\": "
          "\"2024-03-01T09:30:00Z\"}\n]\n}\n",
  };
  for (const std::string& text : hostile) {
    dir.Write("hostile.json", text);
    auto store = NewStore();
    ASSERT_NE(store, nullptr);
    auto report = ImportSiteJson(*store, (dir.path() / "hostile.json").string());
    ASSERT_FALSE(report) << text;
    EXPECT_EQ(report.error().code, ErrorCode::kInvalidArgument) << text;
    auto users = store->ListUsers();
    auto authors = store->ListAuthors();
    auto posts = store->ListAllPostIds();
    ASSERT_TRUE(users && authors && posts);
    EXPECT_TRUE(users->empty() && authors->empty() && posts->empty()) << text;
  }
  // The same file with the note as the desk writes it is taken.
  dir.Write("fine.json",
            with_note("{\"text\": \"Check.\", \"at\": \"2024-03-01T09:30:00Z\", "
                      "\"user\": \"ed@example.org\", \"resolved_at\": "
                      "\"2024-03-02T09:30:00Z\", \"resolved_by\": \"cw@example.org\"}"));
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  auto report = ImportSiteJson(*store, (dir.path() / "fine.json").string());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->editorial_notes, 1);
}

TEST_P(WordPressExport, ReadsBackThroughTheWordPressImport) {
  SqlStore& original = *store_;
  Fill(original);
  std::ostringstream out;
  auto written = ExportWordPress(original, out);
  ASSERT_TRUE(written);
  // The submitted draft goes as a pending post; the staff's editorial notes stay private (WXR
  // has nowhere for them but readers' comments).
  EXPECT_EQ(written->posts, 2);
  EXPECT_EQ(out.str().find("Check the figures"), std::string::npos);
  EXPECT_EQ(written->pages, 1);
  EXPECT_EQ(written->comments, 2);
  EXPECT_EQ(written->attachments, 1);
  testing::TempDir dir;
  dir.Write("export.xml", out.str());
  auto copy = NewStore();
  ASSERT_NE(copy, nullptr);
  auto report = ImportWordPress(*copy, (dir.path() / "export.xml").string(), {});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->articles.created, 2);
  EXPECT_EQ(report->pages.created, 1);
  EXPECT_EQ(report->comments.created, 2);
  EXPECT_EQ(report->replies, 1);
  auto post = copy->FindPost("deterrence");
  ASSERT_TRUE(post && *post);
  EXPECT_EQ((*post)->published_at, 1700001000);
  EXPECT_EQ((*post)->image.caption, "At the border.");
  EXPECT_EQ((*post)->image.credit, "AP Photo");
  EXPECT_NE((*post)->body_html.find("Second draft."), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, SiteJson, test::kBothDatabases, test::DatabaseName);
INSTANTIATE_TEST_SUITE_P(BothDatabases, WordPressExport, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::importers
