// The desk's posts: the list with filters, the editor, and the workflow actions (save, submit
// for review, publish, schedule, unpublish, trash, restore, empty the trash), each checked
// against the permission table.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "admin/desk.h"
#include "content/figure.h"
#include "content/words.h"
#include "core/diff.h"
#include "core/text.h"
#include "markdown/embeds.h"
#include "media/images.h"

namespace broadsheet::admin {

// What the editor form holds, as typed (kept verbatim when a save fails), with the edit count the
// form was opened at and the button pressed.
struct EditorFields : content::PostInput {
  int edit_count = 0;
  std::string action;
  // The return-to-writer form as typed, when returning was refused: its note and why; the same
  // for the new editorial note.
  std::string return_note, return_error;
  std::string editorial_text, editorial_error;
};

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

content::Actor ActorOf(const auth::Viewer& viewer) {
  return content::Actor{viewer.user.id, viewer.role};
}

namespace {

// A preview document opened on its own: the theme's styles and images, nothing that acts.
constexpr const char* kPreviewFramePolicy =
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; font-src 'self'; "
    "form-action 'none'; base-uri 'none'; sandbox; frame-ancestors 'none'";

// The preview's policy frames what the article will: the enabled embed providers' players and
// charts, and the site's embed hosts (markdown/embeds.h), as the public page's policy does.
std::string PreviewPolicy(const markdown::FilterOptions& filter) {
  const std::vector<std::string> hosts =
      markdown::EmbedFrameHosts(filter.embeds, filter.embed_hosts);
  std::string policy = kPreviewFramePolicy;
  if (hosts.empty()) return policy;
  policy += "; frame-src";
  for (const auto& host : hosts) policy += " https://" + host;
  return policy;
}

using auth::Action;
using auth::Can;
using http::Method;
using http::Request;
using http::Response;

constexpr int kPostsPerPage = 50;
// A featured image chosen in the editor and previewed before it is uploaded travels inside the
// preview page; past this the preview shows the image the form had before (if any).
constexpr size_t kInlinePreviewImageBytes = 8 * 1024 * 1024;

bool CanEdit(const auth::Viewer& viewer, const Post& post) {
  return content::MayEdit(ActorOf(viewer), post);
}
bool CanPublish(const auth::Viewer& viewer, const Post& post) {
  return content::MayPublish(ActorOf(viewer), post);
}
bool CanTrash(const auth::Viewer& viewer, const Post& post) {
  return content::MayTrash(ActorOf(viewer), post);
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
  fields.without_byline = get("without_byline") == "1";
  const std::string count = get("edit_count");
  std::from_chars(count.data(), count.data() + count.size(), fields.edit_count);
  fields.action = get("do");
  return fields;
}

EditorFields FieldsFromPost(const PostDetail& detail, const TimeZone& zone) {
  EditorFields fields;
  static_cast<content::PostInput&>(fields) = content::Posts::InputOf(detail, zone);
  fields.edit_count = detail.post.edit_count;
  return fields;
}

// Words in a post's body as readers see it, for the review queue (content/words.h).
int CountWords(const std::string& body_html) { return content::CountWords(PlainText(body_html)); }

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
  const TimeZone zone = DeskZone();

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
  // Awaiting review: the queue, oldest submission first, so nothing waits longest unseen.
  const bool queue = query.status == PostStatus::kPending;
  query.oldest_submitted_first = queue;
  auto total = store_.CountPostsForDesk(query);
  if (!total) return tl::unexpected(total.error());
  auto posts = store_.ListPostsForDesk(query);
  if (!posts) return tl::unexpected(posts.error());

