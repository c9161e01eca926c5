// The desk's subscribers page: counts by status and weekly growth, the list (by status, search),
// unsubscribing or erasing one, and the CSV import and export. Administrators only: it is
// personal data.
#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "core/text.h"

namespace broadsheet::admin {
namespace {

using http::Request;
using http::Response;

constexpr int kPerPage = 100;
constexpr const char* kRefusal = "Only administrators see and manage subscribers.";

const char* StatusLabel(SubscriberStatus status) {
  switch (status) {
    case SubscriberStatus::kPending:
      return "Awaiting confirmation";
    case SubscriberStatus::kActive:
      return "Active";
    case SubscriberStatus::kUnsubscribed:
      return "Unsubscribed";
    case SubscriberStatus::kBounced:
      return "Bounced";
    case SubscriberStatus::kComplained:
      return "Complained";
  }
  return "";
}

}  // namespace

Result<Response> Desk::SubscribersPage(const Request& request, int status,
                                       const nlohmann::json& report) const {
  auto viewer = Require(request, false, auth::Action::kManageSubscribers, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  SubscriberQuery query;
  const std::string status_name = request.QueryParam("status").value_or("");
  query.status = ParseSubscriberStatus(status_name);
  query.text = std::string(Trim(request.QueryParam("q").value_or(""))).substr(0, 200);
  int page = 1;
  const std::string page_text = request.QueryParam("page").value_or("1");
  std::from_chars(page_text.data(), page_text.data() + page_text.size(), page);
  page = std::clamp(page, 1, 100000);  // the offset stays within an int
  query.limit = kPerPage;
  query.offset = (page - 1) * kPerPage;
  auto subscribers = store_.ListSubscribers(query);
  if (!subscribers) return tl::unexpected(subscribers.error());
  auto matching = store_.CountSubscribers(query);
  if (!matching) return tl::unexpected(matching.error());
  auto publication = publication_();
  if (!publication) return tl::unexpected(publication.error());
  const TimeZone zone = TimeZone::Find(publication->timezone).value_or(TimeZone());

  nlohmann::json counts = nlohmann::json::array();
  for (SubscriberStatus value : kAllSubscriberStatuses) {
    SubscriberQuery by_status;
    by_status.status = value;
    auto count = store_.CountSubscribers(by_status);
    if (!count) return tl::unexpected(count.error());
    counts.push_back({{"value", SubscriberStatusName(value)},
                      {"label", StatusLabel(value)},
                      {"count", *count},
                      {"current", query.status == value}});
  }
  const Timestamp now = Now();
  const Timestamp since = now - 12 * 604800;
  auto growth = store_.SubscriberGrowth(since);
  if (!growth) return tl::unexpected(growth.error());
  nlohmann::json weeks = nlohmann::json::array();
  for (int week = 0; week < 12; ++week) {
    const Timestamp start = since + week * 604800;
    int count = 0;
    for (const auto& [at, n] : *growth) {
      if (at == start) count = n;
    }
    weeks.push_back({{"week", FormatHumanDate(start, zone)}, {"count", count}});
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const Subscriber& subscriber : *subscribers) {
    std::string sections;
    for (const std::string& slug : subscriber.sections)
      sections += (sections.empty() ? "" : ", ") + slug;
    rows.push_back(
        {{"id", subscriber.id},
         {"email", subscriber.email},
         {"status_label", StatusLabel(subscriber.status)},
         {"sections", subscriber.everything ? "everything" : sections},
         {"since", FormatDeskTime(subscriber.created_at, zone)},
         {"consent", subscriber.consented_at ? FormatDeskTime(*subscriber.consented_at, zone) +
                                                   " (" + subscriber.consent_source + ")"
                                             : "none yet"},
         {"can_unsubscribe", subscriber.status == SubscriberStatus::kActive ||
                                 subscriber.status == SubscriberStatus::kPending}});
  }
  const std::string base = fmt::format("/admin/subscribers?status={}&q={}&page=", status_name,
                                       http::PercentEncode(query.text));
  nlohmann::json view = {
      {"title", "Subscribers"},
      {"counts", counts},
      {"weeks", weeks},
      {"subscribers", rows},
      {"matching", *matching},
      {"status", status_name},
      {"q", query.text},
      {"report", report},
      {"newer_url", page > 1 ? base + std::to_string(page - 1) : ""},
      {"older_url", query.offset + kPerPage < *matching ? base + std::to_string(page + 1) : ""},
      {"notice", request.QueryParam("done") ? "Done." : ""}};
  return Render("subscribers", std::move(view), status, *viewer);
}

Result<Response> Desk::Subscribers(const Request& request) const {
  return SubscribersPage(request, 200, nullptr);
}

Result<Response> Desk::ChangeSubscriber(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kManageSubscribers, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  const std::string one = http::FieldValue(request.FormFields(), "one");
  const auto colon = one.find(':');
  std::int64_t id = 0;
  if (colon != std::string::npos)
    std::from_chars(one.data() + colon + 1, one.data() + one.size(), id);
  const std::string action = one.substr(0, colon);
  auto subscriber = store_.FindSubscriber(id);
  if (!subscriber) return tl::unexpected(subscriber.error());
  if (!*subscriber) return Fail(ErrorCode::kNotFound, "There is no such subscriber.");
  if (action == "unsubscribe") {
    auto done = subscriptions_.Unsubscribe(std::move(**subscriber), Now());
    if (!done) return tl::unexpected(done.error());
  } else if (action == "erase") {
    if (auto done = store_.DeleteSubscriber(id); !done) return tl::unexpected(done.error());
  } else {
    return Fail(ErrorCode::kInvalidArgument, "Choose what to do with the subscriber.");
  }
  // The audit log names the action, not the address: an erased address must not linger there.
  Audit(*viewer, "subscriber-" + action, std::nullopt, fmt::format("subscriber {}", id));
  return Response::Redirect(303, "/admin/subscribers?done=1");
}

Result<Response> Desk::ExportSubscribers(const Request& request) const {
  auto viewer = Require(request, false, auth::Action::kManageSubscribers, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  auto csv = subscriptions_.ExportCsv();
  if (!csv) return tl::unexpected(csv.error());
  Audit(*viewer, "subscribers-export", std::nullopt, "");
  Response response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = std::move(*csv);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"subscribers.csv\"");
  return response;
}

Result<Response> Desk::ImportSubscribers(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kManageSubscribers, kRefusal);
  if (!viewer) return Denied(request, viewer.error());
  const auto files = request.Files();
  if (files.empty() || files.front().data.empty()) {
    return SubscribersPage(request, 422, {{"error", "Choose a CSV file to import."}});
  }
  auto report = subscriptions_.ImportCsv(files.front().data, Now());
  if (!report) {
    if (report.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(report.error());
    return SubscribersPage(request, 422,
                           {{"error", "Nothing was imported. " + report.error().message}});
  }
  Audit(*viewer, "subscribers-import", std::nullopt,
        fmt::format("{} added, {} updated, {} skipped", report->added, report->updated,
                    report->skipped.size()));
  return SubscribersPage(request, 200,
                         {{"added", report->added},
                          {"updated", report->updated},
                          {"skipped", report->skipped},
                          {"has_skipped", !report->skipped.empty()}});
}

}  // namespace broadsheet::admin
