#include "admin/desk.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/crypto.h"
#include "core/text.h"
#include "http/status.h"

namespace broadsheet::admin {
namespace {

using http::Method;
using http::Request;
using http::Response;

constexpr const char* kForbiddenForm =
    "This form has expired or did not come from this site. Go back, reload the page and try again.";

// Tokens are base64url; anything else in a cookie is ignored.
bool IsToken(std::string_view value) {
  return !value.empty() && value.size() <= 100 &&
         value.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string_view::npos;
}

// Only desk addresses are followed after sign-in, so `next` cannot send anyone elsewhere.
std::string SafeNext(std::string_view next) {
  if (next.starts_with("/admin/") && next.find("//") == std::string_view::npos &&
      next.find('\\') == std::string_view::npos && next.size() < 2000) {
    return std::string(next);
  }
  return "/admin/";
}

}  // namespace

Desk::Desk(Store& store, auth::Accounts& accounts, const render::Theme& theme, mail::Outbox& outbox,
           std::function<Result<Publication>()> publication, media::ObjectStore& objects,
           markdown::FilterOptions html_filter)
    : store_(store),
      accounts_(accounts),
      theme_(theme),
      outbox_(outbox),
      publication_(std::move(publication)),
      objects_(objects),
      body_policy_(store, std::move(html_filter)),
      posts_(store, body_policy_, publication_),
      limiter_(store),
      comments_(store),
      subscriptions_(store, outbox, limiter_),
      images_(std::make_unique<media::ImageProcessor>()) {}

void Desk::SetPreviewLimit(int per_minute) { previews_per_minute_ = std::max(0, per_minute); }

void Desk::SetImageSettings(const media::ImageSettings& settings) {
  images_ = std::make_unique<media::ImageProcessor>(settings);
}

void Desk::AddRoutes(http::Router& router) {
  // Every desk page passes the two-factor gate first.
  auto bind = [this](auto method) {
    return [this, method](const Request& request) -> Result<Response> {
      // Everything stored is UTF-8; a form with other bytes is refused before any handler.
      if (request.method == Method::kPost) {
        for (const auto& [name, value] : request.FormFields()) {
          if (!IsValidUtf8(name) || !IsValidUtf8(value)) {
            return Fail(ErrorCode::kInvalidArgument,
                        "The form contained text that is not valid UTF-8.");
          }
        }
      }
      if (auto gate = TwoFactorGate(request)) return std::move(*gate);
      auto answer = (this->*method)(request);
      // A form without its own re-render still gives the person's text back on a failed save,
      // also when the database cannot be reached at all.
      if (!answer && request.method == Method::kPost &&
          (IsSaveFailure(answer.error()) || answer.error().code == ErrorCode::kUnavailable)) {
        return SaveFailedPage(request, answer.error());
      }
      return answer;
    };
  };
  // The routes that take files (Body::kUpload) may read up to the server's upload limit; every
  // other desk form keeps the form limit, signed in or not.
  const http::RouteOptions upload{http::Query::All(), http::Body::kUpload};
  router.Add(
      Method::kGet, "/admin",
      [](const Request&) -> Result<Response> { return Response::Redirect(303, "/admin/"); },
      "admin");
  router.Add(Method::kGet, "/admin/", bind(&Desk::Dashboard), "admin");
  router.Add(Method::kGet, "/admin/login", bind(&Desk::LoginForm), "admin_login");
  router.Add(Method::kPost, "/admin/login", bind(&Desk::Login), "admin_login");
  router.Add(Method::kPost, "/admin/logout", bind(&Desk::Logout), "admin_logout");
  router.Add(Method::kGet, "/admin/login/code", bind(&Desk::CodeForm), "admin_login");
  router.Add(Method::kPost, "/admin/login/code", bind(&Desk::Code), "admin_login");
  router.Add(Method::kGet, "/admin/two-factor", bind(&Desk::TwoFactor), "admin");
  router.Add(Method::kPost, "/admin/two-factor", bind(&Desk::ChangeTwoFactor), "admin");
  router.Add(Method::kGet, "/admin/password/{token}", bind(&Desk::PasswordForm), "admin_password");
  router.Add(Method::kPost, "/admin/password/{token}", bind(&Desk::SetPassword), "admin_password");
  router.Add(Method::kGet, "/admin/reset", bind(&Desk::ResetForm), "admin_reset");
  router.Add(Method::kPost, "/admin/reset", bind(&Desk::Reset), "admin_reset");
  router.Add(Method::kGet, "/admin/users", bind(&Desk::Users), "admin");
  router.Add(Method::kPost, "/admin/users/invite", bind(&Desk::Invite), "admin");
  router.Add(Method::kPost, "/admin/users/{id}", bind(&Desk::ChangeUser), "admin");
  router.Add(Method::kGet, "/admin/redirects", bind(&Desk::Redirects), "admin");
  router.Add(Method::kPost, "/admin/redirects", bind(&Desk::ChangeRedirects), "admin");
  router.Add(Method::kGet, "/admin/audit", bind(&Desk::AuditLog), "admin");
  router.Add(Method::kGet, "/admin/comments", bind(&Desk::CommentQueue), "admin");
  router.Add(Method::kPost, "/admin/comments", bind(&Desk::Moderate), "admin");
  router.Add(Method::kGet, "/admin/newsletter", bind(&Desk::Newsletter), "admin");
  router.Add(Method::kPost, "/admin/newsletter/preview", bind(&Desk::PreviewNewsletter), "admin");
  router.Add(Method::kPost, "/admin/newsletter", bind(&Desk::SendNewsletter), "admin");
  router.Add(Method::kPost, "/admin/newsletter/{id}/cancel", bind(&Desk::CancelNewsletter),
             "admin");
  router.Add(Method::kGet, "/admin/subscribers", bind(&Desk::Subscribers), "admin");
  router.Add(Method::kPost, "/admin/subscribers", bind(&Desk::ChangeSubscriber), "admin");
  router.Add(Method::kGet, "/admin/subscribers.csv", bind(&Desk::ExportSubscribers), "admin");
  router.Add(Method::kPost, "/admin/subscribers/import", bind(&Desk::ImportSubscribers), "admin",
             upload);
  router.Add(Method::kGet, "/admin/comments/{id}", bind(&Desk::ShowComment), "admin");
  router.Add(Method::kPost, "/admin/comments/{id}", bind(&Desk::EditComment), "admin");
  router.Add(Method::kPost, "/admin/comments/{id}/reply", bind(&Desk::ReplyToComment), "admin");
  router.Add(Method::kGet, "/admin/media", bind(&Desk::Media), "admin");
  router.Add(Method::kPost, "/admin/media", bind(&Desk::Upload), "admin", upload);
  router.Add(Method::kPost, "/admin/media.json", bind(&Desk::UploadJson), "admin", upload);
  router.Add(Method::kGet, "/admin/sections", bind(&Desk::Taxonomy), "admin");
  router.Add(Method::kPost, "/admin/sections", bind(&Desk::ChangeTaxonomy), "admin");
  router.Add(Method::kPost, "/admin/tags", bind(&Desk::ChangeTaxonomy), "admin");
  router.Add(Method::kPost, "/admin/authors", bind(&Desk::ChangeTaxonomy), "admin");
  router.Add(Method::kGet, "/admin/settings", bind(&Desk::Settings), "admin");
  router.Add(Method::kPost, "/admin/settings", bind(&Desk::SaveSettings), "admin");
  router.Add(Method::kPost, "/admin/settings/address", bind(&Desk::UsePublicAddress), "admin");
  router.Add(Method::kGet, "/admin/sessions", bind(&Desk::Sessions), "admin");
  router.Add(Method::kPost, "/admin/sessions/revoke", bind(&Desk::RevokeSession), "admin");
  router.Add(Method::kGet, "/admin/posts", bind(&Desk::PostList), "admin");
  router.Add(Method::kGet, "/admin/posts/new", bind(&Desk::NewPostForm), "admin");
  router.Add(Method::kPost, "/admin/posts", bind(&Desk::CreatePost), "admin", upload);
  router.Add(Method::kPost, "/admin/posts/empty-trash", bind(&Desk::EmptyTrash), "admin");
  router.Add(Method::kGet, "/admin/posts/{id}", bind(&Desk::EditPostForm), "admin");
  router.Add(Method::kPost, "/admin/posts/{id}/notes", bind(&Desk::AddNote), "admin");
  router.Add(Method::kPost, "/admin/posts/{id}/editorial-notes", bind(&Desk::ChangeEditorialNotes),
             "admin");
  router.Add(Method::kPost, "/admin/posts/{id}/return", bind(&Desk::ReturnToWriter), "admin");
  router.Add(Method::kGet, "/admin/posts/{id}/notes/{note}", bind(&Desk::NoteForm), "admin");
  router.Add(Method::kPost, "/admin/posts/{id}/notes/{note}", bind(&Desk::ChangeNote), "admin");
  // The preview takes the whole editor form, with the image chosen in it.
  router.Add(Method::kPost, "/admin/preview", bind(&Desk::PreviewFragment), "admin", upload);
  router.Add(Method::kGet, "/admin/posts/{id}/revisions/{revision}", bind(&Desk::RevisionPage),
             "admin");
  router.Add(Method::kGet, "/admin/posts/{id}/revisions/{revision}/restore",
             bind(&Desk::RestoreConfirmPage), "admin");
  router.Add(Method::kPost, "/admin/posts/{id}/revisions/{revision}/restore",
             bind(&Desk::RestoreRevision), "admin");
  router.Add(Method::kPost, "/admin/posts/{id}", bind(&Desk::SavePost), "admin", upload);
  router.Add(Method::kGet, "/admin/{rest*}", bind(&Desk::NoSuchPage), "admin");
  router.Add(Method::kPost, "/admin/{rest*}", bind(&Desk::NoSuchPage), "admin");
}

bool Desk::MayUpload(const Request& request) const {
  auto viewer = CurrentViewer(request);
  return viewer && viewer->has_value();
}

Result<std::optional<auth::Viewer>> Desk::CurrentViewer(const Request& request) const {
  const std::string token = request.Cookie(kSessionCookie);
  if (!IsToken(token)) return std::nullopt;
  return accounts_.Authenticate(token, Now());
}

Result<auth::Viewer> Desk::Require(const Request& request, bool form,
                                   std::optional<auth::Action> action,
                                   std::string_view refusal) const {
  auto viewer = CurrentViewer(request);
  if (!viewer) return tl::unexpected(viewer.error());
  if (!*viewer) return Fail(ErrorCode::kUnauthenticated, "Sign in to use the desk.");
  if (form) {
    auto valid = CheckForm(request, "session:" + (*viewer)->session_hash);
    if (!valid) return tl::unexpected(valid.error());
    if (!*valid) return Fail(ErrorCode::kForbidden, kForbiddenForm);
  }
  if (action && !auth::Can((*viewer)->role, *action)) {
    return Fail(ErrorCode::kForbidden, std::string(refusal));
  }
  // Only the scheme (which a trusted proxy may state) and the Host header: X-Forwarded-Host is
  // believed nowhere.
  (*viewer)->reached_at =
      (request.secure ? "https://" : "http://") + std::string(request.Header("host"));
  return std::move(**viewer);
}

bool IsSaveFailure(const Error& error) {
  return error.code == ErrorCode::kStorageFull || error.code == ErrorCode::kBusy;
}

std::string SaveFailureReason(const Error& error) {
  return error.code == ErrorCode::kStorageFull   ? "the server's disk is full"
         : error.code == ErrorCode::kUnavailable ? "the database cannot be reached"
                                                 : "the database is busy";
}

std::string SaveFailureMessage(const Error& error) {
  // A database that cannot be reached, or another service the form needs: its own sentence.
  if (error.code == ErrorCode::kUnavailable) {
    std::string reason = error.message;
    while (!reason.empty() && reason.back() == '.') reason.pop_back();
    return "Nothing was saved (" + reason +
           "). Your text is below; keep a copy and try again later.";
  }
  if (error.code == ErrorCode::kStorageFull) {
    return "Nothing was saved: the server's disk is full. Your text is below; keep a copy and "
           "tell whoever runs the site.";
  }
  return "Nothing was saved: the database is busy. Your text is below; try saving again in a "
         "moment.";
}

Result<Response> AsSaveFailure(Result<Response> response, const Error& error) {
  if (!response) return response;
  response->status = http::StatusFor(error.code);
  if (error.code == ErrorCode::kBusy) response->headers.emplace_back("Retry-After", "5");
  response->cache_control = "no-store";
  return response;
}

Result<Response> Desk::SaveFailedPage(const Request& request, const Error& error) const {
  // Secrets and the form's own machinery are not shown back; everything typed is.
  static constexpr std::array<std::string_view, 7> kHidden = {
      "csrf", "password", "confirm", "current_password", "code", "do", "edit_count"};
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& [name, value] : request.FormFields()) {
    if (value.empty() || std::find(kHidden.begin(), kHidden.end(), name) != kHidden.end()) continue;
    fields.push_back({{"name", name}, {"value", value}});
  }
  // No viewer: the database may be what failed, and the page needs nothing from it.
  const bool has_fields = !fields.empty();
  nlohmann::json view = {{"title", "Not saved"},
                         {"has_fields", has_fields},
                         {"message", SaveFailureMessage(error)},
                         {"fields", std::move(fields)},
                         {"back_url", request.path}};
  return AsSaveFailure(Render("save_failed", std::move(view), 500, std::nullopt), error);
}