  nlohmann::json rows = nlohmann::json::array();
  for (const auto& detail : *posts) {
    std::string names;
    for (const auto& author : detail.authors) names += (names.empty() ? "" : ", ") + author.name;
    const Timestamp when = detail.post.published_at.value_or(detail.post.created_at);
    rows.push_back(
        {{"title", detail.post.title},
         {"edit_url", fmt::format("/admin/posts/{}", detail.post.id)},
         {"can_edit", CanEdit(*viewer, detail.post)},
         {"status", PostStatusName(detail.post.status)},
         {"status_label", StatusLabel(detail.post.status)},
         {"section", detail.section ? detail.section->name : ""},
         {"authors", names},
         {"date", FormatDeskTime(when, zone)},
         {"submitted",
          FormatDeskTime(detail.post.submitted_at.value_or(detail.post.created_at), zone)},
         {"words", CountWords(detail.post.body_html)}});
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
                         {"is_queue", queue},
                         {"can_empty_trash", Can(viewer->role, Action::kDeleteOthers)},
                         {"paging", paging},
                         {"notice", notice}};
  return Render("posts", std::move(view), 200, *viewer);
}

Result<Response> Desk::EditorPage(const auth::Viewer& viewer,
                                  const std::optional<PostDetail>& stored,
                                  const EditorFields& fields, int status, const std::string& notice,
                                  const std::string& error) const {
  auto publication = publication_();  // as in effect, broadsheet.toml's overrides applied
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
  // The tags already in use, suggested by the editor's tag picker (desk.js).
  auto tags = store_.ListTags();
  if (!tags) return tl::unexpected(tags.error());
  nlohmann::json tag_names = nlohmann::json::array();
  for (const auto& tag : *tags) tag_names.push_back(tag.name);
  const bool is_new = !stored;
  const bool published =
      current.status == PostStatus::kPublished || current.status == PostStatus::kScheduled;
  const TimeZone zone = DeskZone();
  nlohmann::json revisions = nlohmann::json::array();
  if (stored) {
    auto listed = store_.ListRevisions(current.id);
    if (!listed) return tl::unexpected(listed.error());
    for (const auto& revision : *listed) {
      revisions.push_back(
          {{"saved", FormatDeskTime(revision.saved_at, zone)},
           {"url", fmt::format("/admin/posts/{}/revisions/{}", current.id, revision.id)},
           {"by", revision.user_name.empty() ? "import" : revision.user_name},
           {"title", revision.title}});
    }
  }
  auto unfiltered = body_policy_.MayStoreRawHtml(ActorOf(viewer), current);
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
                             {"caption", item.caption},
                             {"credit", item.credit},
                             {"markdown", content::FigureMarkdown(item)}});
  }
  std::string preview_link, preview_expires;
  if (stored && current.status != PostStatus::kTrash && current.status != PostStatus::kPublished) {
    const Timestamp expires = Now() + 7 * 24 * 3600;
    auto signature = accounts_.PreviewSignature(current.id, expires);
    if (!signature) return tl::unexpected(signature.error());
    const std::string base = publication->base_url;
    preview_link = fmt::format("{}/preview/{}/{}/{}", base, current.id, expires, *signature);
    preview_expires = FormatDeskTime(expires, zone);
  }
  nlohmann::json notes = nlohmann::json::array();
  if (stored) {
    for (const auto& note : stored->notes) {
      notes.push_back(
          {{"label", note.kind == "correction" ? "Correction" : "Update"},
           {"kind", note.kind},
           {"text", note.text},
           {"date", FormatDeskTime(note.at, zone)},
           {"edit_url", content::MayChangeNotes(ActorOf(viewer))
                            ? fmt::format("/admin/posts/{}/notes/{}", current.id, note.id)
                            : ""}});
    }
  }
  nlohmann::json editorial = nlohmann::json::array();
  int open_notes = 0;
  if (stored) {
    auto listed = posts_.EditorialNotes(ActorOf(viewer), current.id);
    if (!listed) return tl::unexpected(listed.error());
    for (const EditorialNote& note : *listed) {
      if (!note.resolved_at) ++open_notes;
      editorial.push_back(
          {{"id", note.id},
           {"text", note.text},
           {"by", note.user_name.empty() ? "a former account" : note.user_name},
           {"at", FormatDeskTime(note.at, zone)},
           {"open", !note.resolved_at},
           {"resolved_by",
            note.resolved_by_name.empty() ? "a former account" : note.resolved_by_name},
           {"resolved_at", note.resolved_at ? FormatDeskTime(*note.resolved_at, zone) : ""}});
    }
  }
  const bool reviewer = content::MayReview(ActorOf(viewer));
  nlohmann::json view = {
      {"title", is_new ? "New post" : "Edit: " + current.title},
      {"tag_names", tag_names},
      {"editorial_notes", editorial},
      {"has_editorial_notes", !editorial.empty()},
      {"open_editorial_notes", open_notes},
      {"has_open_editorial_notes", open_notes > 0},
      {"show_editorial", stored && (reviewer || !editorial.empty())},
      {"can_add_editorial", stored && reviewer && current.status != PostStatus::kTrash},
      {"editorial_action", fmt::format("/admin/posts/{}/editorial-notes", current.id)},
      {"can_return", stored && reviewer && current.status == PostStatus::kPending},
      {"return_action", fmt::format("/admin/posts/{}/return", current.id)},
      {"return_note", fields.return_note},
      {"return_error", fields.return_error},
      {"editorial_text", fields.editorial_text},
      {"editorial_error", fields.editorial_error},
      // Publishing an article with no byline needs a word from the person (content::Posts).
      {"offer_byline_confirm",
       current.status != PostStatus::kPublished && CanPublish(viewer, current)},
      {"ask_byline", Trim(fields.authors).empty() && fields.kind != "page"},
      {"without_byline", fields.without_byline},
      {"preview_link", preview_link},
      {"post_id", current.id},
      {"media", media_options},
      {"has_media", !media_options.empty()},
      {"autosave", !stored || content::IsUnpublished(current)},
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
      // The date field is read and written in this zone; the abbreviation says which side of a
      // daylight-saving change the post's date (or today, for a post without one) falls on.
      {"timezone",
       std::string(zone.name()) + ", " + zone.AbbreviationAt(current.published_at.value_or(Now()))},
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
  // The writer's own profile is the byline a new post starts with.
  auto byline = posts_.DefaultByline(ActorOf(*viewer));
  if (!byline) return tl::unexpected(byline.error());
  fields.authors = *byline;
  return EditorPage(*viewer, std::nullopt, fields, 200, "", "");
}

