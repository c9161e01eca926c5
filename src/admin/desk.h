// Desk: the editorial desk's routes under /admin.
//
// Without a valid session every /admin page answers 303 to /admin/login (keeping the wanted
// address in `next`). Every state-changing form carries a hidden `csrf` field: bound to the
// session for signed-in forms, and to a pre-session cookie (bs_form, SameSite=Strict) for the
// sign-in and set-password forms, and always to the method and path the form posts to; a POST
// without a valid one for its own action gets 403. Sign-in failures are
// throttled by auth::Accounts (429 with a plain message). The editor's article preview is
// limited per account (SetPreviewLimit; 429 with Retry-After past it), since each one renders a
// whole article. Desk pages are never cached.
//
// Cookies: bs_session (HttpOnly, SameSite=Lax, Path=/admin, Secure when the request came over
// https) and bs_form. Public pages set none.
//
// Borrows its dependencies, which must outlive it. Thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "auth/accounts.h"
#include "auth/rate_limiter.h"
#include "comments/comments.h"
#include "content/body.h"
#include "content/posts.h"
#include "core/rate_limit.h"
#include "http/router.h"
#include "mail/outbox.h"
#include "markdown/html_filter.h"
#include "media/images.h"
#include "media/object_store.h"
#include "newsletter/subscriptions.h"
#include "render/theme.h"
#include "storage/store.h"

namespace broadsheet::admin {

inline constexpr const char* kSessionCookie = "bs_session";
// Sent everywhere on the site, so a comment from signed-in staff is recognised; it cannot open
// the desk (see auth::Accounts::StaffMark).
inline constexpr const char* kStaffCookie = "bs_staff";
inline constexpr const char* kFormCookie = "bs_form";
// Desk setting "1": editors and administrators may post unfiltered HTML (content/body.h says
// where; docs/html-policy.md). Off by default.
using content::kUnfilteredHtmlSetting;

// A save that failed through no fault of the form: the disk is full (kStorageFull, 507) or the
// database stayed busy past its timeout (kBusy, 503). Every desk form where a person typed text
// answers such a failure with the form, their text in it, and SaveFailureMessage.
bool IsSaveFailure(const Error& error);
// A plain sentence for the person: what went wrong, that nothing was saved, what to do.
std::string SaveFailureMessage(const Error& error);
// Only what went wrong ("the server's disk is full"), for the editor's script to show.
std::string SaveFailureReason(const Error& error);
// `response` with the status for `error` (507/503) and, for kBusy, a Retry-After header.
Result<http::Response> AsSaveFailure(Result<http::Response> response, const Error& error);

// How the desk names a post's state ("Awaiting review"), and the publishing rules' actor for a
// signed-in person.
std::string_view StatusLabel(PostStatus status);
content::Actor ActorOf(const auth::Viewer& viewer);

class Desk {
 public:
  // `publication` gives the settings as readers see them (with this deployment's overrides);
  // its base URL makes the links in mail.
  // `html_filter` lists the embeds staff bodies may keep (docs/html-policy.md).
  // `objects` is where uploads go (the site's uploads/ folder or a bucket, media/object_store.h);
  // it outlives the desk and is safe to use from several threads.
  Desk(Store& store, auth::Accounts& accounts, const render::Theme& theme, mail::Outbox& outbox,
       std::function<Result<Publication>()> publication, media::ObjectStore& objects,
       markdown::FilterOptions html_filter = {});

  // Adds the /admin routes; add them before the public site's.
  void AddRoutes(http::Router& router);

  // Whether `request` comes from a signed-in member of staff, who may send uploads larger than
  // a form's body limit. Reads the database.
  bool MayUpload(const http::Request& request) const;

  // How uploaded images are processed (limits, images at once); the defaults until called. Call
  // before serving.
  void SetImageSettings(const media::ImageSettings& settings);
  // How many previews one account may ask for a minute (default 60; 0: no limit).
  void SetPreviewLimit(int per_minute);

  // Renders an unsaved article as the public site would (site::Site::PreviewPage): the editor's
  // preview. Without it the preview answers 503. Call before serving.
  using ArticlePreview = std::function<Result<http::Response>(PostDetail detail)>;
  void SetArticlePreview(ArticlePreview preview) { article_preview_ = std::move(preview); }

