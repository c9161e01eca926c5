// The desk's posts: the list with filters, the editor, and the workflow actions (save, submit
// for review, publish, schedule, unpublish, trash, restore, empty the trash), each checked
// against the permission table.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "core/diff.h"
#include "core/slug.h"
#include "core/text.h"
#include "markdown/markdown.h"

namespace broadsheet::admin {

// What the editor form holds, as typed; kept verbatim when a save fails.
struct EditorFields {
  std::string title, dek, body, slug, kind = "article", section, authors, tags;
  std::string image_url, image_alt, image_caption, image_credit;
  std::string seo_description, social_image, canonical_url;  // search and social appearance
  bool noindex = false;
  bool opinion = false;
  bool comments_open = true;
  std::string disclaimer_mode = "default", disclaimer;
  std::string date;  // "2026-11-28T09:30" in the publication's zone, or empty
  int edit_count = 0;
  std::string action;
};

namespace {

// A preview document opened on its own: the theme's styles and images, nothing that acts.
constexpr const char* kPreviewFramePolicy =
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; font-src 'self'; "
    "form-action 'none'; base-uri 'none'; sandbox; frame-ancestors 'none'";

using auth::Action;
using auth::Can;
using http::Method;
using http::Request;
using http::Response;

constexpr int kPostsPerPage = 50;

std::string_view StatusLabel(PostStatus status) {
  switch (status) {
    case PostStatus::kDraft:
      return "Draft";
    case PostStatus::kPending:
      return "Awaiting review";
    case PostStatus::kScheduled:
      return "Scheduled";
    case PostStatus::kPublished:
      return "Published";
    case PostStatus::kTrash:
      return "In the trash";
  }
  return "Draft";
}

bool Owns(const auth::Viewer& viewer, const Post& post) {
  return post.id == 0 || (post.created_by && *post.created_by == viewer.user.id);
}

bool Unpublished(const Post& post) {
  return post.status == PostStatus::kDraft || post.status == PostStatus::kPending;
}

bool CanEdit(const auth::Viewer& viewer, const Post& post) {
  if (Can(viewer.role, Action::kEditOthers)) return true;
  if (!Owns(viewer, post)) return false;
  return Unpublished(post) ? Can(viewer.role, Action::kWriteDraft)
                           : Can(viewer.role, Action::kEditOwnPublished);
}

bool CanPublish(const auth::Viewer& viewer, const Post& post) {
  return Can(viewer.role, Action::kPublishOthers) ||
         (Owns(viewer, post) && Can(viewer.role, Action::kPublishOwn));
}

bool CanTrash(const auth::Viewer& viewer, const Post& post) {
  if (post.id == 0) return false;
  if (Can(viewer.role, Action::kDeleteOthers)) return true;
  return Owns(viewer, post) && (Can(viewer.role, Action::kDeleteOwn) || Unpublished(post));
}

content::Writer WriterOf(const auth::Viewer& viewer) {
  return content::Writer{viewer.user.id, viewer.role};
}

std::string LocalInput(Timestamp when, const TimeZone& zone) {
  return FormatIsoTime(when, zone).substr(0, 16);
}

EditorFields FieldsFromForm(const std::vector<std::pair<std::string, std::string>>& form) {
  EditorFields fields;
  auto get = [&](const char* name) { return http::FieldValue(form, name); };
  fields.title = std::string(Trim(get("title")));
  fields.dek = std::string(Trim(get("dek")));
  fields.body = get("body");
  fields.slug = std::string(Trim(get("slug")));
  fields.kind = get("kind") == "page" ? "page" : "article";
  fields.section = get("section");
  fields.authors = get("authors");
  fields.tags = get("tags");
  fields.image_url = std::string(Trim(get("image_url")));
  fields.image_alt = std::string(Trim(get("image_alt")));
  fields.image_caption = std::string(Trim(get("image_caption")));
  fields.image_credit = std::string(Trim(get("image_credit")));
  fields.seo_description = std::string(Trim(get("seo_description")));
  fields.social_image = std::string(Trim(get("social_image")));
  fields.canonical_url = std::string(Trim(get("canonical_url")));
  fields.noindex = get("noindex") == "1";
  fields.opinion = get("opinion") == "1";
  fields.comments_open = get("comments_open") == "1";
  fields.disclaimer_mode = get("disclaimer_mode");
  if (fields.disclaimer_mode != "custom" && fields.disclaimer_mode != "hidden") {
    fields.disclaimer_mode = "default";
  }
  fields.disclaimer = std::string(Trim(get("disclaimer")));
  fields.date = std::string(Trim(get("date")));
  const std::string count = get("edit_count");
  std::from_chars(count.data(), count.data() + count.size(), fields.edit_count);
  fields.action = get("do");
  return fields;
}

EditorFields FieldsFromPost(const PostDetail& detail, const TimeZone& zone) {
  const Post& post = detail.post;
  EditorFields fields;
  fields.title = post.title;
  fields.dek = post.dek;
  fields.body = post.body_markdown;
  fields.slug = post.slug;
  fields.kind = post.kind == PostKind::kPage ? "page" : "article";
  if (detail.section) fields.section = detail.section->slug;
  for (const auto& author : detail.authors)
    fields.authors += (fields.authors.empty() ? "" : ", ") + author.slug;
  for (const auto& tag : detail.tags) fields.tags += (fields.tags.empty() ? "" : ", ") + tag.name;
  fields.image_url = post.image.url;
  fields.image_alt = post.image.alt;
  fields.image_caption = post.image.caption;
  fields.image_credit = post.image.credit;
  fields.seo_description = post.seo.description;
  fields.social_image = post.seo.social_image;
  fields.canonical_url = post.seo.canonical_url;
  fields.noindex = post.seo.noindex;
  fields.opinion = post.opinion;
  fields.comments_open = post.comments_open;
  fields.disclaimer_mode =
      post.disclaimer_hidden ? "hidden" : (post.disclaimer ? "custom" : "default");
  fields.disclaimer = post.disclaimer.value_or("");
  if (post.published_at) fields.date = LocalInput(*post.published_at, zone);
  fields.edit_count = post.edit_count;
  return fields;
}

// The JSON kept with each revision: the fields that are not title, dek and body.
std::string RevisionDetails(const EditorFields& fields, PostStatus status) {
  return nlohmann::json{{"slug", fields.slug},
                        {"status", PostStatusName(status)},
                        {"kind", fields.kind},
                        {"section", fields.section},
                        {"authors", fields.authors},
                        {"tags", fields.tags},
                        {"image_url", fields.image_url},
                        {"image_alt", fields.image_alt},
                        {"image_caption", fields.image_caption},
                        {"image_credit", fields.image_credit},
                        {"seo_description", fields.seo_description},
                        {"social_image", fields.social_image},
                        {"canonical_url", fields.canonical_url},
                        {"noindex", fields.noindex},
                        {"opinion", fields.opinion},
                        {"comments_open", fields.comments_open},
                        {"disclaimer_mode", fields.disclaimer_mode},
                        {"disclaimer", fields.disclaimer},
                        {"date", fields.date}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// An address a post may point to: site-relative (when `relative` is allowed) or http(s), with
// nothing that could leave an HTML attribute.
bool IsAddress(const std::string& url, bool relative) {
  const bool scheme_ok = url.starts_with("https://") || url.starts_with("http://") ||
                         (relative && url.starts_with("/") && !url.starts_with("//"));
  return scheme_ok && url.size() <= 2000 && url.find_first_of("\"<> \t\r\n") == std::string::npos;
}

Result<void> CheckSeoFields(const EditorFields& fields) {
  if (fields.seo_description.size() > 300) {
    return Fail(ErrorCode::kInvalidArgument,
                "The search description is longer than 300 characters; search engines show "
                "about 160.");
  }
  if (!fields.social_image.empty() && !IsAddress(fields.social_image, true)) {
    return Fail(ErrorCode::kInvalidArgument,
                "The social image address must start with /uploads/ or https://.");
  }
  if (!fields.canonical_url.empty() && !IsAddress(fields.canonical_url, false)) {
    return Fail(ErrorCode::kInvalidArgument,
                "The canonical address must be a full address starting with https://.");
  }
  return {};
}

// Checks the typed fields and turns them into `post` (whose id, status and times the caller
// sets). kInvalidArgument with a message for the person when something is wrong.
Result<void> ApplyFields(Store& store, const EditorFields& fields, const TimeZone& zone, Post& post,
                         std::optional<Timestamp>& date, const markdown::Options& body_options) {
  if (fields.title.empty()) return Fail(ErrorCode::kInvalidArgument, "The headline is required.");
  if (fields.title.size() > 300)
    return Fail(ErrorCode::kInvalidArgument, "The headline is longer than 300 characters.");
  if (fields.dek.size() > 1000)
    return Fail(ErrorCode::kInvalidArgument, "The dek is longer than 1000 characters.");
  if (fields.body.size() > markdown::kMaxInputBytes)
    return Fail(ErrorCode::kInvalidArgument, "The body is longer than 4 MiB.");
  post.title = fields.title;
  post.dek = fields.dek;
  post.body_markdown = fields.body;
  auto html = markdown::ToHtml(fields.body, body_options);
  if (!html)
    return Fail(ErrorCode::kInvalidArgument,
                "The body could not be read: " + html.error().message + ".");
  post.body_html = std::move(*html);
  post.slug = fields.slug.empty() ? Slugify(fields.title) : fields.slug;
  if (post.slug.empty())
    return Fail(ErrorCode::kInvalidArgument,
                "Choose an address: none can be made from this headline.");
  if (auto checked = CheckPostSlug(post.slug); !checked) {
    return Fail(ErrorCode::kInvalidArgument,
                "The address cannot be used: " + checked.error().message + ".");
  }
  post.kind = fields.kind == "page" ? PostKind::kPage : PostKind::kArticle;
  post.section_id.reset();
  if (!fields.section.empty()) {
    auto section = store.FindSection(fields.section);
    if (!section) return tl::unexpected(section.error());
    if (!*section)
      return Fail(ErrorCode::kInvalidArgument, "There is no section \"" + fields.section + "\".");
    post.section_id = (*section)->id;
  }
  post.author_ids.clear();
  for (const auto& slug : SplitTrimmed(fields.authors, ',')) {
    auto author = store.FindAuthor(slug);
    if (!author) return tl::unexpected(author.error());
    if (!*author) return Fail(ErrorCode::kInvalidArgument, "There is no author \"" + slug + "\".");
    if (std::find(post.author_ids.begin(), post.author_ids.end(), (*author)->id) ==
        post.author_ids.end()) {
      post.author_ids.push_back((*author)->id);
    }
  }
  post.tag_ids.clear();
  for (const auto& name : SplitTrimmed(fields.tags, ',')) {
    Tag tag{0, Slugify(name), name};
    if (tag.slug.empty() || name.size() > 100) {
      return Fail(ErrorCode::kInvalidArgument, "\"" + name + "\" cannot be a tag.");
    }
    auto existing = store.FindTag(tag.slug);
    if (!existing) return tl::unexpected(existing.error());
    auto id = *existing ? Result<std::int64_t>((*existing)->id) : store.UpsertTag(tag);
    if (!id) return tl::unexpected(id.error());
    if (std::find(post.tag_ids.begin(), post.tag_ids.end(), *id) == post.tag_ids.end())
      post.tag_ids.push_back(*id);
  }
  const bool image_ok = fields.image_url.empty() || fields.image_url.starts_with("/uploads/") ||
                        fields.image_url.starts_with("https://") ||
                        fields.image_url.starts_with("http://");
  if (!image_ok || fields.image_url.find_first_of("\"<> ") != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "The image address must start with /uploads/ or https://.");
  }
  if (!fields.image_url.empty() && fields.image_alt.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "Describe the featured image in its alt text.");
  }
  post.image = {fields.image_url, fields.image_alt, fields.image_caption, fields.image_credit};
  if (auto seo = CheckSeoFields(fields); !seo) return seo;
  post.seo = {fields.seo_description, fields.social_image, fields.canonical_url, fields.noindex};
  post.opinion = fields.opinion;
  post.comments_open = fields.comments_open;
  post.disclaimer_hidden = fields.disclaimer_mode == "hidden";
  post.disclaimer.reset();
  if (fields.disclaimer_mode == "custom") {
    if (fields.disclaimer.empty())
      return Fail(ErrorCode::kInvalidArgument, "Write the disclaimer, or choose another option.");
    post.disclaimer = fields.disclaimer;
  }
  date.reset();
  if (!fields.date.empty()) {
    auto parsed = ParseIsoTime(fields.date, zone);
    if (!parsed)
      return Fail(ErrorCode::kInvalidArgument,
                  "The publication date is not a date: " + parsed.error().message + ".");
    date = *parsed;
  }
  return {};
}

std::optional<std::int64_t> ParseId(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

Result<Response> Desk::PostList(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  auto publication = store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());

  DeskQuery query;
  const std::string status = request.QueryParam("status").value_or("");
  query.status = ParsePostStatus(status);
  const std::string section_slug = request.QueryParam("section").value_or("");
  const std::string author_slug = request.QueryParam("author").value_or("");
  query.text = std::string(Trim(request.QueryParam("q").value_or(""))).substr(0, 200);
  auto sections = store_.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  auto authors = store_.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  nlohmann::json section_options = nlohmann::json::array();
  for (const auto& section : *sections) {
    if (section.slug == section_slug) query.section_id = section.id;
    section_options.push_back({{"slug", section.slug},
                               {"name", section.name},
                               {"selected", section.slug == section_slug}});
  }
  nlohmann::json author_options = nlohmann::json::array();
  for (const auto& author : *authors) {
    if (author.slug == author_slug) query.author_id = author.id;
    author_options.push_back(
        {{"slug", author.slug}, {"name", author.name}, {"selected", author.slug == author_slug}});
  }
  int page = 1;
  if (auto text = request.QueryParam("page"))
    std::from_chars(text->data(), text->data() + text->size(), page);
  page = std::clamp(page, 1, 100000);
  query.limit = kPostsPerPage;
  query.offset = (page - 1) * kPostsPerPage;
  auto total = store_.CountPostsForDesk(query);
  if (!total) return tl::unexpected(total.error());
  auto posts = store_.ListPostsForDesk(query);
  if (!posts) return tl::unexpected(posts.error());

  nlohmann::json rows = nlohmann::json::array();
  for (const auto& detail : *posts) {
    std::string names;
    for (const auto& author : detail.authors) names += (names.empty() ? "" : ", ") + author.name;
    const Timestamp when = detail.post.published_at.value_or(detail.post.created_at);
    rows.push_back({{"title", detail.post.title},
                    {"edit_url", fmt::format("/admin/posts/{}", detail.post.id)},
                    {"can_edit", CanEdit(*viewer, detail.post)},
                    {"status", PostStatusName(detail.post.status)},
                    {"status_label", StatusLabel(detail.post.status)},
                    {"section", detail.section ? detail.section->name : ""},
                    {"authors", names},
                    {"date", FormatHumanDate(when, zone)}});
  }
  nlohmann::json statuses = nlohmann::json::array();
  statuses.push_back({{"value", ""}, {"label", "All but the trash"}, {"selected", !query.status}});
  for (PostStatus option : {PostStatus::kDraft, PostStatus::kPending, PostStatus::kScheduled,
                            PostStatus::kPublished, PostStatus::kTrash}) {
    statuses.push_back({{"value", PostStatusName(option)},
                        {"label", StatusLabel(option)},
                        {"selected", query.status == option}});
  }
  const int pages = std::max(1, (*total + kPostsPerPage - 1) / kPostsPerPage);
  auto page_url = [&](int number) {
    return fmt::format("/admin/posts?status={}&section={}&author={}&q={}&page={}", status,
                       section_slug, author_slug, query.text, number);
  };
  nlohmann::json paging = false;
  if (pages > 1) {
    paging = {{"current", page},
              {"pages", pages},
              {"newer_url", page > 1 ? page_url(page - 1) : ""},
              {"older_url", page < pages ? page_url(page + 1) : ""}};
  }
  std::string notice;
  if (auto emptied = request.QueryParam("emptied"))
    notice = "Deleted " + *emptied + " post(s) for good.";
  nlohmann::json view = {{"title", "Posts"},
                         {"posts", rows},
                         {"total", *total},
                         {"statuses", statuses},
                         {"sections", section_options},
                         {"authors", author_options},
                         {"q", query.text},
                         {"is_trash", query.status == PostStatus::kTrash},
                         {"can_empty_trash", Can(viewer->role, Action::kDeleteOthers)},
                         {"paging", paging},
                         {"notice", notice}};
  return Render("posts", std::move(view), 200, *viewer);
}

Result<Response> Desk::EditorPage(const auth::Viewer& viewer,
                                  const std::optional<PostDetail>& stored,
                                  const EditorFields& fields, int status, const std::string& notice,
                                  const std::string& error, const std::string& preview_html) const {
  auto publication = store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto sections = store_.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  auto authors = store_.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  Post current = stored ? stored->post : Post{};
  nlohmann::json section_options = nlohmann::json::array();
  for (const auto& section : *sections) {
    section_options.push_back({{"slug", section.slug},
                               {"name", section.name},
                               {"selected", section.slug == fields.section}});
  }
  nlohmann::json author_options = nlohmann::json::array();
  for (const auto& author : *authors)
    author_options.push_back({{"slug", author.slug}, {"name", author.name}});
  const bool is_new = !stored;
  const bool published =
      current.status == PostStatus::kPublished || current.status == PostStatus::kScheduled;
  nlohmann::json revisions = nlohmann::json::array();
  if (stored) {
    auto listed = store_.ListRevisions(current.id);
    if (!listed) return tl::unexpected(listed.error());
    for (const auto& revision : *listed) {
      revisions.push_back(
          {{"saved", FormatIsoTime(revision.saved_at, TimeZone()).substr(0, 16) + " UTC"},
           {"url", fmt::format("/admin/posts/{}/revisions/{}", current.id, revision.id)},
           {"by", revision.user_name.empty() ? "import" : revision.user_name},
           {"title", revision.title}});
    }
  }
  auto unfiltered = body_policy_.MayStoreRawHtml(WriterOf(viewer), current);
  if (!unfiltered) return tl::unexpected(unfiltered.error());
  nlohmann::json media_options = nlohmann::json::array();
  auto media = store_.ListMedia(100, 0);
  if (!media) return tl::unexpected(media.error());
  for (const auto& item : *media) {
    std::string thumb = item.url;
    const auto variants = nlohmann::json::parse(item.variants, nullptr, false);
    if (variants.is_array() && !variants.empty()) thumb = variants[0].value("url", item.url);
    media_options.push_back({{"id", item.id},
                             {"url", item.url},
                             {"alt", item.alt},
                             {"thumb", thumb},
                             {"markdown", "![" + item.alt + "](" + item.url + ")"}});
  }
  std::string preview_link, preview_expires;
  if (stored && current.status != PostStatus::kTrash && current.status != PostStatus::kPublished) {
    const Timestamp expires = Now() + 7 * 24 * 3600;
    auto signature = accounts_.PreviewSignature(current.id, expires);
    if (!signature) return tl::unexpected(signature.error());
    const std::string base = publication->base_url;
    preview_link = fmt::format("{}/preview/{}/{}/{}", base, current.id, expires, *signature);
    preview_expires =
        FormatHumanDate(expires, TimeZone::Find(publication->timezone).value_or(TimeZone()));
  }
  nlohmann::json notes = nlohmann::json::array();
  if (stored) {
    for (const auto& note : stored->notes) {
      notes.push_back({{"label", note.kind == "correction" ? "Correction" : "Update"},
                       {"text", note.text},
                       {"date", FormatIsoTime(note.at, TimeZone()).substr(0, 16) + " UTC"}});
    }
  }
  std::string preview_document;
  if (!preview_html.empty()) {
    auto document = PreviewDocument(*publication, preview_html);
    if (!document) return tl::unexpected(document.error());
    preview_document = std::move(*document);
  }
  nlohmann::json view = {
      {"title", is_new ? "New post" : "Edit: " + current.title},
      {"preview_link", preview_link},
      {"post_id", current.id},
      {"media", media_options},
      {"has_media", !media_options.empty()},
      {"autosave", stored && Unpublished(current)},
      {"autosave_note", !stored ? "Save the draft once to turn on autosave." : ""},
      {"preview_expires", preview_expires},
      {"show_notes", current.status == PostStatus::kPublished},
      {"notes", notes},
      {"notes_action", fmt::format("/admin/posts/{}/notes", current.id)},
      {"heading", is_new ? "New post" : "Edit post"},
      {"html_policy", *unfiltered ? "Raw HTML in this body is kept as you write it (the site lets "
                                    "editors post unfiltered HTML in their own posts)."
                                  : "HTML in this body is filtered: scripts, styles, forms and "
                                    "unlisted embeds are removed (docs/html-policy.md)."},
      {"action", is_new ? std::string("/admin/posts") : fmt::format("/admin/posts/{}", current.id)},
      {"status", PostStatusName(current.status)},
      {"status_label", is_new ? "" : std::string(StatusLabel(current.status))},
      {"view_url", current.status == PostStatus::kPublished ? "/" + current.slug + "/" : ""},
      {"edit_count", fields.edit_count},
      {"timezone", publication->timezone},
      {"save_label", current.status == PostStatus::kPublished ? "Update" : "Save draft"},
      {"can_submit", current.status == PostStatus::kDraft && !CanPublish(viewer, current)},
      {"can_publish", current.status != PostStatus::kTrash &&
                          current.status != PostStatus::kPublished && CanPublish(viewer, current)},
      {"can_unpublish", published && CanPublish(viewer, current)},
      {"can_trash", current.status != PostStatus::kTrash && CanTrash(viewer, current)},
      {"can_restore", current.status == PostStatus::kTrash && CanTrash(viewer, current)},
      {"sections", section_options},
      {"authors", author_options},
      {"revisions", revisions},
      {"has_revisions", !revisions.empty()},
      {"notice", notice},
      {"error", error},
      {"preview_document", preview_document},
      {"post",
       {{"title", fields.title},
        {"dek", fields.dek},
        {"body", fields.body},
        {"slug", fields.slug},
        {"is_page", fields.kind == "page"},
        {"authors", fields.authors},
        {"tags", fields.tags},
        {"image_url", fields.image_url},
        {"image_alt", fields.image_alt},
        {"image_caption", fields.image_caption},
        {"image_credit", fields.image_credit},
        {"seo_description", fields.seo_description},
        {"social_image", fields.social_image},
        {"canonical_url", fields.canonical_url},
        {"noindex", fields.noindex},
        {"opinion", fields.opinion},
        {"comments_open", fields.comments_open},
        {"disclaimer_default", fields.disclaimer_mode == "default"},
        {"disclaimer_custom", fields.disclaimer_mode == "custom"},
        {"disclaimer_hidden", fields.disclaimer_mode == "hidden"},
        {"disclaimer", fields.disclaimer},
        {"date", fields.date}}}};
  return Render("editor", std::move(view), status, viewer);
}

Result<Response> Desk::NewPostForm(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  EditorFields fields;
  fields.comments_open = true;
  return EditorPage(*viewer, std::nullopt, fields, 200, "", "", "");
}

Result<Response> Desk::EditPostForm(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  const auto id = ParseId(request.Param("id"));
  auto stored = id ? store_.FindPostById(*id) : Result<std::optional<PostDetail>>(std::nullopt);
  if (!stored) return tl::unexpected(stored.error());
  if (!*stored) return Fail(ErrorCode::kNotFound, "There is no such post.");
  if (!CanEdit(*viewer, (*stored)->post)) {
    return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  }
  auto publication = store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());
  std::string notice;
  if (auto saved = request.QueryParam("saved")) {
    if (*saved == "save")
      notice = "Saved.";
    else if (*saved == "submit")
      notice = "Submitted for review. An editor will take it from here.";
    else if (*saved == "publish")
      notice = "Published.";
    else if (*saved == "schedule")
      notice = "Scheduled.";
    else if (*saved == "unpublish")
      notice = "Unpublished: it is a draft again.";
    else if (*saved == "trash")
      notice = "Moved to the trash.";
    else if (*saved == "restore")
      notice = "Restored from the trash as a draft.";
    else if (*saved == "note")
      notice = "The note is on the article now.";
  }
  return EditorPage(*viewer, *stored, FieldsFromPost(**stored, zone), 200, notice, "", "");
}

Result<Response> Desk::CreatePost(const Request& request) const { return SavePost(request); }

Result<Response> Desk::SavePost(const Request& request) const {
  auto viewer_result = CurrentViewer(request);
  if (!viewer_result) return tl::unexpected(viewer_result.error());
  if (!*viewer_result) {
    // Signed out while writing (the session expired or was ended): nothing is saved, and the
    // text comes back so that nothing is lost.
    if (FieldsFromForm(request.FormFields()).action == "autosave") {
      Response response = Response::Text(401, "Your session has ended.");
      response.content_type = "application/json";
      response.body = R"({"error":"your session has ended; sign in again in another tab"})";
      return response;
    }
    const EditorFields fields = FieldsFromForm(request.FormFields());
    if (fields.title.empty() && fields.dek.empty() && fields.body.empty()) return ToSignIn(request);
    nlohmann::json view = {
        {"title", "Not saved"},
        {"post", {{"title", fields.title}, {"dek", fields.dek}, {"body", fields.body}}}};
    return Render("expired", std::move(view), 401, std::nullopt);
  }
  const auth::Viewer& viewer = **viewer_result;
  auto valid = CheckForm(request, "session:" + viewer.session_hash);
  if (!valid) return tl::unexpected(valid.error());
  const bool form_current = *valid;
  if (!Can(viewer.role, Action::kWriteDraft))
    return Fail(ErrorCode::kForbidden, "Your role does not allow writing.");

  std::optional<PostDetail> stored;
  const bool is_new = request.Param("id").empty();
  if (!is_new) {
    const auto id = ParseId(request.Param("id"));
    auto found = id ? store_.FindPostById(*id) : Result<std::optional<PostDetail>>(std::nullopt);
    if (!found) return tl::unexpected(found.error());
    if (!*found) return Fail(ErrorCode::kNotFound, "There is no such post.");
    stored = std::move(*found);
    if (!CanEdit(viewer, stored->post))
      return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  }
  EditorFields fields = FieldsFromForm(request.FormFields());
  auto publication = store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());
  auto again = [&](int status, const std::string& error, const std::string& preview = "") {
    return EditorPage(viewer, stored, fields, status, "", error, preview);
  };
  if (!form_current) {
    // A stale form (opened before signing in again, say): show it back with a fresh token.
    return again(403,
                 "This form had expired, so nothing was saved. Your text is below; check it "
                 "and save again.");
  }