Result<Response> Desk::EditPostForm(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  auto stored = posts_.FindForEdit(ActorOf(*viewer), ParseId(request.Param("id")).value_or(0));
  if (!stored) return tl::unexpected(stored.error());
  const TimeZone zone = DeskZone();
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
    else if (*saved == "note-edited")
      notice = "The note is changed on the article.";
    else if (*saved == "note-removed")
      notice = "The note is off the article.";
    else if (*saved == "editorial-note")
      notice = "Editorial note added.";
    else if (*saved == "editorial-resolved")
      notice = "Editorial note resolved.";
    else if (*saved == "returned")
      notice = "Returned to the writer as a draft, with your note.";
    else if (*saved == "returned-unmailed")
      notice =
          "Returned to the writer as a draft, with your note. The writer could not be e-mailed "
          "about it (the mail could not be queued); they will see the note on their dashboard "
          "and at the top of the post.";
  }
  return EditorPage(*viewer, *stored, FieldsFromPost(*stored, zone), 200, notice, "");
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
  const content::Actor actor = ActorOf(viewer);

  std::optional<PostDetail> stored;
  std::optional<std::int64_t> id;
  if (!request.Param("id").empty()) {
    id = ParseId(request.Param("id")).value_or(0);
    auto found = posts_.FindForEdit(actor, *id);
    if (!found) return tl::unexpected(found.error());
    stored = std::move(*found);
  }
  EditorFields fields = FieldsFromForm(request.FormFields());
  auto again = [&](int status, const std::string& error) {
    return EditorPage(viewer, stored, fields, status, "", error);
  };
  if (!form_current) {
    // A stale form (opened before signing in again, say): show it back with a fresh token.
    return again(403,
                 "This form had expired, so nothing was saved. Your text is below; check it "
                 "and save again.");
  }
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
  if (autosave) {
    // A new post's first autosave creates its draft; the editor then posts to the draft's own
    // address, with a token for it.
    Result<nlohmann::json> answer = [&]() -> Result<nlohmann::json> {
      if (id) {
        auto edit = posts_.Autosave(actor, *id, fields, fields.edit_count);
        if (!edit) return tl::unexpected(edit.error());
        return nlohmann::json{{"edit_count", *edit}};
      }
      auto created = posts_.Save(actor, std::nullopt, fields, 0, content::Step::kSave, Now());
      if (!created) return tl::unexpected(created.error());
      Audit(viewer, "create", *created, fields.title);
      auto detail = posts_.FindForEdit(actor, *created);
      if (!detail) return tl::unexpected(detail.error());
      const std::string action = fmt::format("/admin/posts/{}", *created);
      auto token = FormToken("session:" + viewer.session_hash, action);
      if (!token) return tl::unexpected(token.error());
      return nlohmann::json{{"edit_count", detail->post.edit_count},
                            {"id", *created},
                            {"action", action},
                            {"csrf", *token}};
    }();
    if (answer) return json(200, *answer);
    const Error& error = answer.error();
    if (error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kForbidden)
      return json(422, {{"error", error.message}});
    if (error.code == ErrorCode::kConflict) return json(409, {{"error", error.message}});
    if (IsSaveFailure(error)) {
      return AsSaveFailure(
          json(500, {{"error", SaveFailureReason(error)}, {"code", ErrorCodeName(error.code)}}),
          error);
    }
    return tl::unexpected(error);
  }

  // Preview saves nothing, the chosen image included (the button opens it in a tab of its own;
  // desk.js shows the same beside the text).
  if (fields.action == "preview") return PreviewArticle(viewer, id, fields, request.Files());

  // A featured image uploaded with the form goes to the media library first.
  for (const auto& file : request.Files()) {
    if (file.field != "image_file") continue;
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

  const std::string action = fields.action.empty() ? std::string("save") : fields.action;
  const auto step = content::ParseStep(action);
  if (!step) return again(422, "Unknown action.");
  auto saved = posts_.Save(actor, id, fields, fields.edit_count, *step, Now());
  if (!saved) {
    const Error& error = saved.error();
    if (error.code == ErrorCode::kInvalidArgument) return again(422, error.message);
    if (error.code == ErrorCode::kForbidden) return again(403, error.message);
    // Someone saved in between (409), or a new post's address is taken (422).
    if (error.code == ErrorCode::kConflict)
      return again(id ? 409 : 422, "Not saved: " + error.message + ".");
    if (IsSaveFailure(error)) return AsSaveFailure(again(500, SaveFailureMessage(error)), error);
    return tl::unexpected(error);
  }
  Audit(viewer, id ? action : "create", *saved, fields.title);
  Response response =
      Response::Redirect(303, fmt::format("/admin/posts/{}?saved={}", *saved, action));
  response.cache_control = "no-store";
  return response;
}

