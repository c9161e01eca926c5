#include "content/posts.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/slug.h"
#include "core/text.h"
#include "markdown/markdown.h"

namespace broadsheet::content {
namespace {

using auth::Action;
using auth::Can;

constexpr std::array<std::pair<Step, std::string_view>, 7> kStepNames = {{
    {Step::kSave, "save"},
    {Step::kSubmit, "submit"},
    {Step::kPublish, "publish"},
    {Step::kSchedule, "schedule"},
    {Step::kUnpublish, "unpublish"},
    {Step::kTrash, "trash"},
    {Step::kRestore, "restore"},
}};

bool Owns(const Actor& actor, const Post& post) {
  return post.id == 0 || (post.created_by && *post.created_by == actor.user_id);
}

bool Live(PostStatus status) {
  return status == PostStatus::kPublished || status == PostStatus::kScheduled;
}

std::string PathOf(const std::string& slug) { return "/" + slug + "/"; }

Error Refused(std::string message) { return Error{ErrorCode::kForbidden, std::move(message), ""}; }
Error Invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), ""};
}

// The JSON kept with each revision: the fields that are not headline, dek and body, as typed
// (the image's words as saved: the library may have filled them in).
std::string RevisionDetails(const PostInput& input, const Post& post) {
  return nlohmann::json{{"slug", input.slug},
                        {"status", PostStatusName(post.status)},
                        {"kind", input.kind},
                        {"section", input.section},
                        {"authors", input.authors},
                        {"tags", input.tags},
                        {"image_url", post.image.url},
                        {"image_alt", post.image.alt},
                        {"image_caption", post.image.caption},
                        {"image_credit", post.image.credit},
                        {"seo_description", input.seo_description},
                        {"social_image", input.social_image},
                        {"canonical_url", input.canonical_url},
                        {"noindex", input.noindex},
                        {"opinion", input.opinion},
                        {"comments_open", input.comments_open},
                        {"disclaimer_mode", input.disclaimer_mode},
                        {"disclaimer", input.disclaimer},
                        {"date", input.date}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// An address a post may point to: site-relative (when `relative` is allowed) or http(s), with
// nothing that could leave an HTML attribute.
bool IsAddress(const std::string& url, bool relative) {
  const bool scheme_ok = url.starts_with("https://") || url.starts_with("http://") ||
                         (relative && url.starts_with("/") && !url.starts_with("//"));
  return scheme_ok && url.size() <= 2000 && url.find_first_of("\"<> \t\r\n") == std::string::npos;
}

Result<void> CheckSeoFields(const PostInput& input) {
  if (input.seo_description.size() > 300) {
    return tl::unexpected(Invalid(
        "The search description is longer than 300 characters; search engines show about 160."));
  }
  if (!input.social_image.empty() && !IsAddress(input.social_image, true))
    return tl::unexpected(
        Invalid("The social image address must start with /uploads/ or https://."));
  if (!input.canonical_url.empty() && !IsAddress(input.canonical_url, false)) {
    return tl::unexpected(
        Invalid("The canonical address must be a full address starting with https://."));
  }
  return {};
}

}  // namespace

std::optional<Step> ParseStep(std::string_view name) {
  for (const auto& [step, step_name] : kStepNames) {
    if (step_name == name) return step;
  }
  return std::nullopt;
}

std::string_view StepName(Step step) {
  for (const auto& [known, name] : kStepNames) {
    if (known == step) return name;
  }
  return "save";
}

bool IsUnpublished(const Post& post) {
  return post.status == PostStatus::kDraft || post.status == PostStatus::kPending;
}

bool MayEdit(const Actor& actor, const Post& post) {
  if (Can(actor.role, Action::kEditOthers)) return true;
  if (!Owns(actor, post)) return false;
  return IsUnpublished(post) ? Can(actor.role, Action::kWriteDraft)
                             : Can(actor.role, Action::kEditOwnPublished);
}

bool MayPublish(const Actor& actor, const Post& post) {
  return Can(actor.role, Action::kPublishOthers) ||
         (Owns(actor, post) && Can(actor.role, Action::kPublishOwn));
}

bool MayChangeNotes(const Actor& actor) { return Can(actor.role, Action::kEditOthers); }

bool MayReview(const Actor& actor) { return Can(actor.role, Action::kEditOthers); }

bool NeedsBylineConfirmation(const Post& post) {
  return post.kind == PostKind::kArticle && post.author_ids.empty();
}

bool MayTrash(const Actor& actor, const Post& post) {
  if (post.id == 0) return false;
  if (Can(actor.role, Action::kDeleteOthers)) return true;
  return Owns(actor, post) && (Can(actor.role, Action::kDeleteOwn) || IsUnpublished(post));
}

Result<TimeZone> Posts::Zone() const {
  auto publication = publication_ ? publication_() : store_.LoadPublication();
  if (!publication) return tl::unexpected(publication.error());
  return TimeZone::Find(publication->timezone).value_or(TimeZone());
}

Result<std::optional<PostDetail>> Posts::Stored(std::optional<std::int64_t> id) const {
  if (!id) return std::optional<PostDetail>();
  auto found = *id > 0 ? store_.FindPostById(*id) : Result<std::optional<PostDetail>>();
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Fail(ErrorCode::kNotFound, "There is no such post.");
  return found;
}

Result<PostDetail> Posts::FindForEdit(const Actor& actor, std::int64_t id) const {
  auto stored = Stored(id);
  if (!stored) return tl::unexpected(stored.error());
  if (!MayEdit(actor, (*stored)->post))
    return tl::unexpected(Refused("Your role does not allow you to edit this post."));
  return std::move(**stored);
}

PostInput Posts::InputOf(const PostDetail& detail, const TimeZone& zone) {
  const Post& post = detail.post;
  PostInput input;
  input.title = post.title;
  input.dek = post.dek;
  input.body = post.body_markdown;
  input.slug = post.slug;
  input.kind = post.kind == PostKind::kPage ? "page" : "article";
  if (detail.section) input.section = detail.section->slug;
  for (const auto& author : detail.authors)
    input.authors += (input.authors.empty() ? "" : ", ") + author.slug;
  for (const auto& tag : detail.tags) input.tags += (input.tags.empty() ? "" : ", ") + tag.name;
  input.image_url = post.image.url;
  input.image_alt = post.image.alt;
  input.image_caption = post.image.caption;
  input.image_credit = post.image.credit;
  input.seo_description = post.seo.description;
  input.social_image = post.seo.social_image;
  input.canonical_url = post.seo.canonical_url;
  input.noindex = post.seo.noindex;
  input.opinion = post.opinion;
  input.comments_open = post.comments_open;
  input.disclaimer_mode =
      post.disclaimer_hidden ? "hidden" : (post.disclaimer ? "custom" : "default");
  input.disclaimer = post.disclaimer.value_or("");
  if (post.published_at) input.date = FormatIsoTime(*post.published_at, zone).substr(0, 16);
  return input;
}

Result<Post> Posts::Prepare(const Actor& actor, std::optional<std::int64_t> id,
                            const PostInput& input) const {
  auto stored = Stored(id);
  if (!stored) return tl::unexpected(stored.error());
  return Prepared(actor, *stored ? (*stored)->post : Post{}, input);
}

Result<Post> Posts::Prepared(const Actor& actor, Post post, const PostInput& typed,
                             NewTags new_tags) const {
  if (!MayEdit(actor, post))
    return tl::unexpected(Refused("Your role does not allow you to edit this post."));
  PostInput input = typed;
  if (input.title.empty()) return tl::unexpected(Invalid("The headline is required."));
  if (input.title.size() > 300)
    return tl::unexpected(Invalid("The headline is longer than 300 characters."));
  if (input.dek.size() > 1000)
    return tl::unexpected(Invalid("The dek is longer than 1000 characters."));
  if (input.body.size() > markdown::kMaxInputBytes)
    return tl::unexpected(Invalid("The body is longer than 4 MiB."));
  auto options = policy_.ForWriter(actor, post);
  if (!options) return tl::unexpected(options.error());
  auto html = markdown::ToHtml(input.body, *options);
  if (!html)
    return tl::unexpected(Invalid("The body could not be read: " + html.error().message + "."));
  post.title = input.title;
  post.dek = input.dek;
  post.body_markdown = input.body;
  post.body_html = std::move(*html);
  post.slug = input.slug.empty() ? Slugify(input.title) : input.slug;
  if (post.slug.empty())
    return tl::unexpected(Invalid("Choose an address: none can be made from this headline."));
  if (auto checked = CheckPostSlug(post.slug); !checked)
    return tl::unexpected(Invalid("The address cannot be used: " + checked.error().message + "."));
  post.kind = input.kind == "page" ? PostKind::kPage : PostKind::kArticle;

  post.section_id.reset();
  if (!input.section.empty()) {
    auto section = store_.FindSection(input.section);
    if (!section) return tl::unexpected(section.error());
    if (!*section) return tl::unexpected(Invalid("There is no section \"" + input.section + "\"."));
    post.section_id = (*section)->id;
  }
  post.author_ids.clear();
  for (const auto& slug : SplitTrimmed(input.authors, ',')) {
    auto author = store_.FindAuthor(slug);
    if (!author) return tl::unexpected(author.error());
    if (!*author) return tl::unexpected(Invalid("There is no author \"" + slug + "\"."));
    if (std::find(post.author_ids.begin(), post.author_ids.end(), (*author)->id) ==
        post.author_ids.end()) {
      post.author_ids.push_back((*author)->id);
    }
  }
  // Tags are checked before any is created, so a refused save creates none.
  std::vector<Tag> tags;
  for (const auto& name : SplitTrimmed(input.tags, ',')) {
    Tag tag{0, Slugify(name), name};
    if (tag.slug.empty() || name.size() > 100)
      return tl::unexpected(Invalid("\"" + name + "\" cannot be a tag."));
    tags.push_back(std::move(tag));
  }

  const bool image_ok = input.image_url.empty() || input.image_url.starts_with("/uploads/") ||
                        input.image_url.starts_with("https://") ||
                        input.image_url.starts_with("http://");
  if (!image_ok || input.image_url.find_first_of("\"<> ") != std::string::npos)
    return tl::unexpected(Invalid("The image address must start with /uploads/ or https://."));
  // An image from the library brings its words along.
  if (input.image_url.starts_with("/uploads/") &&
      (input.image_alt.empty() || input.image_caption.empty() || input.image_credit.empty())) {
    auto item = store_.FindMediaByUrl(input.image_url);
    if (!item) return tl::unexpected(item.error());
    if (*item) {
      if (input.image_alt.empty()) input.image_alt = (*item)->alt;
      if (input.image_caption.empty()) input.image_caption = (*item)->caption;
      if (input.image_credit.empty()) input.image_credit = (*item)->credit;
    }
  }
  if (!input.image_url.empty() && input.image_alt.empty())
    return tl::unexpected(Invalid("Describe the featured image in its alt text."));
  post.image = {input.image_url, input.image_alt, input.image_caption, input.image_credit};
  if (auto seo = CheckSeoFields(input); !seo) return tl::unexpected(seo.error());
  post.seo = {input.seo_description, input.social_image, input.canonical_url, input.noindex};
  post.opinion = input.opinion;
  post.comments_open = input.comments_open;
  post.disclaimer_hidden = input.disclaimer_mode == "hidden";
  post.disclaimer.reset();
  if (input.disclaimer_mode == "custom") {
    if (input.disclaimer.empty())
      return tl::unexpected(Invalid("Write the disclaimer, or choose another option."));
    post.disclaimer = input.disclaimer;
  }

  post.tag_ids.clear();
  for (const Tag& tag : tags) {
    if (new_tags == NewTags::kLeave) continue;
    auto existing = store_.FindTag(tag.slug);
    if (!existing) return tl::unexpected(existing.error());
    auto tag_id = *existing ? Result<std::int64_t>((*existing)->id) : store_.UpsertTag(tag);
    if (!tag_id) return tl::unexpected(tag_id.error());
    if (std::find(post.tag_ids.begin(), post.tag_ids.end(), *tag_id) == post.tag_ids.end())
      post.tag_ids.push_back(*tag_id);
  }
  return post;
}

namespace {

// The date typed in the editor, in the publication's zone.
Result<std::optional<Timestamp>> TypedDate(const PostInput& input, const TimeZone& zone) {
  if (input.date.empty()) return std::optional<Timestamp>();
  auto parsed = ParseIsoTime(input.date, zone);
  if (!parsed) {
    return tl::unexpected(
        Invalid("The publication date is not a date: " + parsed.error().message + "."));
  }
  return std::optional<Timestamp>(*parsed);
}

// Moves `post` (as it was: `before`) by `step`. kForbidden and kInvalidArgument name why not.
Result<void> TakeStep(const Actor& actor, const Post& before, Post& post,
                      std::optional<Timestamp> date, Step step, Timestamp now,
                      bool without_byline) {
  const bool is_new = before.id == 0;
  switch (step) {
    case Step::kSave:
      if (is_new) post.status = PostStatus::kDraft;
      if (post.status == PostStatus::kPublished) post.updated_at = now;
      if (date || IsUnpublished(post)) post.published_at = date;
      return {};
    case Step::kSubmit:
      if (!IsUnpublished(post))
        return tl::unexpected(Invalid("Only drafts can be submitted for review."));
      post.status = PostStatus::kPending;
      post.published_at = date;
      post.submitted_at = now;
      return {};
    case Step::kPublish:
    case Step::kSchedule:
    case Step::kUnpublish:
      if (!MayPublish(actor, post)) {
        return tl::unexpected(
            Refused("Your role does not allow publishing. Submit the post for review instead."));
      }
      if (before.status == PostStatus::kTrash && step != Step::kUnpublish) {
        return tl::unexpected(
            Invalid("This post is in the trash: restore it before publishing it."));
      }
      if (step != Step::kUnpublish && NeedsBylineConfirmation(post) && !without_byline) {
        return tl::unexpected(
            Invalid("This article has no byline. Add its authors, or confirm that it is to be "
                    "published without one."));
      }
      if (step == Step::kUnpublish) {
        if (!Live(before.status))
          return tl::unexpected(Invalid("Only published or scheduled posts can be unpublished."));
        post.status = PostStatus::kDraft;
      } else if (step == Step::kPublish) {
        if (date && *date > now + 60)
          return tl::unexpected(Invalid("The date is in the future: use “Schedule for the date”."));
        if (before.status == PostStatus::kPublished) post.updated_at = now;
        post.published_at = date.value_or(
            before.status == PostStatus::kPublished && before.published_at ? *before.published_at
                                                                           : now);
        post.status = PostStatus::kPublished;
      } else {
        if (!date || *date <= now) {
          return tl::unexpected(
              Invalid("Choose a publication date in the future to schedule the post."));
        }
        post.published_at = date;
        post.status = PostStatus::kScheduled;
      }
      return {};
    case Step::kTrash:
    case Step::kRestore:
      if (is_new || !MayTrash(actor, post))
        return tl::unexpected(Refused("Your role does not allow deleting this post."));
      if (step == Step::kTrash && before.status == PostStatus::kTrash)
        return tl::unexpected(Invalid("This post is in the trash already."));
      if (step == Step::kRestore && before.status != PostStatus::kTrash)
        return tl::unexpected(Invalid("Only a post in the trash can be restored."));
      post.status = step == Step::kTrash ? PostStatus::kTrash : PostStatus::kDraft;
      return {};
  }
  return tl::unexpected(Invalid("Unknown action."));
}

}  // namespace

Result<PostDetail> Posts::Preview(const Actor& actor, std::optional<std::int64_t> id,
                                  const PostInput& typed, Timestamp now) const {
  auto stored = Stored(id);
  if (!stored) return tl::unexpected(stored.error());
  PostInput input = typed;
  if (Trim(input.title).empty()) input.title = "Untitled";
  PostDetail detail;
  if (*stored) detail = std::move(**stored);
  auto prepared = Prepared(actor, detail.post, input, NewTags::kLeave);
  if (!prepared) return tl::unexpected(prepared.error());
  detail.post = std::move(*prepared);
  auto zone = Zone();
  if (!zone) return tl::unexpected(zone.error());
  auto date = TypedDate(input, *zone);
  if (!date) return tl::unexpected(date.error());
  detail.post.published_at = date->value_or(detail.post.published_at.value_or(now));
  detail.section.reset();
  if (!input.section.empty()) {
    auto section = store_.FindSection(input.section);
    if (!section) return tl::unexpected(section.error());
    detail.section = std::move(*section);
  }
  detail.authors.clear();
  for (const auto& slug : SplitTrimmed(input.authors, ',')) {
    auto author = store_.FindAuthor(slug);
    if (!author) return tl::unexpected(author.error());
    if (*author) detail.authors.push_back(std::move(**author));
  }
  detail.tags.clear();
  for (const auto& name : SplitTrimmed(input.tags, ','))
    detail.tags.push_back(Tag{0, Slugify(name), std::string(name)});
  return detail;
}

Result<std::int64_t> Posts::Save(const Actor& actor, std::optional<std::int64_t> id,
                                 const PostInput& input, int expected_edit_count, Step step,
                                 Timestamp now) const {
  if (!Can(actor.role, Action::kWriteDraft))
    return tl::unexpected(Refused("Your role does not allow writing."));
  auto stored = Stored(id);
  if (!stored) return tl::unexpected(stored.error());
  const Post before = *stored ? (*stored)->post : Post{};
  auto prepared = Prepared(actor, before, input);
  if (!prepared) return tl::unexpected(prepared.error());
  Post post = std::move(*prepared);
  auto zone = Zone();
  if (!zone) return tl::unexpected(zone.error());
  auto date = TypedDate(input, *zone);
  if (!date) return tl::unexpected(date.error());
  if (auto taken = TakeStep(actor, before, post, *date, step, now, input.without_byline); !taken)
    return tl::unexpected(taken.error());
  const std::string details = RevisionDetails(input, post);
  if (!id) {
    post.created_by = actor.user_id;
    std::int64_t created_id = 0;
    auto created = store_.InTransaction([&]() -> Result<void> {
      auto created = store_.CreatePost(post, actor.user_id, details);
      if (!created) return tl::unexpected(created.error());
      created_id = *created;
      // Published or scheduled at once: whatever was left at the address gives way.
      if (Live(post.status)) return store_.DeleteRedirect(PathOf(post.slug));
      return {};
    });
    if (!created) return tl::unexpected(created.error());
    return created_id;
  }
  // The address bookkeeping and the save succeed or fail together.
  auto saved = store_.InTransaction([&]() -> Result<void> {
    auto edit = store_.SavePostEdit(post, expected_edit_count, actor.user_id, details);
    if (!edit) return tl::unexpected(edit.error());
    const std::string old_path = PathOf(before.slug), new_path = PathOf(post.slug);
    if (before.slug != post.slug && before.status == PostStatus::kPublished) {
      if (auto put = store_.PutRedirect({old_path, new_path, 301, now}); !put) return put;
    }
    if (Live(post.status)) {
      // The address is live (or about to be): whatever was left there before gives way.
      if (auto cleared = store_.DeleteRedirect(new_path); !cleared) return cleared;
    }
    if (post.status == PostStatus::kTrash && before.status == PostStatus::kPublished)
      return store_.PutRedirect({new_path, "", 410, now});
    return {};
  });
  if (!saved) return tl::unexpected(saved.error());
  return post.id;
}

Result<int> Posts::Autosave(const Actor& actor, std::int64_t id, const PostInput& input,
                            int expected_edit_count) const {
  auto prepared = Prepare(actor, id, input);
  if (!prepared) return tl::unexpected(prepared.error());
  // Only drafts are autosaved: an unfinished edit must never reach a published article.
  if (!IsUnpublished(*prepared)) return tl::unexpected(Invalid("only saved drafts are autosaved"));
  auto zone = Zone();
  if (!zone) return tl::unexpected(zone.error());
  auto date = TypedDate(input, *zone);
  if (!date) return tl::unexpected(date.error());
  prepared->published_at = *date;
  return store_.SavePostEdit(*prepared, expected_edit_count, actor.user_id,
                             RevisionDetails(input, *prepared));
}

Result<void> Posts::RestoreRevision(const Actor& actor, std::int64_t post_id,
                                    std::int64_t revision_id,
                                    std::optional<int> expected_edit_count, Timestamp now) const {
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  auto revision = store_.FindRevision(revision_id);
  if (!revision) return tl::unexpected(revision.error());
  if (!*revision || (*revision)->post_id != post_id)
    return Fail(ErrorCode::kNotFound, "There is no such revision.");
  Post post = detail->post;
  if (post.status == PostStatus::kTrash)
    return tl::unexpected(Invalid("This post is in the trash: restore it first."));
  post.title = (*revision)->title;
  post.dek = (*revision)->dek;
  post.body_markdown = (*revision)->body_markdown;
  auto options = policy_.ForWriter(actor, post);
  if (!options) return tl::unexpected(options.error());
  auto html = markdown::ToHtml(post.body_markdown, *options);
  if (!html) return tl::unexpected(html.error());
  post.body_html = std::move(*html);
  if (post.status == PostStatus::kPublished) post.updated_at = now;
  auto zone = Zone();
  if (!zone) return tl::unexpected(zone.error());
  PostInput input = InputOf(*detail, *zone);
  input.title = post.title;
  input.dek = post.dek;
  input.body = post.body_markdown;
  auto saved = store_.SavePostEdit(post, expected_edit_count.value_or(post.edit_count),
                                   actor.user_id, RevisionDetails(input, post));
  if (!saved) {
    if (saved.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict,
                  "The post changed since you opened this revision; open it again.");
    }
    return tl::unexpected(saved.error());
  }
  return {};
}

