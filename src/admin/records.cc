// The desk's records: the redirect manager and the audit log.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "content/records.h"
#include "core/text.h"

namespace broadsheet::admin {
namespace {

using auth::Action;
using http::Request;
using http::Response;

constexpr int kAuditPerPage = 100;

}  // namespace

Result<Response> Desk::RedirectsPage(const auth::Viewer& viewer, int status,
                                     const std::string& notice, const std::string& error,
                                     const std::string& from, const std::string& to) const {
  auto redirects = store_.ListRedirects();
  if (!redirects) return tl::unexpected(redirects.error());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& redirect : *redirects) {
    rows.push_back(
        {{"from", redirect.from_path}, {"to", redirect.to_path}, {"status", redirect.status}});
  }
  nlohmann::json view = {{"title", "Redirects"},
                         {"redirects", rows},
                         {"notice", notice},
                         {"error", error},
                         {"form", {{"from", from}, {"to", to}}}};
  return Render("redirects", std::move(view), status, viewer);
}

Result<Response> Desk::Redirects(const Request& request) const {
  auto viewer =
      Require(request, false, auth::Action::kManageRedirects, "Only editors manage redirects.");
  if (!viewer) return Denied(request, viewer.error());
  return RedirectsPage(*viewer, 200, request.QueryParam("done") ? "Saved." : "", "", "", "");
}

Result<Response> Desk::ChangeRedirects(const Request& request) const {
  auto viewer =
      Require(request, true, auth::Action::kManageRedirects, "Only editors manage redirects.");
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  const std::string from(Trim(http::FieldValue(fields, "from")));
  const std::string to(Trim(http::FieldValue(fields, "to")));
  const std::string action = http::FieldValue(fields, "do");
  if (action == "remove") {
    if (auto done = content::RemoveRedirect(store_, from); !done)
      return tl::unexpected(done.error());
    Audit(*viewer, "remove-redirect", std::nullopt, from);
    return Response::Redirect(303, "/admin/redirects?done=1");
  }
  int status = 301;
  const std::string status_text = http::FieldValue(fields, "status");
  std::from_chars(status_text.data(), status_text.data() + status_text.size(), status);
  if (status != 301 && status != 302 && status != 410) status = 301;
  if (auto done = content::PutRedirect(store_, {from, to, status, Now()}); !done) {
    if (done.error().code != ErrorCode::kInvalidArgument) return tl::unexpected(done.error());
    return RedirectsPage(*viewer, 422, "", done.error().message, from, to);
  }
  Audit(*viewer, "add-redirect", std::nullopt, fmt::format("{} -> {} ({})", from, to, status));
  return Response::Redirect(303, "/admin/redirects?done=1");
}

Result<Response> Desk::AuditLog(const Request& request) const {
  auto viewer = Require(request, false, auth::Action::kViewAuditLog,
                        "Only administrators see the audit log.");
  if (!viewer) return Denied(request, viewer.error());
  int page = 1;
  if (auto text = request.QueryParam("page"))
    std::from_chars(text->data(), text->data() + text->size(), page);
  page = std::clamp(page, 1, 100000);
  auto entries = store_.ListAudit(kAuditPerPage + 1, (page - 1) * kAuditPerPage);
  if (!entries) return tl::unexpected(entries.error());
  const bool more = entries->size() > static_cast<size_t>(kAuditPerPage);
  if (more) entries->pop_back();
  const TimeZone zone = DeskZone();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& entry : *entries) {
    rows.push_back(
        {{"at", FormatDeskTimeWithSeconds(entry.at, zone)},
         {"at_iso", FormatIsoTime(entry.at, zone)},
         {"who", entry.user_name.empty() ? "—" : entry.user_name},
         {"action", entry.action},
         {"post_id", entry.post_id.value_or(0)},
         {"post_url", entry.post_id ? fmt::format("/admin/posts/{}", *entry.post_id) : ""},
         {"detail", entry.detail}});
  }
  nlohmann::json paging = false;
  if (page > 1 || more) {
    paging = {{"newer_url", page > 1 ? fmt::format("/admin/audit?page={}", page - 1) : ""},
              {"older_url", more ? fmt::format("/admin/audit?page={}", page + 1) : ""}};
  }
  return Render("audit",
                {{"title", "Audit log"},
                 {"entries", rows},
                 {"paging", paging},
                 {"zone", std::string(zone.name())}},
                200, *viewer);
}

}  // namespace broadsheet::admin