Result<Response> Desk::Denied(const Request& request, const Error& error) const {
  if (error.code == ErrorCode::kUnauthenticated) return ToSignIn(request);
  return tl::unexpected(error);
}

Response Desk::ToSignIn(const Request& request) const {
  std::string location = "/admin/login";
  if (request.method == Method::kGet && request.path != "/admin/") {
    // A form token never travels on in an address (into history, logs and Referer headers).
    const bool carries_token = request.QueryParam("csrf").has_value();
    location += "?next=" + http::PercentEncode(carries_token ? request.path : request.target);
  }
  Response response = Response::Redirect(303, location);
  response.cache_control = "no-store";
  return response;
}

Result<Response> Desk::Render(std::string_view name, nlohmann::json view, int status,
                              const std::optional<auth::Viewer>& viewer) const {
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  view["site_title"] = publication->title;
  view["admin_css_url"] = theme_.AssetUrl("admin.css");
  view["admin_js_url"] = theme_.AssetUrl("desk.js");
  view["editor_js_url"] = theme_.AssetUrl("editor.js");
  view["editor_docx_url"] = theme_.AssetUrl("editor-docx.js");
  view["icon_url"] = theme_.AssetUrl("icon.svg");
  if (viewer) {
    view["viewer"] = {
        {"name", viewer->user.name},
        {"role", auth::RoleName(viewer->role)},
        {"manages_users", auth::Can(viewer->role, auth::Action::kManageUsers)},
        {"manages_redirects", auth::Can(viewer->role, auth::Action::kManageRedirects)},
        {"manages_taxonomy", auth::Can(viewer->role, auth::Action::kManageTaxonomy)},
        {"uploads_media", auth::Can(viewer->role, auth::Action::kUploadMedia)},
        {"moderates", auth::Can(viewer->role, auth::Action::kModerateComments)},
        {"manages_settings", auth::Can(viewer->role, auth::Action::kManageSettings)},
        {"views_audit", auth::Can(viewer->role, auth::Action::kViewAuditLog)},
        {"manages_subscribers", auth::Can(viewer->role, auth::Action::kManageSubscribers)},
        {"sends_newsletter", auth::Can(viewer->role, auth::Action::kSendNewsletter)}};
    auto warning = AddressWarning(*viewer, *publication);
    if (!warning) return tl::unexpected(warning.error());
    if (!warning->is_null()) view["address_warning"] = std::move(*warning);
  }
  // Each form's token is bound to the path it posts to: {{#form_token}}/admin/x{{/form_token}}.
  render::SectionHelpers helpers;
  if (viewer) {
    const std::string binding = "session:" + viewer->session_hash;
    helpers.emplace("form_token", [this, binding](const std::string& path) {
      return FormToken(binding, path).value_or("");
    });
  }
  auto html = theme_.RenderIn("admin/layout", "admin/" + std::string(name), view, helpers);
  if (!html) return tl::unexpected(html.error());
  Response response;
  response.status = status;
  response.body = std::move(*html);
  response.cache_control = "no-store";
  return response;
}