Result<std::string> Posts::CheckedNote(std::string_view kind, std::string_view text) {
  if (kind != "correction" && kind != "update")
    return tl::unexpected(Invalid("A note is a correction or an update."));
  std::string trimmed(Trim(text));
  if (trimmed.empty() || trimmed.size() > 2000 || !IsValidUtf8(trimmed))
    return tl::unexpected(Invalid("Write the note: 1 to 2000 characters."));
  return trimmed;
}

Result<std::int64_t> Posts::AddNote(const Actor& actor, std::int64_t post_id, std::string_view kind,
                                    std::string_view text, Timestamp now) const {
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  if (detail->post.status != PostStatus::kPublished)
    return tl::unexpected(Invalid("Notes are for published articles; edit a draft directly."));
  auto checked = CheckedNote(kind, text);
  if (!checked) return tl::unexpected(checked.error());
  return store_.AddPostNote(PostNote{0, post_id, std::string(kind), *checked, now}, actor.user_id);
}

Result<PostNote> Posts::StoredNote(const Actor& actor, std::int64_t post_id,
                                   std::int64_t note_id) const {
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  if (!MayChangeNotes(actor)) {
    return tl::unexpected(
        Refused("Only editors may change or remove a correction or update once it is on the "
                "article."));
  }
  for (const PostNote& note : detail->notes) {
    if (note.id == note_id) return note;
  }
  return Fail(ErrorCode::kNotFound, "There is no such note on this article.");
}

