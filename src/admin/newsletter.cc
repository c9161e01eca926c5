// The desk's newsletter page: pick an article (or the week's digest) and segments, preview the
// mail, send a test to yourself, send it, and follow the sends' progress. Sending queues the
// issue in the durable outbox; the server's newsletter worker delivers it. Without mail the page
// offers the preview alone and explains the [mail] settings; a send posted anyway gets 503.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "content/publication.h"
#include "core/text.h"
#include "newsletter/issue.h"
#include "newsletter/sender.h"

namespace broadsheet::admin {
namespace {

using http::Request;
using http::Response;

constexpr const char* kRefusal = "Only editors send the newsletter.";

// The mail as a browser shows it: its inline styles allowed, nothing else.
constexpr const char* kPreviewPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: http: data:; "
    "sandbox; frame-ancestors 'none'";

std::int64_t ParseId(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

// The issue the form (or query) asks for: field "post" is an article's id or "digest".
Result<NewsletterSend> Desk::ChosenIssue(
    const std::vector<std::pair<std::string, std::string>>& fields) const {
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  const std::string post = http::FieldValue(fields, "post");
  auto links = content::NewsletterLinks(store_, *publication, Now());
  if (!links) return tl::unexpected(links.error());
  NewsletterSend send;
  if (post == "digest") {
    auto digest = newsletter::WeeklyDigest(store_, *publication, Now(), *links);
    if (!digest) return tl::unexpected(digest.error());
    send = std::move(*digest);
  } else {
    auto detail = store_.FindPostById(ParseId(post));
    if (!detail) return tl::unexpected(detail.error());
    if (!*detail || (*detail)->post.status != PostStatus::kPublished)
      return Fail(ErrorCode::kInvalidArgument, "Choose a published article to send.");
    send = newsletter::ComposeIssue(**detail, *publication,
                                    content::DisclaimerFor(**detail, *publication), *links);
  }
  for (const auto& [name, value] : fields) {
    if (name == "segments" && send.segments.size() < 50) send.segments.push_back(value);
  }
  return send;
}

Result<Response> Desk::NewsletterPage(const Request& request, int status, const std::string& notice,
                                      const std::string& error) const {
  auto viewer = Require(request, false, auth::Action::kSendNewsletter, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  PostQuery query;
  query.now = Now();
  query.limit = 30;
  auto posts = store_.ListPublishedPosts(query);
  if (!posts) return tl::unexpected(posts.error());
  auto sections = store_.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  auto sends = store_.ListSends(10);
  if (!sends) return tl::unexpected(sends.error());
  auto everyone = store_.CountRecipients({});
  if (!everyone) return tl::unexpected(everyone.error());
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());

  nlohmann::json articles = nlohmann::json::array();
  for (const PostDetail& detail : *posts)
    articles.push_back({{"id", detail.post.id}, {"title", detail.post.title}});
  nlohmann::json segments =
      nlohmann::json::array({{{"value", "everything"}, {"label", "Subscribers to everything"}}});
  for (const Section& section : *sections)
    segments.push_back({{"value", section.slug}, {"label", "Followers of " + section.name}});
  bool in_progress = false;
  nlohmann::json rows = nlohmann::json::array();
  for (const NewsletterSend& send : *sends) {
    const bool running = send.status == SendStatus::kQueued || send.status == SendStatus::kSending;
    in_progress = in_progress || running;
    rows.push_back({{"id", send.id},
                    {"subject", send.subject},
                    {"status", SendStatusName(send.status)},
                    {"date", FormatDeskTime(send.created_at, zone)},
                    {"sent", send.sent},
                    {"failed", send.failed},
                    {"remaining", send.remaining},
                    {"rate", fmt::format("{:.0f}", send.Rate())},
                    {"running", running},
                    {"total", send.total}});
  }
  nlohmann::json view = {{"title", "Newsletter"},      {"articles", articles},
                         {"segments", segments},       {"sends", rows},
                         {"has_sends", !rows.empty()}, {"everyone", *everyone},
                         {"refresh", in_progress},     {"mail", outbox_.configured()},
                         {"notice", notice},           {"error", error}};
  return Render("newsletter", std::move(view), status, *viewer);
}

Result<Response> Desk::Newsletter(const Request& request) const {
  const auto sent = request.QueryParam("sent");
  return NewsletterPage(request, 200, sent ? "Send #" + *sent + " is queued: it goes out now." : "",
                        "");
}

// A POST, so that the form's tokens stay out of the address bar, history and logs. The newsletter
// form posts here too (its Preview button) and carries this action's own token as preview_csrf,
// beside the csrf of its main action.
Result<Response> Desk::PreviewNewsletter(const Request& request) const {
  auto viewer = Require(request, false, auth::Action::kSendNewsletter, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  auto valid =
      accounts_.CheckFormToken("session:" + viewer->session_hash, "POST /admin/newsletter/preview",
                               http::FieldValue(fields, "preview_csrf"));
  if (!valid) return tl::unexpected(valid.error());
  if (!*valid) {
    return Fail(ErrorCode::kForbidden,
                "This form has expired or did not come from this site. Go back, reload the page "
                "and try again.");
  }
  auto issue = ChosenIssue(fields);
  if (!issue) {
    if (issue.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(issue.error());
    return NewsletterPage(request, 422, "", issue.error().message);
  }
  Response response;
  response.body = issue->html;
  for (size_t at = response.body.find(newsletter::kUnsubscribeMarker); at != std::string::npos;
       at = response.body.find(newsletter::kUnsubscribeMarker)) {
    response.body.replace(at, newsletter::kUnsubscribeMarker.size(), "#unsubscribe-link");
  }
  response.content_security_policy = kPreviewPolicy;
  return response;
}

Result<Response> Desk::CancelNewsletter(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kSendNewsletter, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  const std::int64_t id = ParseId(request.Param("id"));
  if (auto cancelled = store_.CancelSend(id, Now()); !cancelled) {
    if (cancelled.error().code != ErrorCode::kNotFound) return tl::unexpected(cancelled.error());
    return NewsletterPage(request, 409, "", cancelled.error().message);
  }
  Audit(*viewer, "newsletter-cancel", std::nullopt, fmt::format("send {}", id));
  return NewsletterPage(request, 200,
                        fmt::format("Send #{} is cancelled: nothing more goes out.", id), "");
}

Result<Response> Desk::SendNewsletter(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kSendNewsletter, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  // Refused before anything is composed or queued: nothing would ever deliver it.
  if (!outbox_.configured()) {
    return NewsletterPage(request, 503, "",
                          "Nothing was sent: this site cannot send e-mail until [mail] is set.");
  }
  const auto fields = request.FormFields();
  auto issue = ChosenIssue(fields);
  if (!issue) {
    if (issue.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(issue.error());
    return NewsletterPage(request, 422, "", issue.error().message);
  }
  if (http::FieldValue(fields, "do") == "test") {
    // To the editor alone, now, through the ordinary outbox; the link is a stand-in.
    mail::Message message;
    message.to = viewer->user.email;
    message.subject = "[Test] " + issue->subject;
    message.html = issue->html;
    message.text = issue->text;
    for (std::string* body : {&message.html, &message.text}) {
      for (size_t at = body->find(newsletter::kUnsubscribeMarker); at != std::string::npos;
           at = body->find(newsletter::kUnsubscribeMarker)) {
        body->replace(at, newsletter::kUnsubscribeMarker.size(),
                      "(each reader's own unsubscribe link)");
      }
    }
    if (auto queued = outbox_.Queue(message); !queued) return tl::unexpected(queued.error());
    return NewsletterPage(request, 200, "A test is on its way to " + viewer->user.email + ".", "");
  }
  issue->created_by = viewer->user.id;
  issue->created_at = Now();
  auto id = store_.QueueSend(*issue);
  if (!id) return tl::unexpected(id.error());
  Audit(*viewer, "newsletter-send", issue->post_id, fmt::format("send {}", *id));
  return Response::Redirect(303, fmt::format("/admin/newsletter?sent={}", *id));
}

}  // namespace broadsheet::admin
