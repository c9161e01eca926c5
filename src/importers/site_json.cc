#include "importers/site_json.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <tuple>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "content/posts.h"
#include "content/records.h"
#include "core/slug.h"
#include "core/text.h"
#include "core/time.h"
#include "importers/site_writer.h"
#include "markdown/html_filter.h"
#include "markdown/markdown.h"

namespace broadsheet::importers {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "broadsheet-export";
constexpr int kMaxDepth = 32;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json Time(std::optional<Timestamp> when) {
  return when ? json(FormatIsoTime(*when, TimeZone())) : json(nullptr);
}

json Nullable(const std::optional<std::string>& text) { return text ? json(*text) : json(nullptr); }

// Stored JSON text (media variants, revision details) as a value, or as the text when it is not
// JSON.
json Embedded(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json(text) : value;
}

std::string EmailOf(const std::map<std::int64_t, std::string>& users,
                    std::optional<std::int64_t> id) {
  if (!id) return {};
  auto found = users.find(*id);
  return found == users.end() ? "" : found->second;
}

json UserRef(const std::map<std::int64_t, std::string>& users, std::optional<std::int64_t> id) {
  const std::string email = EmailOf(users, id);
  return email.empty() ? json(nullptr) : json(email);
}

// Writes "name": [ one record per line ].
void WriteArray(std::ostream& out, std::string_view name, const std::vector<json>& records,
                bool last = false) {
  out << "\"" << name << "\": [";
  for (size_t i = 0; i < records.size(); ++i) out << (i ? ",\n" : "\n") << Dump(records[i]);
  out << (records.empty() ? "]" : "\n]") << (last ? "\n" : ",\n");
}

json PostRecord(const PostDetail& detail, const std::vector<Revision>& revisions,
                const std::vector<Comment>& comments,
                const std::vector<EditorialNote>& editorial_notes,
                const std::map<std::int64_t, std::string>& users) {
  const Post& post = detail.post;
  json authors = json::array(), tags = json::array(), notes = json::array();
  for (const Author& author : detail.authors) authors.push_back(author.slug);
  for (const Tag& tag : detail.tags) tags.push_back(tag.slug);
  for (const PostNote& note : detail.notes)
    notes.push_back({{"kind", note.kind}, {"text", note.text}, {"at", Time(note.at)}});
  json history = json::array();
  for (const Revision& revision : revisions) {
    history.push_back({{"saved_at", Time(revision.saved_at)},
                       {"user", UserRef(users, revision.user_id)},
                       {"title", revision.title},
                       {"dek", revision.dek},
                       {"body_markdown", revision.body_markdown},
                       {"details", Embedded(revision.details)}});
  }
  json desk_notes = json::array();
  for (const EditorialNote& note : editorial_notes) {
    desk_notes.push_back({{"text", note.text},
                          {"at", Time(note.at)},
                          {"user", UserRef(users, note.user_id)},
                          {"resolved_at", Time(note.resolved_at)},
                          {"resolved_by", UserRef(users, note.resolved_by)}});
  }
  // Comments are numbered in their order here; replies name their parent's number.
  std::map<std::int64_t, int> numbers;
  json thread = json::array();
  for (const Comment& comment : comments) {
    const int number = static_cast<int>(numbers.size()) + 1;
    numbers[comment.id] = number;
    json parent = nullptr;
    if (comment.parent_id) {
      if (auto found = numbers.find(*comment.parent_id); found != numbers.end())
        parent = found->second;
    }
    thread.push_back({{"number", number},
                      {"reply_to", parent},
                      {"status", CommentStatusName(comment.status)},
                      {"author_name", comment.author_name},
                      {"author_email", comment.author_email},
                      {"author_url", comment.author_url},
                      {"body_markdown", comment.body_markdown},
                      {"body_html", comment.body_html},
                      {"created_at", Time(comment.created_at)},
                      {"user", UserRef(users, comment.user_id)},
                      {"reason", comment.reason}});
  }
  return {{"slug", post.slug},
          {"kind", post.kind == PostKind::kPage ? "page" : "article"},
          {"status", PostStatusName(post.status)},
          {"title", post.title},
          {"dek", post.dek},
          {"body_markdown", post.body_markdown},
          {"body_html", post.body_html},
          {"published_at", Time(post.published_at)},
          {"updated_at", Time(post.updated_at)},
          {"created_at", Time(post.created_at)},
          {"created_by", UserRef(users, post.created_by)},
          {"submitted_at", Time(post.submitted_at)},
          {"section", detail.section ? json(detail.section->slug) : json(nullptr)},
          {"authors", authors},
          {"tags", tags},
          {"image",
           {{"url", post.image.url},
            {"alt", post.image.alt},
            {"caption", post.image.caption},
            {"credit", post.image.credit}}},
          {"opinion", post.opinion},
          {"disclaimer", Nullable(post.disclaimer)},
          {"disclaimer_hidden", post.disclaimer_hidden},
          {"comments_open", post.comments_open},
          {"seo",
           {{"description", post.seo.description},
            {"social_image", post.seo.social_image},
            {"canonical_url", post.seo.canonical_url},
            {"noindex", post.seo.noindex}}},
          {"notes", notes},
          {"editorial_notes", desk_notes},
          {"revisions", history},
          {"comments", thread}};
}

// A problem with one record of an export being imported.
struct Problem {
  std::string message;
};

class Reader {
 public:
  Reader(Store& store, const markdown::FilterOptions& filter) : store_(store), filter_(filter) {}