Result<PostNote> Posts::EditNote(const Actor& actor, std::int64_t post_id, std::int64_t note_id,
                                 std::string_view kind, std::string_view text) const {
  auto before = StoredNote(actor, post_id, note_id);
  if (!before) return tl::unexpected(before.error());
  auto checked = CheckedNote(kind, text);
  if (!checked) return tl::unexpected(checked.error());
  PostNote note = *before;
  note.kind = std::string(kind);
  note.text = std::move(*checked);
  if (auto updated = store_.UpdatePostNote(note); !updated) return tl::unexpected(updated.error());
  return before;
}

Result<PostNote> Posts::RemoveNote(const Actor& actor, std::int64_t post_id,
                                   std::int64_t note_id) const {
  auto before = StoredNote(actor, post_id, note_id);
  if (!before) return tl::unexpected(before.error());
  if (auto removed = store_.DeletePostNote(post_id, note_id); !removed)
    return tl::unexpected(removed.error());
  return before;
}

Result<std::string> Posts::DefaultByline(const Actor& actor) const {
  auto user = store_.FindUser(actor.user_id);
  if (!user) return tl::unexpected(user.error());
  if (!*user || !(*user)->author_id) return std::string();
  auto authors = store_.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  for (const Author& author : *authors) {
    if (author.id == *(*user)->author_id) return author.slug;
  }
  return std::string();
}

