// The publishing rules for posts and pages, in one place for every door that writes them: the
// desk's editor, its revision and note forms, the scheduler, the importers and the JSON restore.
//
// A post moves between five states:
//
//   draft ──submit──▶ pending ──publish──▶ published ──unpublish──▶ draft
//     │                  │   ──schedule──▶ scheduled ──(its time)──▶ published
//     └───── trash ──────┴──────────────────────────────────────────▶ trash ──restore──▶ draft
//
// Who may do what comes from the permission table (auth/roles.h): writers edit their own drafts,
// authors also their own published posts, editors everyone's; publishing needs kPublishOwn or
// kPublishOthers. Addresses are kept honest as posts move: changing a published post's slug
// leaves a 301 from the old address, trashing a published post makes its address answer 410,
// and publishing or scheduling a post at an address takes back whatever redirect or 410 was
// there (a draft's save leaves them alone: the address is not live yet). Every desk save keeps a
// revision; a save made from an out-of-date form is refused (kConflict), never merged.
//
// Posts holds a Store and a BodyPolicy (the caller owns both; they must outlive it). Thread-safe
// as far as the Store is. Dates typed in the editor are read in the publication's time zone: by
// default the stored one's; a caller that knows of broadsheet.toml's or the environment's override
// (the desk) passes its own `publication` (the settings in effect), so that a date is read in the
// zone it was shown in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "content/body.h"
#include "core/error.h"
#include "core/time.h"
#include "storage/store.h"

namespace broadsheet::content {

// Who acts: a desk account and its role.
using Actor = Writer;

// What the editor holds, as typed: kept verbatim when a save fails, and the details each
// revision records.
struct PostInput {
  std::string title, dek, body, slug, kind = "article", section, authors, tags;
  std::string image_url, image_alt, image_caption, image_credit;
  std::string seo_description, social_image, canonical_url;  // search and social appearance
  bool noindex = false;
  bool opinion = false;
  bool comments_open = true;
  std::string disclaimer_mode = "default", disclaimer;  // "default", "custom" or "hidden"
  std::string date;  // "2026-11-28T09:30" in the publication's time zone, or empty
  // The writer confirmed publishing (or scheduling) an article without a byline; without it
  // Save refuses to (kInvalidArgument, NeedsBylineConfirmation says why).
  bool without_byline = false;
};

// What a desk save does besides storing the fields.
enum class Step { kSave, kSubmit, kPublish, kSchedule, kUnpublish, kTrash, kRestore };
std::optional<Step> ParseStep(std::string_view name);  // "save", "submit", … "restore"
std::string_view StepName(Step step);

bool IsUnpublished(const Post& post);  // a draft or awaiting review
bool MayEdit(const Actor& actor, const Post& post);
bool MayPublish(const Actor& actor, const Post& post);
bool MayTrash(const Actor& actor, const Post& post);
// Whether `actor` may reword or remove the correction and update notes already on an article:
// editors and above (kEditOthers). An author may add a note to their own article, but taking
// back or rewording what the publication has told its readers is an editor's decision.
bool MayChangeNotes(const Actor& actor);
// Whether `actor` may send a post under review back to its writer, and write editorial notes:
// editors and above (kEditOthers).
bool MayReview(const Actor& actor);
// Whether `post` would be published or scheduled with no byline: an article with no authors
// (pages, like "About", have none).
bool NeedsBylineConfirmation(const Post& post);

class Posts {
 public:
  Posts(Store& store, const BodyPolicy& policy,
        std::function<Result<Publication>()> publication = {})
      : store_(store), policy_(policy), publication_(std::move(publication)) {}

  // The stored post `id` for `actor` to edit: kNotFound, or kForbidden with a message.
  Result<PostDetail> FindForEdit(const Actor& actor, std::int64_t id) const;
  // The editor's fields for a stored post, its date in `zone`.
  static PostInput InputOf(const PostDetail& detail, const TimeZone& zone);

  // `input` checked and turned into the post a save would store (post `id`, or a new one when
  // nullopt), without storing it: kInvalidArgument with a message for the person when a field is
  // wrong. An image from the media library brings its alt text, caption and credit to whatever
  // the input leaves empty. May create the tags the input names.
  Result<Post> Prepare(const Actor& actor, std::optional<std::int64_t> id,
                       const PostInput& input) const;
  // The article `input` would make, as readers would see it, without storing anything (no tag
  // is created): for the desk's preview. A missing headline reads "Untitled"; an empty date is
  // the stored one, or `now`. The same kInvalidArgument as Prepare for any other wrong field.
  Result<PostDetail> Preview(const Actor& actor, std::optional<std::int64_t> id,
                             const PostInput& input, Timestamp now) const;
  // Saves `input` as post `id` (nullopt: a new post) and takes `step`, as one transaction with
  // the address bookkeeping and a revision. `expected_edit_count` is the edit count the form was
  // opened at. Returns the post's id. Fails with kNotFound, kForbidden and kInvalidArgument
  // (messages for the person), kConflict (the form is out of date, or a new post's address is
  // taken) or a storage error.
  Result<std::int64_t> Save(const Actor& actor, std::optional<std::int64_t> id,
                            const PostInput& input, int expected_edit_count, Step step,
                            Timestamp now) const;
  // The editor's autosave: only a stored draft or pending post, and never its state. Returns the
  // new edit count.
  Result<int> Autosave(const Actor& actor, std::int64_t id, const PostInput& input,
                       int expected_edit_count) const;