  // The parser's callback: top-level scalars and each record of the top-level arrays, handled
  // as soon as they are complete and then dropped.
  bool Take(int depth, json::parse_event_t event, json& parsed) {
    // An export nests a few levels; deeper would only make later steps recurse without bound.
    if (depth > kMaxDepth) throw Problem{"the file nests deeper than an export does"};
    if (depth == 1 && event == json::parse_event_t::key) {
      key_ = parsed.get<std::string>();
      index_ = 0;
      if (!started_ && key_ != "format" && key_ != "version") throw Problem{kNotAnExport};
      return true;
    }
    if (depth == 1 && event == json::parse_event_t::value) {
      Header(parsed);
      return false;
    }
    const bool record = (depth == 2 && event == json::parse_event_t::object_end) ||
                        (depth == 1 && event == json::parse_event_t::object_end);
    if (!record) return true;
    if (!started_) throw Problem{kNotAnExport};
    ++index_;
    try {
      Record(parsed);
    } catch (const json::exception& error) {
      throw Problem{fmt::format("{} {}: {}", key_, index_, error.what())};
    } catch (const Problem& problem) {
      throw Problem{fmt::format("{} {}: {}", key_, index_, problem.message)};
    }
    return false;
  }

  const SiteJsonReport& report() const { return report_; }
  bool started() const { return started_; }

  static constexpr const char* kNotAnExport =
      "this is not a Broadsheet export: it must begin with \"format\": \"broadsheet-export\" "
      "and its \"version\"";

 private:
  void Header(const json& value) {
    if (key_ == "format") {
      if (!value.is_string() || value.get<std::string>() != kFormat)
        throw Problem{"this is not a Broadsheet export (\"format\" is not \"broadsheet-export\")"};
      format_ = true;
    } else if (key_ == "version") {
      if (!value.is_number_integer()) throw Problem{"\"version\" is not a whole number"};
      const int version = value.get<int>();
      if (version > kExportVersion || version < 1) {
        throw Problem{
            fmt::format("the export has format version {}; this Broadsheet reads version {}",
                        version, kExportVersion)};
      }
      version_ = true;
    } else {
      throw Problem{"unexpected \"" + key_ + "\" at the top of the export"};
    }
    started_ = format_ && version_;
  }