  // A featured image uploaded with the form goes to the media library first.
  for (const auto& file : request.Files()) {
    if (file.field != "image_file" || fields.action == "autosave") continue;
    auto item =
        SaveUpload(viewer, file, fields.image_alt, fields.image_caption, fields.image_credit);
    if (!item) {
      const auto code = item.error().code;
      if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge ||
          code == ErrorCode::kForbidden) {
        return again(422, item.error().message);
      }
      if (IsSaveFailure(item.error()))
        return AsSaveFailure(again(500, SaveFailureMessage(item.error())), item.error());
      // The server is busy with other images: the text is kept, shown back with the reason.
      if (code == ErrorCode::kUnavailable) {
        auto page = again(503, item.error().message);
        if (page) page->headers.emplace_back("Retry-After", ImageRetryAfter());
        return page;
      }
      return tl::unexpected(item.error());
    }
    fields.image_url = item->url;
  }
  // An image from the library brings its words along: its alt text, caption and credit fill
  // whatever the form left empty.
  if (fields.image_url.starts_with("/uploads/") &&
      (fields.image_alt.empty() || fields.image_caption.empty() || fields.image_credit.empty())) {
    auto item = store_.FindMediaByUrl(fields.image_url);
    if (!item) return tl::unexpected(item.error());
    if (*item) {
      if (fields.image_alt.empty()) fields.image_alt = (*item)->alt;
      if (fields.image_caption.empty()) fields.image_caption = (*item)->caption;
      if (fields.image_credit.empty()) fields.image_credit = (*item)->credit;
    }
  }
  Post post = stored ? stored->post : Post{};
  const Post before = post;
  std::optional<Timestamp> date;
  const bool autosave = fields.action == "autosave";
  // Autosave answers the editor's script in JSON; everything else answers a person in HTML.
  auto json = [](int status, nlohmann::json body) {
    Response response;
    response.status = status;
    response.content_type = "application/json";
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    response.cache_control = "no-store";
    return response;
  };
  auto body_options = body_policy_.ForWriter(WriterOf(viewer), post);
  if (!body_options) return tl::unexpected(body_options.error());
  if (auto applied = ApplyFields(store_, fields, zone, post, date, *body_options); !applied) {
    if (applied.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(applied.error());
    if (autosave) return json(422, {{"error", applied.error().message}});
    return again(422, applied.error().message);
  }
  if (fields.action == "preview") return again(200, "", post.body_html);
  if (autosave) {
    // Only drafts are autosaved: an unfinished edit must never reach a published article.
    if (is_new || !Unpublished(before))
      return json(422, {{"error", "only saved drafts are autosaved"}});
    post.published_at = date;
    auto edit = store_.SavePostEdit(post, fields.edit_count, viewer.user.id,
                                    RevisionDetails(fields, post.status));
    if (!edit) {
      if (edit.error().code == ErrorCode::kConflict)
        return json(409, {{"error", edit.error().message}});
      if (IsSaveFailure(edit.error())) {
        return AsSaveFailure(json(500, {{"error", SaveFailureReason(edit.error())},
                                        {"code", ErrorCodeName(edit.error().code)}}),
                             edit.error());
      }
      return tl::unexpected(edit.error());
    }
    return json(200, {{"edit_count", *edit}});
  }

  const Timestamp now = Now();
  const std::string& action = fields.action.empty() ? std::string("save") : fields.action;
  if (action == "save") {
    if (is_new) post.status = PostStatus::kDraft;
    if (post.status == PostStatus::kPublished) post.updated_at = now;
    if (date && post.status != PostStatus::kDraft && post.status != PostStatus::kPending)
      post.published_at = date;
    if (Unpublished(post)) post.published_at = date;
  } else if (action == "submit") {
    if (!Unpublished(post)) return again(422, "Only drafts can be submitted for review.");
    post.status = PostStatus::kPending;
    post.published_at = date;
  } else if (action == "publish" || action == "schedule" || action == "unpublish") {
    if (!CanPublish(viewer, post)) {
      return again(403, "Your role does not allow publishing. Submit the post for review instead.");
    }
    if (action == "publish") {
      if (date && *date > now + 60)
        return again(422, "The date is in the future: use “Schedule for the date”.");
      if (before.status == PostStatus::kPublished) post.updated_at = now;
      post.published_at = date.value_or(
          before.status == PostStatus::kPublished && before.published_at ? *before.published_at
                                                                         : now);
      post.status = PostStatus::kPublished;
    } else if (action == "schedule") {
      if (!date || *date <= now)
        return again(422, "Choose a publication date in the future to schedule the post.");
      post.published_at = date;
      post.status = PostStatus::kScheduled;
    } else {
      post.status = PostStatus::kDraft;
    }
  } else if (action == "trash" || action == "restore") {
    if (is_new || !CanTrash(viewer, post))
      return again(403, "Your role does not allow deleting this post.");
    post.status = action == "trash" ? PostStatus::kTrash : PostStatus::kDraft;
  } else {
    return again(422, "Unknown action.");
  }
  if (is_new) post.created_by = viewer.user.id;

  const std::string details = RevisionDetails(fields, post.status);
  std::int64_t id = post.id;
  if (is_new) {
    auto created = store_.CreatePost(post, viewer.user.id, details);
    if (!created) {
      if (created.error().code == ErrorCode::kConflict)
        return again(422, "Not saved: " + created.error().message + ".");
      if (IsSaveFailure(created.error()))
        return AsSaveFailure(again(500, SaveFailureMessage(created.error())), created.error());
      return tl::unexpected(created.error());
    }
    id = *created;
  } else {
    // The redirect bookkeeping and the save succeed or fail together.
    auto saved = store_.InTransaction([&]() -> Result<void> {
      auto edit = store_.SavePostEdit(post, fields.edit_count, viewer.user.id, details);
      if (!edit) return tl::unexpected(edit.error());
      const std::string old_path = "/" + before.slug + "/";
      const std::string new_path = "/" + post.slug + "/";
      if (before.slug != post.slug && before.status == PostStatus::kPublished) {
        if (auto put = store_.PutRedirect({old_path, new_path, 301, now}); !put) return put;
      }
      if (auto cleared = store_.DeleteRedirect(new_path); !cleared)
        return cleared;  // the address is live again
      if (post.status == PostStatus::kTrash && before.status == PostStatus::kPublished) {
        return store_.PutRedirect({new_path, "", 410, now});
      }
      return {};
    });
    if (!saved) {
      if (saved.error().code == ErrorCode::kConflict)
        return again(409, "Not saved: " + saved.error().message + ".");
      if (IsSaveFailure(saved.error()))
        return AsSaveFailure(again(500, SaveFailureMessage(saved.error())), saved.error());
      return tl::unexpected(saved.error());
    }
  }
  Audit(viewer, is_new ? "create" : action, id, post.title);
  Response response = Response::Redirect(303, fmt::format("/admin/posts/{}?saved={}", id, action));
  response.cache_control = "no-store";
  return response;
}