namespace {

Result<std::string> CheckedEditorialNote(std::string_view text) {
  std::string trimmed(Trim(text));
  if (trimmed.empty() || trimmed.size() > 2000 || !IsValidUtf8(trimmed))
    return tl::unexpected(Invalid("Write the note: 1 to 2000 characters."));
  return trimmed;
}

}  // namespace

Result<std::vector<EditorialNote>> Posts::EditorialNotes(const Actor& actor,
                                                         std::int64_t post_id) const {
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  return store_.ListEditorialNotes(post_id);
}

Result<std::vector<PostOpenNotes>> Posts::OpenEditorialNotes(const Actor& actor) const {
  auto listed = store_.ListPostsWithOpenEditorialNotes(actor.user_id);
  if (!listed) return tl::unexpected(listed.error());
  std::vector<PostOpenNotes> open;
  for (PostOpenNotes& item : *listed) {
    Post post;
    post.id = item.post_id;
    post.status = item.status;
    post.created_by = item.created_by;
    if (MayEdit(actor, post)) open.push_back(std::move(item));
  }
  return open;
}

Result<std::int64_t> Posts::AddEditorialNote(const Actor& actor, std::int64_t post_id,
                                             std::string_view text, Timestamp now) const {
  if (!MayReview(actor)) return tl::unexpected(Refused("Only editors write editorial notes."));
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  auto checked = CheckedEditorialNote(text);
  if (!checked) return tl::unexpected(checked.error());
  EditorialNote note;
  note.post_id = post_id;
  note.text = std::move(*checked);
  note.at = now;
  note.user_id = actor.user_id;
  return store_.AddEditorialNote(note);
}