  template <typename T>
  static T Get(const json& record, const char* name, T fallback) {
    const auto found = record.find(name);
    return found == record.end() || found->is_null() ? fallback : found->get<T>();
  }

  static std::string Text(const json& record, const char* name) {
    return Get<std::string>(record, name, "");
  }

  static std::string Required(const json& record, const char* name) {
    std::string text = Text(record, name);
    if (Trim(text).empty()) throw Problem{std::string("\"") + name + "\" is missing"};
    return text;
  }

  static std::string SlugOf(const json& record) {
    std::string slug = Required(record, "slug");
    if (!IsValidSlug(slug)) throw Problem{"\"" + slug + "\" is not a valid slug"};
    return slug;
  }

  static std::optional<Timestamp> TimeOf(const json& record, const char* name) {
    const auto found = record.find(name);
    if (found == record.end() || found->is_null()) return std::nullopt;
    auto when = ParseIsoTime(found->get<std::string>(), TimeZone());
    if (!when) throw Problem{std::string("\"") + name + "\": " + when.error().message};
    return *when;
  }

  static std::optional<std::string> NullableText(const json& record, const char* name) {
    const auto found = record.find(name);
    if (found == record.end() || found->is_null()) return std::nullopt;
    return found->get<std::string>();
  }

  // A list the record may leave out (empty then); anything else than a list of objects is
  // refused.
  static json Objects(const json& record, const char* name) {
    const auto found = record.find(name);
    if (found == record.end() || found->is_null()) return json::array();
    if (!found->is_array()) throw Problem{std::string("\"") + name + "\" is not a list"};
    for (const json& item : *found) {
      if (!item.is_object())
        throw Problem{std::string("\"") + name + "\" holds something other than objects"};
    }
    return *found;
  }

  std::optional<std::int64_t> UserId(const json& record, const char* name) const {
    const std::string email = Text(record, name);
    if (email.empty()) return std::nullopt;
    auto found = users_.find(email);
    if (found == users_.end()) throw Problem{"\"" + std::string(name) + "\": no user " + email};
    return found->second;
  }

  static std::int64_t Lookup(const std::map<std::string, std::int64_t>& known,
                             const std::string& slug, const char* what) {
    auto found = known.find(slug);
    if (found == known.end())
      throw Problem{fmt::format("{} \"{}\" is not among the export's {}s", what, slug, what)};
    return found->second;
  }

  template <typename T>
  static T Check(Result<T> result) {
    if (!result) throw Problem{result.error().message};
    if constexpr (!std::is_void_v<T>) return std::move(*result);
  }

  // A backup's HTML is filtered again on the way in: the file may come from anywhere, and its
  // settings cannot vouch for it (docs/html-policy.md). Embeds from this site's hosts stay.
  std::string Html(const json& record, const char* html, const std::string& markdown) const {
    if (record.contains(html) && record[html].is_string())
      return Check(markdown::FilterHtml(record[html].get<std::string>(), filter_));
    markdown::Options options;
    options.filter = filter_;
    return Check(markdown::ToHtml(markdown, options));
  }

  void Record(const json& record) {
    if (!record.is_object()) throw Problem{"is not an object"};
    if (key_ == "publication") return AddPublication(record);
    if (key_ == "settings") return AddSettings(record);
    if (key_ == "users") return AddUser(record);
    if (key_ == "sections") return AddSection(record);
    if (key_ == "authors") return AddAuthor(record);
    if (key_ == "tags") return AddTag(record);
    if (key_ == "media") return AddMedia(record);
    if (key_ == "posts") return AddPost(record);
    if (key_ == "subscribers") return AddSubscriber(record);
    if (key_ == "redirects") return AddRedirect(record);
    throw Problem{"is not part of a version 1 export"};
  }