Result<Response> Desk::EmptyTrash(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kDeleteOthers,
                        "Your role does not allow emptying the trash.");
  if (!viewer) return Denied(request, viewer.error());
  auto removed = store_.EmptyTrash();
  if (!removed) return tl::unexpected(removed.error());
  Audit(*viewer, "empty-trash", std::nullopt, fmt::format("{} post(s)", *removed));
  return Response::Redirect(303, fmt::format("/admin/posts?status=trash&emptied={}", *removed));
}

Result<Response> Desk::RevisionPage(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  const auto post_id = ParseId(request.Param("id"));
  const auto revision_id = ParseId(request.Param("revision"));
  auto stored =
      post_id ? store_.FindPostById(*post_id) : Result<std::optional<PostDetail>>(std::nullopt);
  if (!stored) return tl::unexpected(stored.error());
  auto revision = revision_id ? store_.FindRevision(*revision_id)
                              : Result<std::optional<Revision>>(std::nullopt);
  if (!revision) return tl::unexpected(revision.error());
  if (!*stored || !*revision || (*revision)->post_id != (*stored)->post.id) {
    return Fail(ErrorCode::kNotFound, "There is no such revision.");
  }
  const Post& post = (*stored)->post;
  if (!CanEdit(*viewer, post))
    return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  nlohmann::json fields = nlohmann::json::array();
  const std::tuple<const char*, const char*, const std::string&, const std::string&> compared[] = {
      {"title", "Headline", (*revision)->title, post.title},
      {"dek", "Dek", (*revision)->dek, post.dek},
      {"body", "Body", (*revision)->body_markdown, post.body_markdown},
  };
  for (const auto& [key, label, before, after] : compared) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& line : DiffLines(before, after)) {
      const bool same = line.kind == DiffLine::Kind::kSame;
      const bool added = line.kind == DiffLine::Kind::kAdded;
      lines.push_back({{"kind", same    ? "same"
                                : added ? "added"
                                        : "removed"},
                       {"sign", same    ? " "
                                : added ? "+"
                                        : "\u2212"},
                       {"text", line.text}});
    }
    fields.push_back(
        {{"key", key}, {"label", label}, {"changed", before != after}, {"lines", lines}});
  }
  nlohmann::json view = {
      {"title", "Revision"},
      {"saved", FormatIsoTime((*revision)->saved_at, TimeZone()).substr(0, 16) + " UTC"},
      {"by", (*revision)->user_name.empty() ? "import" : (*revision)->user_name},
      {"edit_url", fmt::format("/admin/posts/{}", post.id)},
      {"restore_url",
       fmt::format("/admin/posts/{}/revisions/{}/restore", post.id, (*revision)->id)},
      {"can_restore", post.status != PostStatus::kTrash},
      {"edit_count", post.edit_count},
      {"fields", fields}};
  return Render("revision", std::move(view), 200, *viewer);
}