Result<Response> Desk::EmptyTrash(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kDeleteOthers,
                        "Your role does not allow emptying the trash.");
  if (!viewer) return Denied(request, viewer.error());
  auto removed = posts_.EmptyTrash(ActorOf(*viewer));
  if (!removed) return tl::unexpected(removed.error());
  Audit(*viewer, "empty-trash", std::nullopt, fmt::format("{} post(s)", *removed));
  return Response::Redirect(303, fmt::format("/admin/posts?status=trash&emptied={}", *removed));
}

namespace {

// A post and one of its revisions, as the revision pages compare them.
struct RevisionPair {
  PostDetail current;
  Revision revision;
};

Result<RevisionPair> FindRevisionPair(Store& store, const Request& request) {
  const auto post_id = ParseId(request.Param("id"));
  const auto revision_id = ParseId(request.Param("revision"));
  auto stored =
      post_id ? store.FindPostById(*post_id) : Result<std::optional<PostDetail>>(std::nullopt);
  if (!stored) return tl::unexpected(stored.error());
  auto revision = revision_id ? store.FindRevision(*revision_id)
                              : Result<std::optional<Revision>>(std::nullopt);
  if (!revision) return tl::unexpected(revision.error());
  if (!*stored || !*revision || (*revision)->post_id != (*stored)->post.id) {
    return Fail(ErrorCode::kNotFound, "There is no such revision.");
  }
  return RevisionPair{std::move(**stored), std::move(**revision)};
}

// One line of a revision comparison for the template: whole, or in word runs when it was paired
// with the line that replaced it (DiffLinesAndWords).
nlohmann::json DiffLineView(const DiffLine& line) {
  const bool same = line.kind == DiffLine::Kind::kSame;
  const bool added = line.kind == DiffLine::Kind::kAdded;
  nlohmann::json words = nlohmann::json::array();
  for (const DiffWord& word : line.words) {
    words.push_back({{"text", word.text},
                     {"same", word.kind == DiffWord::Kind::kSame},
                     {"removed", word.kind == DiffWord::Kind::kRemoved},
                     {"added", word.kind == DiffWord::Kind::kAdded}});
  }
  return {{"kind", same    ? "same"
                   : added ? "added"
                           : "removed"},
          {"sign", same    ? " "
                   : added ? "+"
                           : "\u2212"},
          {"text", line.text},
          {"has_words", !words.empty()},
          {"words", words}};
}

// The edit count a restore form carries: the one the revision page was opened at, so that a
// restore over someone's later save is refused; nullopt when the form has none.
std::optional<int> EditCountOf(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

Result<Response> Desk::RevisionPage(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  auto pair = FindRevisionPair(store_, request);
  if (!pair) return tl::unexpected(pair.error());
  const Post& post = pair->current.post;
  const Revision& revision = pair->revision;
  if (!CanEdit(*viewer, post))
    return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  nlohmann::json fields = nlohmann::json::array();
  const std::tuple<const char*, const char*, const std::string&, const std::string&> compared[] = {
      {"title", "Headline", revision.title, post.title},
      {"dek", "Dek", revision.dek, post.dek},
      {"body", "Body", revision.body_markdown, post.body_markdown},
  };
  for (const auto& [key, label, before, after] : compared) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& line : DiffLinesAndWords(before, after)) lines.push_back(DiffLineView(line));
    fields.push_back(
        {{"key", key}, {"label", label}, {"changed", before != after}, {"lines", lines}});
  }
  nlohmann::json view = {
      {"title", "Revision"},
      {"saved", FormatDeskTime(revision.saved_at, DeskZone())},
      {"by", revision.user_name.empty() ? "import" : revision.user_name},
      {"edit_url", fmt::format("/admin/posts/{}", post.id)},
      {"restore_url", fmt::format("/admin/posts/{}/revisions/{}/restore", post.id, revision.id)},
      {"can_restore", post.status != PostStatus::kTrash},
      {"edit_count", post.edit_count},
      {"fields", fields}};
  return Render("revision", std::move(view), 200, *viewer);
}