  void AddPublication(const json& record) {
    Publication publication;
    publication.title = Get<std::string>(record, "title", publication.title);
    publication.description = Text(record, "description");
    publication.base_url = Text(record, "base_url");
    publication.disclaimer = Get<std::string>(record, "disclaimer", publication.disclaimer);
    publication.timezone = Get<std::string>(record, "timezone", publication.timezone);
    publication.language = Get<std::string>(record, "language", publication.language);
    publication.logo = Text(record, "logo");
    publication.favicon = Text(record, "favicon");
    publication.accent_color = Text(record, "accent_color");
    publication.navigation = Text(record, "navigation");
    Check(TimeZone::Find(publication.timezone));
    Check(store_.SavePublication(publication));
  }

  void AddSettings(const json& record) {
    for (const auto& [key, value] : record.items()) {
      Check(store_.SetDeskSetting(key, value.get<std::string>()));
      ++report_.settings;
    }
  }

  void AddUser(const json& record) {
    User user;
    user.email = Required(record, "email");
    user.name = Required(record, "name");
    user.role = Required(record, "role");
    user.created_at = TimeOf(record, "created_at").value_or(0);
    user.disabled = Get<bool>(record, "disabled", false);
    // An account made before the restore (the owner's, say) stays as it is.
    if (auto existing = Check(store_.FindUserByEmail(user.email))) {
      users_[user.email] = existing->id;
      ++report_.users_kept;
      return;
    }
    users_[user.email] = Check(store_.CreateUser(user));
    ++report_.users;
  }

  void AddSection(const json& record) {
    Section section;
    section.slug = SlugOf(record);
    section.name = Required(record, "name");
    section.description = Text(record, "description");
    section.opinion = Get<bool>(record, "opinion", false);
    section.disclaimer = NullableText(record, "disclaimer");
    section.position = Get<int>(record, "position", 0);
    sections_[section.slug] = Check(store_.UpsertSection(section));
    ++report_.sections;
  }

  void AddAuthor(const json& record) {
    Author author;
    author.slug = SlugOf(record);
    author.name = Required(record, "name");
    author.credentials = Text(record, "credentials");
    author.email = Text(record, "email");
    author.avatar = Text(record, "avatar");
    author.bio_markdown = Text(record, "bio_markdown");
    author.bio_html = Html(record, "bio_html", author.bio_markdown);
    const std::optional<std::int64_t> account = UserId(record, "user");
    authors_[author.slug] = Check(store_.UpsertAuthor(author));
    // The account whose own profile this is (one profile each, one account each).
    if (account) {
      if (!linked_users_.insert(*account).second)
        throw Problem{"\"user\": " + Text(record, "user") + " has a profile earlier in the export"};
      Check(content::LinkProfile(store_, *account, author.slug));
    }
    ++report_.authors;
  }

  void AddTag(const json& record) {
    Tag tag;
    tag.slug = SlugOf(record);
    tag.name = Required(record, "name");
    tags_[tag.slug] = Check(store_.UpsertTag(tag));
    ++report_.tags;
  }

  void AddMedia(const json& record) {
    MediaItem item;
    item.url = Required(record, "url");
    item.width = Get<int>(record, "width", 0);
    item.height = Get<int>(record, "height", 0);
    item.mime = Text(record, "mime");
    item.bytes = Get<std::int64_t>(record, "bytes", 0);
    const json variants = record.value("variants", json::array());
    item.variants = variants.is_string() ? variants.get<std::string>() : Dump(variants);
    item.alt = Text(record, "alt");
    item.caption = Text(record, "caption");
    item.credit = Text(record, "credit");
    item.original_name = Text(record, "original_name");
    item.uploaded_by = UserId(record, "uploaded_by");
    item.created_at = TimeOf(record, "created_at").value_or(0);
    Check(store_.CreateMedia(item));
    ++report_.media;
  }