Result<Response> Desk::RestoreRevision(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const auto post_id = ParseId(request.Param("id"));
  const auto revision_id = ParseId(request.Param("revision"));
  auto stored =
      post_id ? store_.FindPostById(*post_id) : Result<std::optional<PostDetail>>(std::nullopt);
  if (!stored) return tl::unexpected(stored.error());
  auto revision = revision_id ? store_.FindRevision(*revision_id)
                              : Result<std::optional<Revision>>(std::nullopt);
  if (!revision) return tl::unexpected(revision.error());
  if (!*stored || !*revision || (*revision)->post_id != (*stored)->post.id) {
    return Fail(ErrorCode::kNotFound, "There is no such revision.");
  }
  Post post = (*stored)->post;
  if (!CanEdit(*viewer, post))
    return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  int expected = post.edit_count;
  const std::string count = http::FieldValue(request.FormFields(), "edit_count");
  std::from_chars(count.data(), count.data() + count.size(), expected);
  post.title = (*revision)->title;
  post.dek = (*revision)->dek;
  post.body_markdown = (*revision)->body_markdown;
  auto body_options = body_policy_.ForWriter(WriterOf(*viewer), post);
  if (!body_options) return tl::unexpected(body_options.error());
  auto html = markdown::ToHtml(post.body_markdown, *body_options);
  if (!html) return tl::unexpected(html.error());
  post.body_html = std::move(*html);
  if (post.status == PostStatus::kPublished) post.updated_at = Now();
  auto publication = store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());
  EditorFields fields = FieldsFromPost(**stored, zone);
  fields.title = post.title;
  fields.dek = post.dek;
  fields.body = post.body_markdown;
  auto saved =
      store_.SavePostEdit(post, expected, viewer->user.id, RevisionDetails(fields, post.status));
  if (!saved) {
    if (saved.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict,
                  "The post changed since you opened this revision; open it again.");
    }
    return tl::unexpected(saved.error());
  }
  Audit(*viewer, "restore-revision", post.id, fmt::format("revision {}", (*revision)->id));
  return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=save", post.id));
}