Result<Response> Desk::RestoreConfirmPage(const Request& request) const {
  auto viewer = Require(request, request.method == Method::kPost);
  if (!viewer) return Denied(request, viewer.error());
  auto pair = FindRevisionPair(store_, request);
  if (!pair) return tl::unexpected(pair.error());
  const Post& post = pair->current.post;
  const Revision& revision = pair->revision;
  if (!CanEdit(*viewer, post))
    return Fail(ErrorCode::kForbidden, "Your role does not allow you to edit this post.");
  if (post.status == PostStatus::kTrash)
    return Fail(ErrorCode::kInvalidArgument, "This post is in the trash: restore it first.");
  const TimeZone zone = DeskZone();
  // The count the revision page was opened at travels on, so that the restore is refused if
  // someone saved since; opened without one, the restore applies to the post as it is now.
  const std::string typed_count = request.method == Method::kPost
                                      ? http::FieldValue(request.FormFields(), "edit_count")
                                      : request.QueryParam("edit_count").value_or("");
  const int edit_count = EditCountOf(typed_count).value_or(post.edit_count);

  nlohmann::json changes = nlohmann::json::array();
  if (revision.title != post.title) {
    changes.push_back(
        {{"label", "Headline"}, {"from", post.title}, {"to", revision.title}, {"quoted", true}});
  }
  if (revision.dek != post.dek) {
    changes.push_back(
        {{"label", "Dek"}, {"from", post.dek}, {"to", revision.dek}, {"quoted", true}});
  }
  if (revision.body_markdown != post.body_markdown) {
    int removed = 0, added = 0;
    for (const auto& line : DiffLines(post.body_markdown, revision.body_markdown)) {
      if (Trim(line.text).empty()) continue;
      if (line.kind == DiffLine::Kind::kRemoved) ++removed;
      if (line.kind == DiffLine::Kind::kAdded) ++added;
    }
    changes.push_back(
        {{"label", "Body"},
         {"summary", fmt::format("{} paragraph(s) of the current text go, {} from the revision "
                                 "come back",
                                 removed, added)},
         {"quoted", false}});
  }
  nlohmann::json notes = nlohmann::json::array();
  const bool published = post.status == PostStatus::kPublished;
  for (const PostNote& note : pair->current.notes) {
    notes.push_back({{"label", note.kind == "correction" ? "Correction" : "Update"},
                     {"date", FormatDeskTime(note.at, zone)},
                     {"text", note.text},
                     // A note written after the revision was saved describes text the revision
                     // does not have: the likeliest to be contradicted.
                     {"after_revision", note.at >= revision.saved_at}});
  }
  const std::string restore_url =
      fmt::format("/admin/posts/{}/revisions/{}/restore", post.id, revision.id);
  nlohmann::json view = {
      {"title", "Restore a revision?"},
      {"saved", FormatDeskTime(revision.saved_at, zone)},
      {"by", revision.user_name.empty() ? "import" : revision.user_name},
      {"post_title", post.title},
      {"changes", changes},
      {"has_changes", !changes.empty()},
      {"published", published},
      {"scheduled", post.status == PostStatus::kScheduled},
      {"live_url", published ? "/" + post.slug + "/" : ""},
      {"notes", notes},
      {"has_notes", !notes.empty()},
      {"restore_url", restore_url},
      {"revision_url", fmt::format("/admin/posts/{}/revisions/{}", post.id, revision.id)},
      {"edit_count", edit_count}};
  return Render("restore", std::move(view), 200, *viewer);
}