  void AddPost(const json& record) {
    Post post;
    post.slug = SlugOf(record);
    if (!posts_.insert(post.slug).second) throw Problem{"the slug " + post.slug + " comes twice"};
    const std::string kind = Get<std::string>(record, "kind", "article");
    if (kind != "article" && kind != "page") throw Problem{"\"kind\" " + kind + " is unknown"};
    post.kind = kind == "page" ? PostKind::kPage : PostKind::kArticle;
    const auto status = ParsePostStatus(Get<std::string>(record, "status", "draft"));
    if (!status)
      throw Problem{
          "\"status\" is not one of draft, pending, scheduled, published, "
          "trash"};
    post.status = *status;
    post.title = Required(record, "title");
    post.dek = Text(record, "dek");
    post.body_markdown = Text(record, "body_markdown");
    post.body_html = Html(record, "body_html", post.body_markdown);
    post.published_at = TimeOf(record, "published_at");
    post.updated_at = TimeOf(record, "updated_at");
    post.created_at = TimeOf(record, "created_at").value_or(0);
    post.created_by = UserId(record, "created_by");
    post.submitted_at = TimeOf(record, "submitted_at");
    if (const std::string section = Text(record, "section"); !section.empty())
      post.section_id = Lookup(sections_, section, "section");
    for (const auto& slug : record.value("authors", json::array()))
      post.author_ids.push_back(Lookup(authors_, slug.get<std::string>(), "author"));
    for (const auto& slug : record.value("tags", json::array()))
      post.tag_ids.push_back(Lookup(tags_, slug.get<std::string>(), "tag"));
    const json image = record.value("image", json::object());
    post.image = {Text(image, "url"), Text(image, "alt"), Text(image, "caption"),
                  Text(image, "credit")};
    post.opinion = Get<bool>(record, "opinion", false);
    post.disclaimer = NullableText(record, "disclaimer");
    post.disclaimer_hidden = Get<bool>(record, "disclaimer_hidden", false);
    post.comments_open = Get<bool>(record, "comments_open", true);
    const json seo = record.value("seo", json::object());
    post.seo = {Text(seo, "description"), Text(seo, "social_image"), Text(seo, "canonical_url"),
                Get<bool>(seo, "noindex", false)};
    const std::int64_t id = Check(content::Posts::Import(store_, post));
    ++report_.posts;

    for (const json& note : record.value("notes", json::array())) {
      Check(store_.RestorePostNote(PostNote{0, id, Required(note, "kind"), Text(note, "text"),
                                            TimeOf(note, "at").value_or(0)}));
    }
    for (const json& saved : record.value("revisions", json::array())) {
      const json details = saved.value("details", json::object());
      Check(store_.RestoreRevision(
          Revision{0, id, TimeOf(saved, "saved_at").value_or(0), UserId(saved, "user"), "",
                   Text(saved, "title"), Text(saved, "dek"), Text(saved, "body_markdown"),
                   details.is_string() ? details.get<std::string>() : Dump(details)}));
      ++report_.revisions;
    }
    int number = 0;
    for (const json& entry : Objects(record, "editorial_notes")) {
      ++number;
      try {
        EditorialNote note;
        note.post_id = id;
        note.text = Text(entry, "text");
        const auto at = TimeOf(entry, "at");
        if (!at) throw Problem{"\"at\" is missing"};
        note.at = *at;
        note.user_id = UserId(entry, "user");
        note.resolved_at = TimeOf(entry, "resolved_at");
        note.resolved_by = UserId(entry, "resolved_by");
        Check(content::Posts::ImportEditorialNote(store_, note));
      } catch (const json::exception& error) {
        throw Problem{fmt::format("editorial note {}: {}", number, error.what())};
      } catch (const Problem& problem) {
        throw Problem{fmt::format("editorial note {}: {}", number, problem.message)};
      }
      ++report_.editorial_notes;
    }
    std::map<int, std::int64_t> comment_ids;  // number in the export -> id here
    for (const json& entry : record.value("comments", json::array())) {
      Comment comment;
      comment.post_id = id;
      const int number = Get<int>(entry, "number", static_cast<int>(comment_ids.size()) + 1);
      if (const int parent = Get<int>(entry, "reply_to", 0); parent != 0) {
        auto found = comment_ids.find(parent);
        if (found == comment_ids.end())
          throw Problem{fmt::format("comment {} replies to {}, which comes later or not at all",
                                    number, parent)};
        comment.parent_id = found->second;
      }
      const auto state = ParseCommentStatus(Get<std::string>(entry, "status", "pending"));
      if (!state) throw Problem{fmt::format("comment {}: unknown \"status\"", number)};
      comment.status = *state;
      comment.author_name = Text(entry, "author_name");
      comment.author_email = Text(entry, "author_email");
      comment.author_url = Text(entry, "author_url");
      comment.body_markdown = Text(entry, "body_markdown");
      comment.body_html = Check(markdown::FilterHtml(Text(entry, "body_html")));
      comment.created_at = TimeOf(entry, "created_at").value_or(0);
      comment.user_id = UserId(entry, "user");
      comment.reason = Text(entry, "reason");
      comment_ids[number] = Check(store_.SaveImportedComment(comment));
      ++report_.comments;
    }
  }