Result<Response> Desk::AddNote(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const auto id = ParseId(request.Param("id"));
  auto stored = id ? store_.FindPostById(*id) : Result<std::optional<PostDetail>>(std::nullopt);
  if (!stored) return tl::unexpected(stored.error());
  if (!*stored) return Fail(ErrorCode::kNotFound, "There is no such post.");
  const Post& post = (*stored)->post;
  if (!CanEdit(*viewer, post))
    return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  if (post.status != PostStatus::kPublished) {
    return Fail(ErrorCode::kInvalidArgument,
                "Notes are for published articles; edit a draft directly.");
  }
  const auto fields = request.FormFields();
  const std::string kind = http::FieldValue(fields, "kind") == "update" ? "update" : "correction";
  const std::string text(Trim(http::FieldValue(fields, "text")));
  if (text.empty() || text.size() > 2000 || !IsValidUtf8(text)) {
    return Fail(ErrorCode::kInvalidArgument, "Write the note: 1 to 2000 characters.");
  }
  auto added = store_.AddPostNote(PostNote{0, post.id, kind, text, Now()}, viewer->user.id);
  if (!added) return tl::unexpected(added.error());
  Audit(*viewer, "add-" + kind, post.id, text);
  return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=note", post.id));
}

Result<std::string> Desk::PreviewDocument(const Publication& publication,
                                          const std::string& body_html) const {
  return theme_.RenderIn("", "admin/preview",
                         {{"language", publication.language},
                          {"css_url", theme_.AssetUrl("style.css")},
                          {"body_html", body_html}});
}