std::string Desk::FormBinding(const Request& request, Response* response) const {
  std::string cookie = request.Cookie(kFormCookie);
  if (!IsToken(cookie)) {
    cookie = auth::RandomToken();
    if (response != nullptr) {
      http::CookieOptions options;
      options.path = "/admin";
      options.same_site = "Strict";
      options.secure = request.secure;
      response->headers.emplace_back("Set-Cookie",
                                     http::SetCookieValue(kFormCookie, cookie, options));
    }
  }
  return "pre:" + cookie;
}

Result<std::string> Desk::FormToken(const std::string& binding, std::string_view path) const {
  return accounts_.FormToken(binding, "POST " + std::string(path));
}

Result<bool> Desk::CheckForm(const Request& request, const std::string& binding) const {
  const std::string action = std::string(http::MethodName(request.method)) + " " + request.path;
  return accounts_.CheckFormToken(binding, action, http::FieldValue(request.FormFields(), "csrf"));
}

Result<Response> Desk::LoginForm(const Request& request) const {
  auto viewer = CurrentViewer(request);
  if (!viewer) return tl::unexpected(viewer.error());
  if (*viewer) return Response::Redirect(303, "/admin/");
  Response cookies;
  const std::string binding = FormBinding(request, &cookies);
  auto csrf = FormToken(binding, "/admin/login");
  if (!csrf) return tl::unexpected(csrf.error());
  nlohmann::json view = {
      {"title", "Sign in"},
      {"csrf", *csrf},
      {"next", SafeNext(request.QueryParam("next").value_or(""))},
      {"email", request.QueryParam("email").value_or("")},
      {"notice", request.QueryParam("reset") ? "Your password is saved. Sign in with it." : ""}};
  auto response = Render("login", view, 200, std::nullopt);
  if (response) {
    for (auto& header : cookies.headers) response->headers.push_back(std::move(header));
  }
  return response;
}