  void AddSubscriber(const json& record) {
    Subscriber subscriber;
    subscriber.email = Required(record, "email");
    const auto status = ParseSubscriberStatus(Get<std::string>(record, "status", "pending"));
    if (!status) throw Problem{"unknown \"status\""};
    subscriber.status = *status;
    subscriber.everything = Get<bool>(record, "everything", true);
    for (const auto& slug : record.value("sections", json::array())) {
      Lookup(sections_, slug.get<std::string>(), "section");
      subscriber.sections.push_back(slug.get<std::string>());
    }
    subscriber.created_at = TimeOf(record, "created_at").value_or(0);
    subscriber.consented_at = TimeOf(record, "consented_at");
    subscriber.consent_source = Text(record, "consent_source");
    subscriber.unsubscribed_at = TimeOf(record, "unsubscribed_at");
    subscriber.bounces = Get<int>(record, "bounces", 0);
    Check(store_.SaveSubscriber(subscriber));
    ++report_.subscribers;
  }

  void AddRedirect(const json& record) {
    Redirect redirect;
    redirect.from_path = Required(record, "from");
    if (!redirect.from_path.starts_with('/')) throw Problem{"\"from\" must start with /"};
    redirect.to_path = Text(record, "to");
    redirect.status = Get<int>(record, "status", 301);
    if (redirect.status != 301 && redirect.status != 302 && redirect.status != 410)
      throw Problem{"\"status\" must be 301, 302 or 410"};
    redirect.created_at = TimeOf(record, "created_at").value_or(0);
    Check(store_.PutRedirect(redirect));
    ++report_.redirects;
  }

  Store& store_;
  const markdown::FilterOptions& filter_;
  SiteJsonReport report_;
  std::string key_;
  int index_ = 0;
  bool format_ = false, version_ = false, started_ = false;
  std::map<std::string, std::int64_t> users_, sections_, authors_, tags_;
  std::set<std::string> posts_;
  std::set<std::int64_t> linked_users_;  // accounts given their profile by the export
};

Result<void> CheckEmpty(Store& store) {
  auto posts = store.ListAllPostIds();
  auto sections = store.ListSections();
  auto authors = store.ListAuthors();
  auto tags = store.ListTags();
  auto subscribers = store.CountSubscribers({});
  if (!posts) return tl::unexpected(posts.error());
  if (!sections) return tl::unexpected(sections.error());
  if (!authors) return tl::unexpected(authors.error());
  if (!tags) return tl::unexpected(tags.error());
  if (!subscribers) return tl::unexpected(subscribers.error());
  if (posts->empty() && sections->empty() && authors->empty() && tags->empty() &&
      *subscribers == 0) {
    return {};
  }
  return Fail(ErrorCode::kConflict,
              "the site is not empty: an export is restored into a new site (broadsheet init "
              "DIR), so that nothing in it is overwritten or mixed up");
}

}  // namespace