Result<Response> Desk::PreviewFragment(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  // The live preview shows what a save would store: the editor page sends the post's id (0 for
  // a new one), and the same rule as the save decides whether its raw HTML is kept. A post the
  // viewer may not edit is previewed filtered.
  const auto fields = request.FormFields();
  Post post;
  if (const std::string id_text = http::FieldValue(fields, "post");
      !id_text.empty() && id_text != "0") {
    const auto id = ParseId(id_text);
    auto stored = id ? store_.FindPostById(*id) : Result<std::optional<PostDetail>>(std::nullopt);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) return Fail(ErrorCode::kNotFound, "There is no such post.");
    post = (*stored)->post;
  }
  markdown::Options options = body_policy_.Filtered();
  if (CanEdit(*viewer, post)) {
    auto chosen = body_policy_.ForWriter(WriterOf(*viewer), post);
    if (!chosen) return tl::unexpected(chosen.error());
    options = std::move(*chosen);
  }
  auto html = markdown::ToHtml(http::FieldValue(fields, "body"), options);
  if (!html) return Fail(ErrorCode::kInvalidArgument, html.error().message);
  auto publication = store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  auto document = PreviewDocument(*publication, *html);
  if (!document) return tl::unexpected(document.error());
  Response response;
  response.body = std::move(*document);
  response.cache_control = "no-store";
  // The editor puts this in a sandboxed frame's srcdoc; opened on its own it is just as inert.
  response.content_security_policy = kPreviewFramePolicy;
  return response;
}

}  // namespace broadsheet::admin