 private:
  struct Page;
  Result<http::Response> LoginForm(const http::Request& request) const;
  Result<http::Response> Login(const http::Request& request) const;
  Result<http::Response> Logout(const http::Request& request) const;
  Result<http::Response> PasswordForm(const http::Request& request) const;
  Result<http::Response> SetPassword(const http::Request& request) const;
  Result<http::Response> Dashboard(const http::Request& request) const;
  Result<http::Response> Sessions(const http::Request& request) const;
  Result<http::Response> RevokeSession(const http::Request& request) const;
  Result<http::Response> NoSuchPage(const http::Request& request) const;
  Result<http::Response> ResetForm(const http::Request& request) const;
  Result<http::Response> Reset(const http::Request& request) const;
  // Redirects and the audit log (records.cc).
  Result<http::Response> Redirects(const http::Request& request) const;
  Result<http::Response> RedirectsPage(const auth::Viewer& viewer, int status,
                                       const std::string& notice, const std::string& error,
                                       const std::string& from, const std::string& to) const;
  Result<http::Response> ChangeRedirects(const http::Request& request) const;
  Result<http::Response> AuditLog(const http::Request& request) const;
  // Sections, tags, authors and settings (taxonomy.cc).
  Result<http::Response> Taxonomy(const http::Request& request) const;
  // With `typed_section` or `typed_author` (a save that failed), shows what the person typed in
  // that one's form: the new one's when `typed_new`.
  Result<http::Response> TaxonomyPage(const auth::Viewer& viewer, int status,
                                      const std::string& notice, const std::string& error,
                                      const std::optional<Section>& typed_section = std::nullopt,
                                      const std::optional<Author>& typed_author = std::nullopt,
                                      bool typed_new = false,
                                      const std::string& open_author = "") const;
  Result<http::Response> ChangeTaxonomy(const http::Request& request) const;
  Result<http::Response> Settings(const http::Request& request) const;
  // Settings as `shown`; the desk settings (moderation, comment numbers and words, feeds,
  // robots.txt, staff) as stored, or as `typed` in a refused form when given; `invalid` names
  // the field the error is about, marked for assistive technology ("logo_file", …), if any.
  Result<http::Response> SettingsPage(const auth::Viewer& viewer, int status,
                                      const Publication& shown, const std::string& notice,
                                      const std::string& error,
                                      const std::map<std::string, std::string>* typed = nullptr,
                                      const std::string& invalid = "") const;
  Result<http::Response> SaveSettings(const http::Request& request) const;
  // The banner every desk page shows an administrator who reached the desk at an address other
  // than the public address that links in mail and previews use (null for none), and its fix:
  // POST /admin/settings/address saves the address the request itself reached, only that one.
  Result<nlohmann::json> AddressWarning(const auth::Viewer& viewer,
                                        const Publication& effective) const;
  Result<http::Response> UsePublicAddress(const http::Request& request) const;
  // The comment moderation queue (moderation.cc).
  Result<http::Response> CommentQueue(const http::Request& request) const;
  Result<http::Response> Moderate(const http::Request& request) const;
  Result<http::Response> ShowComment(const http::Request& request) const;
  Result<http::Response> EditComment(const http::Request& request) const;
  Result<http::Response> ReplyToComment(const http::Request& request) const;
  Result<http::Response> Newsletter(const http::Request& request) const;
  Result<http::Response> PreviewNewsletter(const http::Request& request) const;
  Result<http::Response> SendNewsletter(const http::Request& request) const;
  Result<http::Response> CancelNewsletter(const http::Request& request) const;
  Result<http::Response> NewsletterPage(const http::Request& request, int status,
                                        const std::string& notice, const std::string& error) const;
  Result<NewsletterSend> ChosenIssue(
      const std::vector<std::pair<std::string, std::string>>& fields) const;
  Result<http::Response> Subscribers(const http::Request& request) const;
  Result<http::Response> ChangeSubscriber(const http::Request& request) const;
  Result<http::Response> ExportSubscribers(const http::Request& request) const;
  Result<http::Response> ImportSubscribers(const http::Request& request) const;
  // `report`: what an import did ({added, updated, skipped}) or {error}; null for none.
  Result<http::Response> SubscribersPage(const http::Request& request, int status,
                                         const nlohmann::json& report) const;
  Result<http::Response> CommentPage(const http::Request& request, int status,
                                     const std::string& notice, const std::string& error,
                                     const std::string& reply) const;
  // The media library (media.cc).
  Result<http::Response> Media(const http::Request& request) const;
  Result<http::Response> MediaPage(const auth::Viewer& viewer, int status,
                                   const std::string& notice, const std::string& error,
                                   const std::string& alt, const std::string& caption,
                                   const std::string& credit) const;
  Result<http::Response> Upload(const http::Request& request) const;
  // The editor's upload (POST /admin/media.json, fields csrf, alt, caption, credit, decorative
  // and one file): the library's rules and limits, answered in JSON — 201 with the item's url,
  // alt, caption, credit, width and height, or {"error": sentence} with the error's status.
  Result<http::Response> UploadJson(const http::Request& request) const;
  // Processes an uploaded image, stores it and its variants under media/ in the object store (the
  // key is the path below /uploads/), and records it.
  // kInvalidArgument or kTooLarge (with a message for the person) for an unacceptable file;
  // kUnavailable ("Another image is being processed; try again in N seconds", sent with
  // Retry-After: ImageRetryAfter()) at once while every image job is taken. When writing a file
  // or recording the item fails, the files already written are removed. Alt text is required
  // unless the image is `decorative` (then it is stored empty).
  Result<MediaItem> SaveUpload(const auth::Viewer& viewer, const http::Request::File& file,
                               const std::string& alt, const std::string& caption,
                               const std::string& credit, bool decorative = false) const;
  // SaveUpload in two steps, for a form that checks everything before it stores anything
  // (Settings): PrepareUpload checks and processes the image (SaveUpload's errors, nothing
  // written); StoreUpload writes its files and records it (inside the caller's transaction when
  // there is one), adding the key of every file it wrote to `written` for the caller to remove
  // (RemoveStored) should its
  // transaction fail (it removes its own on its own failure). Neither audits: the caller does,
  // once the upload is committed.
  struct PreparedUpload {
    media::ProcessedImage image;
    std::string filename, alt, caption, credit;
  };
  Result<PreparedUpload> PrepareUpload(const auth::Viewer& viewer, const http::Request::File& file,
                                       const std::string& alt, const std::string& caption,
                                       const std::string& credit, bool decorative = false) const;
  Result<MediaItem> StoreUpload(const auth::Viewer& viewer, const PreparedUpload& upload,
                                std::vector<std::string>& written) const;
  // Removes stored files again (after a failed transaction); failures are logged, not returned.
  void RemoveStored(const std::vector<std::string>& keys) const;
  // Two-factor sign-in (two_factor.cc).
  std::optional<http::Response> TwoFactorGate(const http::Request& request) const;
  Result<http::Response> CodeForm(const http::Request& request) const;
  Result<http::Response> Code(const http::Request& request) const;
  Result<http::Response> TwoFactor(const http::Request& request) const;
  Result<http::Response> TwoFactorPage(const auth::Viewer& viewer, int status,
                                       const std::string& notice, const std::string& error) const;
  Result<http::Response> ChangeTwoFactor(const http::Request& request) const;
  // Users (users.cc).
  Result<http::Response> Users(const http::Request& request) const;
  Result<http::Response> UsersPage(
      const auth::Viewer& viewer, int status, const std::string& notice, const std::string& error,
      const std::string& link,
      const nlohmann::json* typed = nullptr) const;  // the invitation's fields
  Result<http::Response> Invite(const http::Request& request) const;
  Result<http::Response> ChangeUser(const http::Request& request) const;
  // A staff account's own author profile: do=profile-link (field `author`), profile-unlink or
  // profile-create (from the account's name). Administrators, on any account they manage and
  // their own.
  Result<http::Response> ChangeProfile(const auth::Viewer& viewer, std::int64_t user_id,
                                       const std::string& action,
                                       const std::string& author_slug) const;
  // Mails a set-password link to `user` (when mail is configured); returns the link.
  Result<std::string> SendPasswordLink(const User& user, bool invitation, Timestamp lifetime) const;
  // Posts (posts.cc).
  Result<http::Response> PostList(const http::Request& request) const;
  Result<http::Response> NewPostForm(const http::Request& request) const;
  Result<http::Response> EditPostForm(const http::Request& request) const;
  Result<http::Response> CreatePost(const http::Request& request) const;
  Result<http::Response> SavePost(const http::Request& request) const;
  Result<http::Response> EmptyTrash(const http::Request& request) const;
  Result<http::Response> RevisionPage(const http::Request& request) const;
  Result<http::Response> AddNote(const http::Request& request) const;
  // Editorial notes (private to the staff): add one (reviewers) or resolve one (do=resolve).
  Result<http::Response> ChangeEditorialNotes(const http::Request& request) const;
  // "Return to writer": a pending post goes back to draft with a required note.
  Result<http::Response> ReturnToWriter(const http::Request& request) const;
  // POST /admin/preview: the editor's live preview (desk.js), the whole form as it stands.
  // At most SetPreviewLimit's number a minute per account, with the editor's Preview tab.
  Result<http::Response> PreviewFragment(const http::Request& request) const;
  // The article the editor's fields would make, as readers would see it, saving nothing (a
  // featured image chosen but not uploaded is shown inline, not stored). Its policy allows no
  // script, form or base, and the editor shows it only in a sandboxed frame; a field the save
  // would refuse gives a short page saying which.
  Result<http::Response> PreviewArticle(const auth::Viewer& viewer, std::optional<std::int64_t> id,
                                        const content::PostInput& fields,
                                        const std::vector<http::Request::File>& files) const;
  Result<http::Response> RestoreRevision(const http::Request& request) const;
  // What restoring a revision will change, asked before it happens (GET, or a POST without
  // `confirmed`): only the page's own confirmed POST restores.
  Result<http::Response> RestoreConfirmPage(const http::Request& request) const;
  // An editor's change to a correction or update note, or its removal (content::MayChangeNotes).
  Result<http::Response> NoteForm(const http::Request& request) const;
  Result<http::Response> ChangeNote(const http::Request& request) const;
  Result<http::Response> EditorPage(const auth::Viewer& viewer,
                                    const std::optional<PostDetail>& stored,
                                    const struct EditorFields& fields, int status,
                                    const std::string& notice, const std::string& error) const;
  void Audit(const auth::Viewer& viewer, std::string action, std::optional<std::int64_t> post_id,
             std::string detail) const;
  // Queues the mail telling `post`'s writer that `viewer` returned it with `note` (nothing when
  // mail is not configured, the writer is the viewer, or their account is gone or disabled).
  Result<void> MailReturnedPost(const auth::Viewer& viewer, const Post& post,
                                std::string_view note) const;
  // The publication's time zone as in effect (broadsheet.toml's or the environment's override,
  // else the settings'; UTC when they cannot be read): every
  // time the desk shows is FormatDeskTime in this zone, the zone the editor's date field is
  // read and written in.
  TimeZone DeskZone() const;