Result<Response> Desk::Login(const Request& request) const {
  const auto fields = request.FormFields();
  const std::string binding = FormBinding(request, nullptr);
  auto valid = CheckForm(request, binding);
  if (!valid) return tl::unexpected(valid.error());
  if (!*valid) return Fail(ErrorCode::kForbidden, kForbiddenForm);

  auth::SignInAttempt attempt{std::string(Trim(http::FieldValue(fields, "email"))),
                              http::FieldValue(fields, "password"), request.client_ip,
                              std::string(request.Header("user-agent"))};
  auto signed_in = accounts_.SignIn(attempt, Now());
  if (!signed_in && signed_in.error().code == ErrorCode::kRateLimited) {
    Response response = Response::Text(429, signed_in.error().message);
    response.headers.emplace_back("Retry-After", std::to_string(accounts_.limits().window));
    return response;
  }
  const bool unchecked = !signed_in && (IsSaveFailure(signed_in.error()) ||
                                        signed_in.error().code == ErrorCode::kUnavailable);
  if (!signed_in && (signed_in.error().code == ErrorCode::kUnauthenticated || unchecked)) {
    auto csrf = FormToken(binding, "/admin/login");
    if (!csrf) return tl::unexpected(csrf.error());
    nlohmann::json view = {
        {"title", "Sign in"},
        {"csrf", *csrf},
        {"next", SafeNext(http::FieldValue(fields, "next"))},
        {"email", attempt.email},
        {"error", unchecked ? "Your sign-in could not be checked just now (" +
                                  SaveFailureReason(signed_in.error()) + "). Try again in a moment."
                            : signed_in.error().message}};
    auto page = Render("login", view, unchecked ? http::StatusFor(signed_in.error().code) : 401,
                       std::nullopt);
    return page;
  }
  if (!signed_in) return tl::unexpected(signed_in.error());

  if (!signed_in->pending_token.empty()) {
    // The password was right; the account also needs a code from its authenticator app.
    Response response = Response::Redirect(
        303, "/admin/login/code?next=" +
                 http::PercentEncode(SafeNext(http::FieldValue(fields, "next"))));
    http::CookieOptions pending;
    pending.path = "/admin";
    pending.max_age = 300;
    pending.secure = request.secure;
    pending.same_site = "Strict";
    response.headers.emplace_back(
        "Set-Cookie", http::SetCookieValue("bs_2fa", signed_in->pending_token, pending));
    response.cache_control = "no-store";
    return response;
  }
  Audit(signed_in->viewer, "sign-in", std::nullopt, request.client_ip);
  Response response = Response::Redirect(303, SafeNext(http::FieldValue(fields, "next")));
  SetSessionCookies(request, &*signed_in, response);
  return response;
}