Result<void> Posts::ResolveEditorialNote(const Actor& actor, std::int64_t post_id,
                                         std::int64_t note_id, Timestamp now) const {
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  return store_.ResolveEditorialNote(post_id, note_id, actor.user_id, now);
}

Result<Post> Posts::ReturnToWriter(const Actor& actor, std::int64_t post_id, std::string_view text,
                                   Timestamp now) const {
  if (!MayReview(actor))
    return tl::unexpected(Refused("Only editors return a post to its writer."));
  auto detail = FindForEdit(actor, post_id);
  if (!detail) return tl::unexpected(detail.error());
  if (detail->post.status != PostStatus::kPending)
    return tl::unexpected(Invalid("Only a post awaiting review can be returned to its writer."));
  auto checked = CheckedEditorialNote(text);
  if (!checked) {
    return tl::unexpected(
        Invalid("Say what the writer should change: the note is 1 to 2000 characters."));
  }
  auto zone = Zone();
  if (!zone) return tl::unexpected(zone.error());
  const PostInput input = InputOf(*detail, *zone);
  Post post = detail->post;
  post.status = PostStatus::kDraft;
  EditorialNote note;
  note.post_id = post_id;
  note.text = std::move(*checked);
  note.at = now;
  note.user_id = actor.user_id;
  auto done = store_.InTransaction([&]() -> Result<void> {
    auto saved =
        store_.SavePostEdit(post, post.edit_count, actor.user_id, RevisionDetails(input, post));
    if (!saved) return tl::unexpected(saved.error());
    post.edit_count = *saved;
    auto added = store_.AddEditorialNote(note);
    if (!added) return tl::unexpected(added.error());
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return post;
}

Result<int> Posts::EmptyTrash(const Actor& actor) const {
  if (!Can(actor.role, Action::kDeleteOthers))
    return tl::unexpected(Refused("Your role does not allow emptying the trash."));
  const Timestamp now = Now();
  int removed = 0;
  auto emptied = store_.InTransaction([&]() -> Result<void> {
    auto trashed = store_.ListPostsByStatus(PostStatus::kTrash, std::numeric_limits<int>::max());
    if (!trashed) return tl::unexpected(trashed.error());
    // A deleted post's address answers 410 from then on: gone on purpose, not lost.
    for (const PostDetail& detail : *trashed) {
      if (auto gone = store_.PutRedirect({PathOf(detail.post.slug), "", 410, now}); !gone)
        return gone;
    }
    auto deleted = store_.EmptyTrash();
    if (!deleted) return tl::unexpected(deleted.error());
    removed = *deleted;
    return {};
  });
  if (!emptied) return tl::unexpected(emptied.error());
  return removed;
}

Result<int> Posts::PublishDue(Store& store, Timestamp now) { return store.PublishDuePosts(now); }

Result<std::int64_t> Posts::Import(Store& store, Post post) {
  // The shape only: a backup or an older import may hold an address reserved since.
  if (!IsValidSlug(post.slug)) {
    return tl::unexpected(Invalid("The address \"" + post.slug +
                                  "\" cannot be used: a-z, 0-9 and single hyphens only."));
  }
  if (Live(post.status) && !post.published_at)
    post.published_at = post.created_at ? post.created_at : Now();
  std::int64_t id = 0;
  auto saved = store.InTransaction([&]() -> Result<void> {
    auto written = store.UpsertPost(post);
    if (!written) return tl::unexpected(written.error());
    id = *written;
    // A post at an address that redirected or answered 410 (moved or deleted before, imported
    // again) takes it back.
    if (!Live(post.status)) return {};
    return store.DeleteRedirect(PathOf(post.slug));
  });
  if (!saved) return tl::unexpected(saved.error());
  return id;
}

Result<std::int64_t> Posts::ImportEditorialNote(Store& store, EditorialNote note) {
  auto checked = CheckedEditorialNote(note.text);
  if (!checked) return tl::unexpected(checked.error());
  if (note.resolved_by && !note.resolved_at)
    return tl::unexpected(Invalid("A note resolved by someone has a time it was resolved."));
  note.text = std::move(*checked);
  return store.AddEditorialNote(note);
}

}  // namespace broadsheet::content