Result<Response> Desk::RestoreRevision(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  // Only the confirmation page's own form restores; any other post (an old revision page's
  // form, say) is shown what it would change first.
  if (http::FieldValue(request.FormFields(), "confirmed") != "1")
    return RestoreConfirmPage(request);
  const std::int64_t post_id = ParseId(request.Param("id")).value_or(0);
  const std::int64_t revision_id = ParseId(request.Param("revision")).value_or(0);
  const std::optional<int> expected =
      EditCountOf(http::FieldValue(request.FormFields(), "edit_count"));
  auto restored = posts_.RestoreRevision(ActorOf(*viewer), post_id, revision_id, expected, Now());
  if (!restored) return tl::unexpected(restored.error());
  Audit(*viewer, "restore-revision", post_id, fmt::format("revision {}", revision_id));
  return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=save", post_id));
}

Result<Response> Desk::AddNote(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const std::int64_t id = ParseId(request.Param("id")).value_or(0);
  const auto fields = request.FormFields();
  const std::string kind = http::FieldValue(fields, "kind") == "update" ? "update" : "correction";
  const std::string text = http::FieldValue(fields, "text");
  auto added = posts_.AddNote(ActorOf(*viewer), id, kind, text, Now());
  if (!added) return tl::unexpected(added.error());
  Audit(*viewer, "add-" + kind, id, std::string(Trim(text)));
  return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=note", id));
}

namespace {

// The note form's page: the note as stored, or as typed when a change was refused.
nlohmann::json NoteView(const Post& post, const PostNote& note, const std::string& kind,
                        const std::string& text, const TimeZone& zone, const std::string& error) {
  return {{"title", "Edit a note"},
          {"post_title", post.title},
          {"edit_url", fmt::format("/admin/posts/{}", post.id)},
          {"live_url", post.status == PostStatus::kPublished ? "/" + post.slug + "/" : ""},
          {"action", fmt::format("/admin/posts/{}/notes/{}", post.id, note.id)},
          {"date", FormatDeskTime(note.at, zone)},
          {"is_correction", kind != "update"},
          {"is_update", kind == "update"},
          {"text", text},
          {"error", error}};
}

}  // namespace

Result<Response> Desk::NoteForm(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  const std::int64_t post_id = ParseId(request.Param("id")).value_or(0);
  auto note =
      posts_.StoredNote(ActorOf(*viewer), post_id, ParseId(request.Param("note")).value_or(0));
  if (!note) return tl::unexpected(note.error());
  auto detail = posts_.FindForEdit(ActorOf(*viewer), post_id);
  if (!detail) return tl::unexpected(detail.error());
  return Render("note", NoteView(detail->post, *note, note->kind, note->text, DeskZone(), ""), 200,
                *viewer);
}