void Desk::SetSessionCookies(const Request& request, const auth::SignedIn* signed_in,
                             Response& response) const {
  http::CookieOptions options;
  options.path = "/admin";
  options.max_age = signed_in ? accounts_.limits().session_lifetime : 0;
  options.secure = request.secure;
  response.headers.emplace_back(
      "Set-Cookie",
      http::SetCookieValue(kSessionCookie, signed_in ? signed_in->token : "", options));
  // The staff mark goes with every request to the site, so it is Strict: no other site's form
  // can post a comment as staff.
  auto mark = signed_in ? accounts_.StaffMark(signed_in->viewer.session_hash)
                        : Result<std::string>(std::string());
  if (mark) {
    options.path = "/";
    options.same_site = "Strict";
    response.headers.emplace_back("Set-Cookie", http::SetCookieValue(kStaffCookie, *mark, options));
  }
  response.cache_control = "no-store";
}

Result<Response> Desk::Logout(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  if (auto done = accounts_.SignOut(request.Cookie(kSessionCookie)); !done)
    return tl::unexpected(done.error());
  Audit(*viewer, "sign-out", std::nullopt, "");
  Response response = Response::Redirect(303, "/admin/login");
  SetSessionCookies(request, nullptr, response);
  return response;
}

Result<Response> Desk::PasswordForm(const Request& request) const {
  const std::string token(request.Param("token"));
  auto user = IsToken(token) ? accounts_.PasswordLinkUser(token, Now())
                             : Result<std::optional<User>>(std::nullopt);
  if (!user) return tl::unexpected(user.error());
  Response cookies;
  const std::string binding = FormBinding(request, &cookies);
  auto csrf = FormToken(binding, "/admin/password/" + token);
  if (!csrf) return tl::unexpected(csrf.error());
  nlohmann::json view = {{"title", "Choose a password"},
                         {"csrf", *csrf},
                         {"valid", user->has_value()},
                         {"action", "/admin/password/" + token}};
  if (*user) {
    view["name"] = (*user)->name;
    view["email"] = (*user)->email;
  }
  auto response = Render("password", view, *user ? 200 : 404, std::nullopt);
  if (response) {
    for (auto& header : cookies.headers) response->headers.push_back(std::move(header));
  }
  return response;
}