  Result<std::optional<auth::Viewer>> CurrentViewer(const http::Request& request) const;
  // The signed-in person a desk page acts for: kUnauthenticated without a session; with `form`,
  // kForbidden when the POST's CSRF token does not match the session; with `action`, kForbidden
  // with `refusal` when the person's role may not take it. Every desk handler starts here.
  Result<auth::Viewer> Require(const http::Request& request, bool form,
                               std::optional<auth::Action> action = std::nullopt,
                               std::string_view refusal = "Your role does not allow this.") const;
  // Require's refusal as an answer: the sign-in page for kUnauthenticated, else the error.
  Result<http::Response> Denied(const http::Request& request, const Error& error) const;
  // The catch-all for a failed save (IsSaveFailure, or a database that cannot be reached,
  // kUnavailable) of a form with no re-render of its own: the submitted text fields, read-only
  // to copy, with SaveFailureMessage; 507/503.
  Result<http::Response> SaveFailedPage(const http::Request& request, const Error& error) const;
  http::Response ToSignIn(const http::Request& request) const;
  // Adds the session and staff cookies for a new session to `response`; with an empty `signed_in`
  // token, expires both.
  void SetSessionCookies(const http::Request& request, const auth::SignedIn* signed_in,
                         http::Response& response) const;
  Result<http::Response> Render(std::string_view name, nlohmann::json view, int status,
                                const std::optional<auth::Viewer>& viewer) const;
  // The pre-session form binding, creating the cookie on `response` when the request had none.
  std::string FormBinding(const http::Request& request, http::Response* response) const;
  // The token for a form bound to `binding` that posts to `path`.
  Result<std::string> FormToken(const std::string& binding, std::string_view path) const;
  // True when the request's `csrf` field was made for `binding` and for this request's method
  // and path.
  Result<bool> CheckForm(const http::Request& request, const std::string& binding) const;

  Store& store_;
  auth::Accounts& accounts_;
  const render::Theme& theme_;
  mail::Outbox& outbox_;
  std::function<Result<Publication>()> publication_;
  media::ObjectStore& objects_;
  const content::BodyPolicy body_policy_;  // who may store raw HTML; the embed hosts
  const content::Posts posts_;             // the publishing rules
  // Previews per account, in the database so every node counts together.
  mutable auth::SharedRateLimiter limiter_;
  comments::Comments comments_;
  newsletter::Subscriptions subscriptions_;
  std::unique_ptr<media::ImageProcessor> images_;
  ArticlePreview article_preview_;
  // Previews per account in a minute (0: no limit): the editor asks for one at each pause in
  // typing (half a second), so a person stays well under 60 and a script looping on it does not.
  int previews_per_minute_ = 60;

  // The Retry-After value (seconds) for an upload turned away because every image job is taken.
  std::string ImageRetryAfter() const {
    return std::to_string(std::max<std::int64_t>(1, images_->settings().retry_after.count()));
  }
};

}  // namespace broadsheet::admin