Result<void> ExportSiteJson(Store& store, std::ostream& out) {
  auto publication = store.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto settings = store.DeskSettings("");
  if (!settings) return tl::unexpected(settings.error());
  auto users = store.ListUsers();
  if (!users) return tl::unexpected(users.error());
  auto sections = store.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  auto authors = store.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  auto tags = store.ListTags();
  if (!tags) return tl::unexpected(tags.error());

  out << "{\"format\": \"" << kFormat << "\", \"version\": " << kExportVersion << ",\n";
  out << "\"publication\": "
      << Dump({{"title", publication->title},
               {"description", publication->description},
               {"base_url", publication->base_url},
               {"disclaimer", publication->disclaimer},
               {"timezone", publication->timezone},
               {"language", publication->language},
               {"logo", publication->logo},
               {"favicon", publication->favicon},
               {"accent_color", publication->accent_color},
               {"navigation", publication->navigation}})
      << ",\n";
  out << "\"settings\": " << Dump(json(*settings)) << ",\n";

  std::map<std::int64_t, std::string> emails;
  std::map<std::int64_t, std::string> profile_owners;  // author id -> its account's address
  std::vector<json> records;
  std::sort(users->begin(), users->end(),
            [](const User& a, const User& b) { return a.email < b.email; });
  for (const User& user : *users) {
    emails[user.id] = user.email;
    if (user.author_id) profile_owners[*user.author_id] = user.email;
    records.push_back({{"email", user.email},
                       {"name", user.name},
                       {"role", user.role},
                       {"created_at", Time(user.created_at)},
                       {"disabled", user.disabled}});
  }
  WriteArray(out, "users", records);

  records.clear();
  std::stable_sort(sections->begin(), sections->end(), [](const Section& a, const Section& b) {
    return std::tie(a.position, a.name, a.slug) < std::tie(b.position, b.name, b.slug);
  });
  for (const Section& section : *sections) {
    records.push_back({{"slug", section.slug},
                       {"name", section.name},
                       {"description", section.description},
                       {"opinion", section.opinion},
                       {"disclaimer", Nullable(section.disclaimer)},
                       {"position", section.position}});
  }
  WriteArray(out, "sections", records);

  records.clear();
  std::sort(authors->begin(), authors->end(),
            [](const Author& a, const Author& b) { return a.slug < b.slug; });
  for (const Author& author : *authors) {
    records.push_back({{"slug", author.slug},
                       {"name", author.name},
                       {"credentials", author.credentials},
                       {"email", author.email},
                       {"avatar", author.avatar},
                       {"bio_markdown", author.bio_markdown},
                       {"bio_html", author.bio_html},
                       {"user", UserRef(profile_owners, author.id)}});
  }
  WriteArray(out, "authors", records);

  records.clear();
  std::sort(tags->begin(), tags->end(), [](const Tag& a, const Tag& b) { return a.slug < b.slug; });
  for (const Tag& tag : *tags) records.push_back({{"slug", tag.slug}, {"name", tag.name}});
  WriteArray(out, "tags", records);

  records.clear();
  std::vector<MediaItem> media;
  for (int offset = 0;; offset += 1000) {
    auto page = store.ListMedia(1000, offset);
    if (!page) return tl::unexpected(page.error());
    media.insert(media.end(), page->begin(), page->end());
    if (page->size() < 1000) break;
  }
  std::sort(media.begin(), media.end(), [](const MediaItem& a, const MediaItem& b) {
    return std::tie(a.created_at, a.url) < std::tie(b.created_at, b.url);
  });
  for (const MediaItem& item : media) {
    records.push_back({{"url", item.url},
                       {"width", item.width},
                       {"height", item.height},
                       {"mime", item.mime},
                       {"bytes", item.bytes},
                       {"variants", Embedded(item.variants)},
                       {"alt", item.alt},
                       {"caption", item.caption},
                       {"credit", item.credit},
                       {"original_name", item.original_name},
                       {"uploaded_by", UserRef(emails, item.uploaded_by)},
                       {"created_at", Time(item.created_at)}});
  }
  WriteArray(out, "media", records);

  out << "\"posts\": [";
  bool first = true;
  auto posts = ForEachPost(store, [&](const PostDetail& detail) -> Result<void> {
    auto revisions = store.ListRevisions(detail.post.id);
    if (!revisions) return tl::unexpected(revisions.error());
    std::reverse(revisions->begin(), revisions->end());  // oldest first
    auto comments = store.ListCommentsOfPost(detail.post.id);
    if (!comments) return tl::unexpected(comments.error());
    auto editorial_notes = store.ListEditorialNotes(detail.post.id);
    if (!editorial_notes) return tl::unexpected(editorial_notes.error());
    out << (first ? "\n" : ",\n")
        << Dump(PostRecord(detail, *revisions, *comments, *editorial_notes, emails));
    first = false;
    return {};
  });
  if (!posts) return posts;
  out << (first ? "],\n" : "\n],\n");

  records.clear();
  SubscriberQuery everyone;
  everyone.limit = 1 << 30;
  auto subscribers = store.ListSubscribers(everyone);
  if (!subscribers) return tl::unexpected(subscribers.error());
  std::sort(subscribers->begin(), subscribers->end(), [](const Subscriber& a, const Subscriber& b) {
    return std::tie(a.created_at, a.email) < std::tie(b.created_at, b.email);
  });
  for (const Subscriber& subscriber : *subscribers) {
    records.push_back({{"email", subscriber.email},
                       {"status", SubscriberStatusName(subscriber.status)},
                       {"everything", subscriber.everything},
                       {"sections", subscriber.sections},
                       {"created_at", Time(subscriber.created_at)},
                       {"consented_at", Time(subscriber.consented_at)},
                       {"consent_source", subscriber.consent_source},
                       {"unsubscribed_at", Time(subscriber.unsubscribed_at)},
                       {"bounces", subscriber.bounces}});
  }
  WriteArray(out, "subscribers", records);

  records.clear();
  auto redirects = store.ListRedirects();
  if (!redirects) return tl::unexpected(redirects.error());
  std::sort(redirects->begin(), redirects->end(),
            [](const Redirect& a, const Redirect& b) { return a.from_path < b.from_path; });
  for (const Redirect& redirect : *redirects) {
    records.push_back({{"from", redirect.from_path},
                       {"to", redirect.to_path},
                       {"status", redirect.status},
                       {"created_at", Time(redirect.created_at)}});
  }
  WriteArray(out, "redirects", records, true);
  out << "}\n";
  out.flush();
  if (!out) return Fail(ErrorCode::kIo, "could not write the export");
  return {};
}

Result<SiteJsonReport> ImportSiteJson(Store& store, const std::string& path,
                                      const markdown::FilterOptions& filter) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Fail(ErrorCode::kNotFound, "cannot open " + path);
  }
  std::istream& in = path == "-" ? std::cin : file;
  Reader reader(store, filter);
  auto done = store.InTransaction([&]() -> Result<void> {
    if (auto empty = CheckEmpty(store); !empty) return empty;
    try {
      json::parser_callback_t take = [&reader](int depth, json::parse_event_t event, json& parsed) {
        return reader.Take(depth, event, parsed);
      };
      const json rest = json::parse(in, take);
      if (!rest.is_object() || !reader.started())
        return Fail(ErrorCode::kInvalidArgument, Reader::kNotAnExport);
    } catch (const Problem& problem) {
      return Fail(ErrorCode::kInvalidArgument, problem.message);
    } catch (const json::exception& error) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("the file is not valid JSON: ") + error.what());
    }
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return reader.report();
}

}  // namespace broadsheet::importers