Result<Response> Desk::SetPassword(const Request& request) const {
  const std::string token(request.Param("token"));
  const std::string binding = FormBinding(request, nullptr);
  auto valid = CheckForm(request, binding);
  if (!valid) return tl::unexpected(valid.error());
  if (!*valid) return Fail(ErrorCode::kForbidden, kForbiddenForm);
  const auto fields = request.FormFields();
  const std::string password = http::FieldValue(fields, "password");
  std::string problem;
  if (password != http::FieldValue(fields, "confirm")) {
    problem = "The two passwords are not the same.";
  } else if (auto rules = auth::CheckPasswordRules(password); !rules) {
    problem = "Not saved: " + rules.error().message + ".";
  } else if (!IsToken(token)) {
    return Fail(ErrorCode::kNotFound, "This link is not valid any more.");
  } else {
    auto user = accounts_.SetPasswordWithLink(token, password, Now());
    if (!user) return tl::unexpected(user.error());
    return Response::Redirect(303,
                              "/admin/login?reset=1&email=" + http::PercentEncode(user->email));
  }
  auto user = accounts_.PasswordLinkUser(token, Now());
  if (!user) return tl::unexpected(user.error());
  auto csrf = FormToken(binding, "/admin/password/" + token);
  if (!csrf) return tl::unexpected(csrf.error());
  nlohmann::json view = {{"title", "Choose a password"},
                         {"csrf", *csrf},
                         {"valid", user->has_value()},
                         {"action", "/admin/password/" + token},
                         {"error", problem}};
  if (*user) {
    view["name"] = (*user)->name;
    view["email"] = (*user)->email;
  }
  return Render("password", view, 422, std::nullopt);
}