  // Brings back a revision's headline, dek and body (a new revision itself).
  // `expected_edit_count`: the count the revision was opened at (nullopt: whatever it is now).
  Result<void> RestoreRevision(const Actor& actor, std::int64_t post_id, std::int64_t revision_id,
                               std::optional<int> expected_edit_count, Timestamp now) const;
  // A dated correction or update note under a published article.
  Result<std::int64_t> AddNote(const Actor& actor, std::int64_t post_id, std::string_view kind,
                               std::string_view text, Timestamp now) const;
  // An editor's change to note `note_id` of post `post_id` (its kind and text; its date stays),
  // or its removal. Both return the note as it was, for the audit log. kForbidden unless
  // MayChangeNotes and MayEdit allow it; kNotFound for no such post or note on it;
  // kInvalidArgument (as AddNote) for a bad kind or text.
  Result<PostNote> EditNote(const Actor& actor, std::int64_t post_id, std::int64_t note_id,
                            std::string_view kind, std::string_view text) const;
  Result<PostNote> RemoveNote(const Actor& actor, std::int64_t post_id, std::int64_t note_id) const;
  // Note `note_id` of post `post_id`, when `actor` may change it (EditNote's errors), for the
  // form that changes it.
  Result<PostNote> StoredNote(const Actor& actor, std::int64_t post_id, std::int64_t note_id) const;
  // The byline a new post by `actor` starts with: the slug of the author profile linked to
  // their account, or "" when none is.
  Result<std::string> DefaultByline(const Actor& actor) const;

  // Editorial notes: the staff's private notes on a post, never shown to readers (the
  // correction and update notes above are for readers). Whoever may edit the post reads them
  // (a writer their own post's, kForbidden for another's) and may resolve one; only reviewers
  // (MayReview) write them. The text is 1 to 2000 characters (kInvalidArgument).
  Result<std::vector<EditorialNote>> EditorialNotes(const Actor& actor, std::int64_t post_id) const;
  Result<std::int64_t> AddEditorialNote(const Actor& actor, std::int64_t post_id,
                                        std::string_view text, Timestamp now) const;
  // The posts `actor` wrote that have open editorial notes and that `actor` may open (MayEdit:
  // a contributor's published or scheduled post is the editors' now, so its notes are not
  // theirs to address), the most recently noted first.
  Result<std::vector<PostOpenNotes>> OpenEditorialNotes(const Actor& actor) const;
  // kNotFound when the post has no such open note.
  Result<void> ResolveEditorialNote(const Actor& actor, std::int64_t post_id, std::int64_t note_id,
                                    Timestamp now) const;
  // Sends a post awaiting review back to its writer as a draft, with an editorial note saying
  // why (required), as one transaction with a revision. Only reviewers; kInvalidArgument unless
  // the post is pending. Returns the post as it is now (its writer is created_by).
  Result<Post> ReturnToWriter(const Actor& actor, std::int64_t post_id, std::string_view note,
                              Timestamp now) const;

  // Deletes every trashed post for good (their addresses answer 410); returns how many.
  Result<int> EmptyTrash(const Actor& actor) const;
  // Publishes the scheduled posts whose time has come; returns how many. (Scheduling cleared
  // their addresses already.)
  static Result<int> PublishDue(Store& store, Timestamp now);

  // A post written by an importer or a restore, keyed by its slug (an existing post with that
  // slug is replaced). Its body_html must come from BodyPolicy's filtered rendering. The slug
  // must have a slug's shape (kInvalidArgument; reserved words are the importer's business, as
  // a backup may hold one reserved since), a published or scheduled post has a date (its
  // creation time when it has none) and takes back a redirect or 410 left at its address.
  static Result<std::int64_t> Import(Store& store, Post post);
  // An editorial note a restore brings back to post `note.post_id`, with its authors and its
  // resolution as given. The text follows AddEditorialNote's rule and a note resolved by someone
  // has a resolution time (kInvalidArgument otherwise; nothing is stored).
  static Result<std::int64_t> ImportEditorialNote(Store& store, EditorialNote note);

 private:
  // Post `id` (nullopt: none, a new post); kNotFound when there is no such post.
  Result<std::optional<PostDetail>> Stored(std::optional<std::int64_t> id) const;
  // A note's text, trimmed and checked (kInvalidArgument), for a kind that exists.
  static Result<std::string> CheckedNote(std::string_view kind, std::string_view text);
  // Prepare, from the post as stored (id 0: a new one). With kLeave, tags not yet known keep id
  // 0 and are not created.
  enum class NewTags { kCreate, kLeave };
  Result<Post> Prepared(const Actor& actor, Post post, const PostInput& input,
                        NewTags new_tags = NewTags::kCreate) const;

  // The zone the editor's dates are written in (publication_'s, or the stored publication's).
  Result<TimeZone> Zone() const;

  Store& store_;
  const BodyPolicy& policy_;
  const std::function<Result<Publication>()> publication_;
};

}  // namespace broadsheet::content
