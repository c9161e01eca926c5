// The desk's comment moderation queue: comments by status, searchable, approved, marked as spam,
// trashed or held again one at a time or in bulk; and one comment's page, to edit it or reply.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "core/text.h"

namespace broadsheet::admin {
namespace {

using auth::Action;
using http::Request;
using http::Response;

const char* StatusLabel(CommentStatus status) {
  switch (status) {
    case CommentStatus::kPending:
      return "Awaiting moderation";
    case CommentStatus::kApproved:
      return "Approved";
    case CommentStatus::kSpam:
      return "Spam";
    case CommentStatus::kTrash:
      return "In the trash";
  }
  return "";
}

// What the queue and the comment page show of a comment.
nlohmann::json CommentRow(const Comment& comment, const TimeZone& zone, double score) {
  return {{"id", comment.id},
          {"author", comment.author_name},
          {"email", comment.author_email},
          {"website", comment.author_url},
          {"excerpt", Truncate(comment.body_markdown, 300)},
          {"body", comment.body_markdown},
          {"slug", comment.post_slug},
          // An untitled draft still needs a link text.
          {"post_title", comment.post_title.empty() ? comment.post_slug : comment.post_title},
          {"date", FormatDeskTime(comment.created_at, zone)},
          {"status", CommentStatusName(comment.status)},
          {"status_label", StatusLabel(comment.status)},
          {"reason", comment.reason},
          {"score", fmt::format("{:.2f}", score)},
          {"is_approved", comment.status == CommentStatus::kApproved},
          {"is_spam", comment.status == CommentStatus::kSpam},
          {"is_trash", comment.status == CommentStatus::kTrash}};
}

std::int64_t IdParam(const Request& request) {
  std::int64_t id = 0;
  const auto text = request.Param("id");
  std::from_chars(text.data(), text.data() + text.size(), id);
  return id;
}

}  // namespace

Result<Response> Desk::CommentQueue(const Request& request) const {
  auto viewer =
      Require(request, false, auth::Action::kModerateComments, "Only editors moderate comments.");
  if (!viewer) return Denied(request, viewer.error());
  const std::string status_name = request.QueryParam("status").value_or("pending");
  const CommentStatus status = ParseCommentStatus(status_name).value_or(CommentStatus::kPending);
  const std::string text = std::string(Trim(request.QueryParam("q").value_or(""))).substr(0, 200);
  auto comments = store_.ListComments(status, 200, text);
  if (!comments) return tl::unexpected(comments.error());
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& comment : *comments) {
    auto score = comments_.Score(comment);
    if (!score) return tl::unexpected(score.error());
    rows.push_back(CommentRow(comment, zone, *score));
  }
  nlohmann::json tabs = nlohmann::json::array();
  for (CommentStatus value : {CommentStatus::kPending, CommentStatus::kApproved,
                              CommentStatus::kSpam, CommentStatus::kTrash}) {
    tabs.push_back({{"value", CommentStatusName(value)},
                    {"label", StatusLabel(value)},
                    {"current", value == status}});
  }
  std::string notice;
  if (auto changed = request.QueryParam("changed")) notice = "Updated " + *changed + " comment(s).";
  nlohmann::json view = {{"title", "Comments"},   {"comments", rows}, {"tabs", tabs},
                         {"status", status_name}, {"q", text},        {"notice", notice}};
  return Render("comments", std::move(view), 200, *viewer);
}

Result<Response> Desk::Moderate(const Request& request) const {
  auto viewer =
      Require(request, true, auth::Action::kModerateComments, "Only editors moderate comments.");
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  std::string action;
  std::vector<std::int64_t> ids;
  const std::string one = http::FieldValue(fields, "one");
  if (!one.empty()) {
    const auto colon = one.find(':');
    action = one.substr(0, colon);
    std::int64_t id = 0;
    if (colon != std::string::npos)
      std::from_chars(one.data() + colon + 1, one.data() + one.size(), id);
    ids.push_back(id);
  } else {
    action = http::FieldValue(fields, "bulk");
    for (const auto& [name, value] : fields) {
      std::int64_t id = 0;
      if (name == "ids" &&
          std::from_chars(value.data(), value.data() + value.size(), id).ec == std::errc()) {
        ids.push_back(id);
      }
    }
  }
  const auto target = action == "approve" ? std::optional<CommentStatus>(CommentStatus::kApproved)
                                          : ParseCommentStatus(action);
  if (!target) return Fail(ErrorCode::kInvalidArgument, "Choose what to do with the comments.");
  auto changed = comments_.Moderate(ids, *target);
  if (!changed) return tl::unexpected(changed.error());
  Audit(*viewer, "comments-" + action, std::nullopt, fmt::format("{} comment(s)", *changed));
  const std::string status = http::FieldValue(fields, "status");
  return Response::Redirect(303,
                            fmt::format("/admin/comments?status={}&changed={}",
                                        ParseCommentStatus(status) ? status : "pending", *changed));
}

Result<Response> Desk::CommentPage(const Request& request, int status, const std::string& notice,
                                   const std::string& error, const std::string& reply) const {
  auto viewer =
      Require(request, false, auth::Action::kModerateComments, "Only editors moderate comments.");
  if (!viewer) return Denied(request, viewer.error());
  auto comment = store_.FindComment(IdParam(request));
  if (!comment) return tl::unexpected(comment.error());
  if (!*comment) return Fail(ErrorCode::kNotFound, "There is no such comment.");
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());
  auto score = comments_.Score(**comment);
  if (!score) return tl::unexpected(score.error());
  nlohmann::json view = {{"title", "Comment"},
                         {"comment", CommentRow(**comment, zone, *score)},
                         {"notice", notice},
                         {"error", error},
                         {"reply", reply}};
  return Render("comment", std::move(view), status, *viewer);
}

Result<Response> Desk::ShowComment(const Request& request) const {
  return CommentPage(request, 200, request.QueryParam("done") ? "Saved." : "", "", "");
}

Result<Response> Desk::EditComment(const Request& request) const {
  auto viewer =
      Require(request, true, auth::Action::kModerateComments, "Only editors moderate comments.");
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  comments::Submission changes;
  changes.name = http::FieldValue(fields, "name");
  changes.email = http::FieldValue(fields, "email");
  changes.website = http::FieldValue(fields, "website");
  changes.body = http::FieldValue(fields, "body");
  const std::int64_t id = IdParam(request);
  if (auto edited = comments_.Edit(id, changes); !edited) {
    if (edited.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(edited.error());
    return CommentPage(request, 422, "", "Not saved: " + edited.error().message, "");
  }
  Audit(*viewer, "comment-edit", std::nullopt, fmt::format("comment {}", id));
  return Response::Redirect(303, fmt::format("/admin/comments/{}?done=1", id));
}

Result<Response> Desk::ReplyToComment(const Request& request) const {
  auto viewer =
      Require(request, true, auth::Action::kModerateComments, "Only editors moderate comments.");
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  const std::string body = http::FieldValue(fields, "body");
  auto reply = comments_.Reply(IdParam(request), viewer->user, body, Now());
  if (!reply) {
    if (IsSaveFailure(reply.error())) {
      return AsSaveFailure(CommentPage(request, 500, "", SaveFailureMessage(reply.error()), body),
                           reply.error());
    }
    if (reply.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(reply.error());
    return CommentPage(request, 422, "", "Not published: " + reply.error().message, body);
  }
  Audit(*viewer, "comment-reply", std::nullopt, fmt::format("comment {}", reply->id));
  return Response::Redirect(303, fmt::format("/admin/comments/{}?done=1", reply->id));
}

}  // namespace broadsheet::admin