Result<Response> Desk::Dashboard(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  const TimeZone time_zone = DeskZone();
  nlohmann::json lists = nlohmann::json::array();
  const std::tuple<const char*, const char*, PostStatus> kinds[] = {
      {"pending", "Awaiting review", PostStatus::kPending},
      {"drafts", "Drafts", PostStatus::kDraft},
      {"scheduled", "Scheduled", PostStatus::kScheduled},
      {"published", "Recently published", PostStatus::kPublished},
  };
  for (const auto& [key, heading, status] : kinds) {
    auto posts = store_.ListPostsByStatus(status, 10);
    if (!posts) return tl::unexpected(posts.error());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& detail : *posts) {
      std::string meta;
      for (const auto& author : detail.authors) meta += (meta.empty() ? "" : ", ") + author.name;
      if (detail.post.published_at) {
        meta += (meta.empty() ? "" : " · ") + FormatDeskTime(*detail.post.published_at, time_zone);
      }
      items.push_back({{"title", detail.post.title},
                       {"url", fmt::format("/admin/posts/{}", detail.post.id)},
                       {"meta", meta}});
    }
    lists.push_back({{"key", key},
                     {"heading", heading},
                     {"count", items.size()},
                     {"posts", items},
                     {"has_posts", !items.empty()}});
  }
  nlohmann::json view = {{"title", "Dashboard"}, {"lists", lists}};
  // A writer learns here of the notes editors left on their posts, and reaches each post: only
  // those they may open are counted (content::Posts::OpenEditorialNotes).
  auto noted = posts_.OpenEditorialNotes(ActorOf(*viewer));
  if (!noted) return tl::unexpected(noted.error());
  if (!noted->empty()) {
    int open = 0;
    nlohmann::json noted_posts = nlohmann::json::array();
    for (const PostOpenNotes& item : *noted) {
      open += item.open;
      noted_posts.push_back({{"title", item.title},
                             {"url", fmt::format("/admin/posts/{}", item.post_id)},
                             {"open", item.open},
                             {"status", StatusLabel(item.status)}});
    }
    view["editorial_notes"] = {{"open", open}, {"posts", noted_posts}};
  }
  // Moderators see how many readers wait for an answer; others could do nothing about it.
  if (auth::Can(viewer->role, auth::Action::kModerateComments)) {
    auto waiting = store_.CountComments(CommentStatus::kPending);
    if (!waiting) return tl::unexpected(waiting.error());
    view["comments"] = {{"waiting", *waiting}};
  }
  return Render("dashboard", std::move(view), 200, *viewer);
}

Result<Response> Desk::Sessions(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  auto sessions = store_.ListSessions(viewer->user.id, Now());
  if (!sessions) return tl::unexpected(sessions.error());
  const TimeZone zone = DeskZone();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& session : *sessions) {
    rows.push_back(
        {{"id", session.token_hash},
         {"current", session.token_hash == viewer->session_hash},
         {"user_agent", session.user_agent.empty() ? "Unknown browser" : session.user_agent},
         {"client_ip", session.client_ip},
         {"created", FormatDeskTime(session.created_at, zone)},
         {"last_seen", FormatDeskTime(session.last_seen_at, zone)}});
  }
  nlohmann::json view = {
      {"title", "Sessions"},
      {"sessions", rows},
      {"notice", request.QueryParam("revoked") ? "The session was signed out." : ""}};
  return Render("sessions", view, 200, *viewer);
}

Result<Response> Desk::RevokeSession(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const std::string target = http::FieldValue(request.FormFields(), "session");
  // Only the viewer's own sessions can be ended here.
  if (auto done = accounts_.EndOwnSession(*viewer, target, Now()); !done)
    return tl::unexpected(done.error());
  if (target == viewer->session_hash) return Response::Redirect(303, "/admin/login");
  return Response::Redirect(303, "/admin/sessions?revoked=1");
}

TimeZone Desk::DeskZone() const {
  // The publication as in effect: broadsheet.toml's or the environment's time zone wins.
  auto publication = publication_();
  if (!publication) return TimeZone();
  return TimeZone::Find(publication->timezone).value_or(TimeZone());
}

void Desk::Audit(const auth::Viewer& viewer, std::string action,
                 std::optional<std::int64_t> post_id, std::string detail) const {
  AuditEntry entry;
  entry.at = Now();
  entry.user_id = viewer.user.id;
  entry.action = std::move(action);
  entry.post_id = post_id;
  entry.detail = std::move(detail);
  // The action already happened; a failure to log it must not undo or hide it.
  if (auto logged = store_.AppendAudit(entry); !logged) {
    std::fprintf(stderr, "warning: audit log: %s\n", broadsheet::Describe(logged.error()).c_str());
  }
}