Result<Response> Desk::ChangeNote(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const std::int64_t post_id = ParseId(request.Param("id")).value_or(0);
  const std::int64_t note_id = ParseId(request.Param("note")).value_or(0);
  const auto fields = request.FormFields();
  if (http::FieldValue(fields, "do") == "remove") {
    auto removed = posts_.RemoveNote(ActorOf(*viewer), post_id, note_id);
    if (!removed) return tl::unexpected(removed.error());
    Audit(*viewer, "remove-" + removed->kind, post_id,
          fmt::format("note {}: {}", note_id, removed->text));
    return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=note-removed", post_id));
  }
  const std::string kind = http::FieldValue(fields, "kind") == "update" ? "update" : "correction";
  const std::string text = http::FieldValue(fields, "text");
  auto before = posts_.EditNote(ActorOf(*viewer), post_id, note_id, kind, text);
  if (!before) {
    if (before.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(before.error());
    // The person's text comes back with the reason.
    auto note = posts_.StoredNote(ActorOf(*viewer), post_id, note_id);
    if (!note) return tl::unexpected(note.error());
    auto detail = posts_.FindForEdit(ActorOf(*viewer), post_id);
    if (!detail) return tl::unexpected(detail.error());
    return Render("note",
                  NoteView(detail->post, *note, kind, text, DeskZone(), before.error().message),
                  422, *viewer);
  }
  Audit(*viewer, "edit-" + kind, post_id,
        fmt::format("note {}: {} (was {}: {})", note_id, std::string(Trim(text)), before->kind,
                    before->text));
  return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=note-edited", post_id));
}

Result<Response> Desk::ChangeEditorialNotes(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const std::int64_t id = ParseId(request.Param("id")).value_or(0);
  const auto fields = request.FormFields();
  if (http::FieldValue(fields, "do") == "resolve") {
    const std::int64_t note_id = ParseId(http::FieldValue(fields, "note")).value_or(0);
    auto resolved = posts_.ResolveEditorialNote(ActorOf(*viewer), id, note_id, Now());
    if (!resolved) return tl::unexpected(resolved.error());
    Audit(*viewer, "resolve-editorial-note", id, fmt::format("note {}", note_id));
    return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=editorial-resolved", id));
  }
  const std::string text = http::FieldValue(fields, "text");
  auto added = posts_.AddEditorialNote(ActorOf(*viewer), id, text, Now());
  if (!added) {
    if (added.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(added.error());
    // The editor page again, the note as typed beside why it was refused.
    auto stored = posts_.FindForEdit(ActorOf(*viewer), id);
    if (!stored) return tl::unexpected(stored.error());
    EditorFields typed = FieldsFromPost(*stored, DeskZone());
    typed.editorial_text = text;
    typed.editorial_error = added.error().message;
    return EditorPage(*viewer, *stored, typed, 422, "",
                      "The editorial note was not added: " + added.error().message);
  }
  Audit(*viewer, "add-editorial-note", id, std::string(Trim(text)));
  return Response::Redirect(303, fmt::format("/admin/posts/{}?saved=editorial-note", id));
}

Result<Response> Desk::ReturnToWriter(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const std::int64_t id = ParseId(request.Param("id")).value_or(0);
  const std::string text = http::FieldValue(request.FormFields(), "note");
  auto post = posts_.ReturnToWriter(ActorOf(*viewer), id, text, Now());
  if (!post) {
    if (post.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(post.error());
    // The editor page again, with the note as typed and why it was refused, at the top and,
    // when the post can still be returned (so the note is what is wrong), beside the note.
    auto stored = posts_.FindForEdit(ActorOf(*viewer), id);
    if (!stored) return tl::unexpected(stored.error());
    EditorFields fields = FieldsFromPost(*stored, DeskZone());
    fields.return_note = text;
    const bool note_wrong = stored->post.status == PostStatus::kPending;
    if (note_wrong) fields.return_error = post.error().message;
    return EditorPage(*viewer, *stored, fields, 422, "",
                      "Not returned to the writer: " + post.error().message);
  }
  Audit(*viewer, "return-to-writer", id, std::string(Trim(text)));
  // The post is a draft again and the note is stored: that is done whatever happens to the mail.
  // The writer is told by mail too, when the site can send it; the note waits on their editor
  // page and dashboard either way, so a mail that cannot be queued is a notice, not a failure.
  auto mailed = MailReturnedPost(*viewer, *post, text);
  if (!mailed) {
    spdlog::error("the writer of post {} was not mailed of its return: {}", id,
                  Describe(mailed.error()));
  }
  return Response::Redirect(
      303, fmt::format("/admin/posts/{}?saved={}", id, mailed ? "returned" : "returned-unmailed"));
}

Result<void> Desk::MailReturnedPost(const auth::Viewer& viewer, const Post& post,
                                    std::string_view note) const {
  if (!outbox_.configured() || !post.created_by || *post.created_by == viewer.user.id) return {};
  auto writer = store_.FindUser(*post.created_by);
  if (!writer) return tl::unexpected(writer.error());
  if (!*writer || (*writer)->disabled) return {};
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  mail::Message message;
  message.to = (*writer)->email;
  message.subject = "Returned to you: " + post.title;
  message.text = fmt::format(
      "Hello {},\n\n{} returned \"{}\" to you as a draft, with this note:\n\n{}\n\n"
      "Open it at {}/admin/posts/{}\n",
      (*writer)->name, viewer.user.name, post.title, Trim(note), PublicBaseUrl(*publication),
      post.id);
  return outbox_.Queue(message);
}

Result<Response> Desk::PreviewFragment(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  // The editor page sends its whole form and the post's id (0 for a new one): the preview shows
  // what a save would store, with the save's rules (raw HTML, the image's words).
  const auto form = request.FormFields();
  const std::string id_text = http::FieldValue(form, "post");
  std::optional<std::int64_t> id;
  if (!id_text.empty() && id_text != "0") {
    id = ParseId(id_text).value_or(0);
    if (*id <= 0) return Fail(ErrorCode::kNotFound, "There is no such post.");
  }
  return PreviewArticle(*viewer, id, FieldsFromForm(form), request.Files());
}

Result<Response> Desk::PreviewArticle(const auth::Viewer& viewer, std::optional<std::int64_t> id,
                                      const content::PostInput& fields,
                                      const std::vector<Request::File>& files) const {
  if (!Can(viewer.role, Action::kWriteDraft))
    return Fail(ErrorCode::kForbidden, "Your role does not allow writing.");
  auto finish = [this](Response response) {
    response.cacheable = false;
    response.cache_control = "no-store";
    // The editor puts this in a sandboxed frame; opened on its own it is just as inert.
    response.content_security_policy = PreviewPolicy(body_policy_.filter());
    return response;
  };
  // Each preview renders a whole article: an account asking faster than anyone types is told to
  // wait (desk.js keeps the last preview and asks again then).
  // A limit the database cannot count just now lets the preview through (it is staff's).
  Timestamp wait = 0;
  if (previews_per_minute_ > 0) {
    auto counted = limiter_.Take({"desk-preview", previews_per_minute_, 60},
                                 {fmt::format("user:{}", viewer.user.id)}, Now());
    if (!counted) spdlog::warn("preview limit not counted: {}", Describe(counted.error()));
    wait = counted.value_or(0);
  }
  if (wait > 0) {
    auto page = theme_.RenderIn(
        "", "admin/preview",
        {{"wait", wait},
         {"message",
          fmt::format("Too many previews in a short time: try again in {} seconds.", wait)}});
    if (!page) return tl::unexpected(page.error());
    Response response;
    response.status = 429;
    response.body = std::move(*page);
    response.headers.emplace_back("Retry-After", std::to_string(wait));
    return finish(std::move(response));
  }
  content::PostInput input = fields;
  // A chosen image is shown from the form's own bytes, when a browser can show it.
  std::string chosen_image;
  for (const auto& file : files) {
    const std::string_view type = media::ImageTypeOf(file.data);
    if (file.field != "image_file" || type.empty() || file.data.size() > kInlinePreviewImageBytes)
      continue;
    std::string encoded(sodium_base64_ENCODED_LEN(file.data.size(), sodium_base64_VARIANT_ORIGINAL),
                        '\0');
    sodium_bin2base64(encoded.data(), encoded.size(),
                      reinterpret_cast<const unsigned char*>(file.data.data()), file.data.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    encoded.resize(encoded.size() - 1);  // the terminating NUL
    chosen_image = fmt::format("data:{};base64,{}", type, encoded);
    input.image_url.clear();  // the upload replaces it, as a save would
  }
  auto detail = posts_.Preview(ActorOf(viewer), id, input, Now());
  if (!detail) {
    if (detail.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(detail.error());
    auto page = theme_.RenderIn("", "admin/preview", {{"message", detail.error().message}});
    if (!page) return tl::unexpected(page.error());
    Response response;
    response.status = 422;
    response.body = std::move(*page);
    return finish(std::move(response));
  }
  if (!chosen_image.empty()) detail->post.image.url = std::move(chosen_image);
  // Facades and charts run nothing here: boxes saying what each is stand in for them.
  detail->post.body_html =
      markdown::WithStandIns(detail->post.body_html, body_policy_.filter().embeds);
  if (!article_preview_) return Fail(ErrorCode::kUnavailable, "The preview is not available.");
  auto page = article_preview_(std::move(*detail));
  if (!page) return tl::unexpected(page.error());
  return finish(std::move(*page));
}

}  // namespace broadsheet::admin