Result<std::string> Desk::SendPasswordLink(const User& user, bool invitation,
                                           Timestamp lifetime) const {
  auto token = accounts_.CreatePasswordLink(user.id, Now(), lifetime);
  if (!token) return token;
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  const std::string base = PublicBaseUrl(*publication);
  const std::string link = base + "/admin/password/" + *token;
  if (outbox_.configured()) {
    mail::Message message;
    message.to = user.email;
    const std::string hours = lifetime >= 86400 ? fmt::format("{} days", lifetime / 86400)
                                                : fmt::format("{} minutes", lifetime / 60);
    if (invitation) {
      message.subject = "You are invited to the " + publication->title + " desk";
      message.text = fmt::format(
          "Hello {},\n\nYou have an account on the editorial desk of {}. Choose your password "
          "here (the link works once, for {}):\n\n{}\n\nThen sign in at {}/admin/login with this "
          "e-mail address.\n",
          user.name, publication->title, hours, link, base);
    } else {
      message.subject = "Reset your " + publication->title + " password";
      message.text = fmt::format(
          "Hello {},\n\nSomeone (we hope you) asked to reset your password for the {} desk. "
          "Choose a new one here (the link works once, for {}):\n\n{}\n\nIf it was not you, "
          "ignore this message: your password stays as it is.\n",
          user.name, publication->title, hours, link);
    }
    if (auto queued = outbox_.Queue(message); !queued) return tl::unexpected(queued.error());
  }
  return link;
}

Result<Response> Desk::ResetForm(const Request& request) const {
  Response cookies;
  const std::string binding = FormBinding(request, &cookies);
  auto csrf = FormToken(binding, "/admin/reset");
  if (!csrf) return tl::unexpected(csrf.error());
  nlohmann::json view = {
      {"title", "Reset your password"}, {"csrf", *csrf}, {"mail", outbox_.configured()}};
  auto response = Render("reset", view, 200, std::nullopt);
  if (response) {
    for (auto& header : cookies.headers) response->headers.push_back(std::move(header));
  }
  return response;
}

Result<Response> Desk::Reset(const Request& request) const {
  const std::string binding = FormBinding(request, nullptr);
  auto valid = CheckForm(request, binding);
  if (!valid) return tl::unexpected(valid.error());
  if (!*valid) return Fail(ErrorCode::kForbidden, kForbiddenForm);
  const std::string email(Trim(http::FieldValue(request.FormFields(), "email")));
  if (auto checked = auth::CheckEmail(email); !checked) {
    auto csrf = FormToken(binding, "/admin/reset");
    if (!csrf) return tl::unexpected(csrf.error());
    return Render("reset",
                  {{"title", "Reset your password"},
                   {"csrf", *csrf},
                   {"mail", outbox_.configured()},
                   {"error", "That is not an e-mail address."},
                   {"email", email}},
                  422, std::nullopt);
  }
  if (!outbox_.configured()) {
    return Fail(ErrorCode::kUnavailable,
                "This site cannot send e-mail yet. Ask an administrator for a new password link.");
  }
  auto user = store_.FindUserByEmail(email);
  if (!user) return tl::unexpected(user.error());
  // The answer is the same whether or not the address has an account.
  if (*user && !(*user)->disabled) {
    auto recent = accounts_.PasswordLinksSince((*user)->id, Now() - 3600);
    if (!recent) return tl::unexpected(recent.error());
    if (*recent < 3) {
      if (auto sent = SendPasswordLink(**user, false, 3600); !sent)
        return tl::unexpected(sent.error());
      Audit(auth::Viewer{**user, auth::ParseRole((*user)->role).value_or(auth::Role::kContributor),
                         "", ""},
            "password-reset-requested", std::nullopt, request.client_ip);
    }
  }
  nlohmann::json view = {{"title", "Check your e-mail"},
                         {"heading", "Check your e-mail"},
                         {"message", "If an account exists for " + email +
                                         ", we have sent it a link to choose a new password. The "
                                         "link works once, for an hour."},
                         {"link_url", "/admin/login"},
                         {"link_text", "Back to sign in"}};
  return Render("message", view, 200, std::nullopt);
}

Result<Response> Desk::NoSuchPage(const Request& request) const {
  auto viewer = Require(request, false);
  if (!viewer) return Denied(request, viewer.error());
  nlohmann::json view = {{"title", "Not found"},
                         {"heading", "There is no such page"},
                         {"message", "The desk has no page at this address."},
                         {"link_url", "/admin/"},
                         {"link_text", "Back to the dashboard"}};
  return Render("message", view, 404, *viewer);
}

}  // namespace broadsheet::admin
