// The desk's users page: staff accounts, invitations, roles, disabling, password links.
// Administrators manage everyone but owners; only an owner changes an owner or makes one; nobody
// changes their own account here, so no one can lock themselves out.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "core/text.h"

namespace broadsheet::admin {
namespace {

using auth::Action;
using auth::Role;
using http::Request;
using http::Response;

constexpr Timestamp kInvitationLifetime = 7 * 24 * 3600;

nlohmann::json RoleOptions(const auth::Viewer& viewer, std::string_view selected) {
  nlohmann::json options = nlohmann::json::array();
  for (Role role : auth::kAllRoles) {
    if (!auth::MayGrant(viewer, role)) continue;
    options.push_back(
        {{"value", auth::RoleName(role)}, {"selected", auth::RoleName(role) == selected}});
  }
  return options;
}

}  // namespace

Result<Response> Desk::UsersPage(const auth::Viewer& viewer, int status, const std::string& notice,
                                 const std::string& error, const std::string& link) const {
  auto users = store_.ListUsers();
  if (!users) return tl::unexpected(users.error());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& user : *users) {
    const std::string state =
        user.disabled ? "Disabled" : (user.password_hash.empty() ? "Invited" : "Active");
    rows.push_back({{"id", user.id},
                    {"name", user.name},
                    {"email", user.email},
                    {"role", user.role},
                    {"roles", RoleOptions(viewer, user.role)},
                    {"state", state},
                    {"disabled", user.disabled},
                    {"editable", auth::MayManage(viewer, user)}});
  }
  nlohmann::json view = {{"title", "Users"}, {"users", rows},
                         {"notice", notice}, {"error", error},
                         {"link", link},     {"invite_roles", RoleOptions(viewer, "contributor")}};
  return Render("users", std::move(view), status, viewer);
}

Result<Response> Desk::Users(const Request& request) const {
  auto viewer =
      Require(request, false, auth::Action::kManageUsers, "Only administrators manage users.");
  if (!viewer) return Denied(request, viewer.error());
  std::string notice;
  if (auto done = request.QueryParam("done"))
    notice = *done == "role"      ? "Role changed."
             : *done == "disable" ? "Account disabled; its sessions have ended."
             : *done == "enable"  ? "Account enabled."
                                  : "";
  return UsersPage(*viewer, 200, notice, "", "");
}

Result<Response> Desk::Invite(const Request& request) const {
  auto viewer =
      Require(request, true, auth::Action::kManageUsers, "Only administrators invite users.");
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  const std::string email(Trim(http::FieldValue(fields, "email")));
  const std::string name(Trim(http::FieldValue(fields, "name")));
  const std::string role = http::FieldValue(fields, "role");
  auto id = accounts_.Invite(*viewer, email, name, role);
  if (!id) {
    if (id.error().code == ErrorCode::kForbidden)
      return UsersPage(*viewer, 422, "", id.error().message, "");
    if (id.error().code == ErrorCode::kInvalidArgument || id.error().code == ErrorCode::kConflict) {
      return UsersPage(*viewer, 422, "", "Not invited: " + id.error().message + ".", "");
    }
    return tl::unexpected(id.error());
  }
  auto user = store_.FindUser(*id);
  if (!user || !*user) return Fail(ErrorCode::kInternal, "The new account could not be read back.");
  auto link = SendPasswordLink(**user, true, kInvitationLifetime);
  if (!link) return tl::unexpected(link.error());
  Audit(*viewer, "invite", std::nullopt, email + " as " + role);
  if (outbox_.configured())
    return UsersPage(*viewer, 200, "Invitation sent to " + email + ".", "", "");
  return UsersPage(*viewer, 200, "Account created for " + email + ".", "", *link);
}

Result<Response> Desk::ChangeUser(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  std::int64_t id = 0;
  const auto text = request.Param("id");
  std::from_chars(text.data(), text.data() + text.size(), id);
  auto target = accounts_.Managed(*viewer, id);
  if (!target) return tl::unexpected(target.error());
  const auto fields = request.FormFields();
  const std::string action = http::FieldValue(fields, "do");
  if (action == "role") {
    const std::string role = http::FieldValue(fields, "role");
    auto changed = accounts_.ChangeRole(*viewer, id, role);
    if (!changed && changed.error().code == ErrorCode::kForbidden)
      return UsersPage(*viewer, 422, "", changed.error().message, "");
    if (!changed) return tl::unexpected(changed.error());
    Audit(*viewer, "change-role", std::nullopt, target->email + " to " + role);
  } else if (action == "disable" || action == "enable") {
    if (auto done = accounts_.SetDisabled(*viewer, id, action == "disable"); !done)
      return tl::unexpected(done.error());
    Audit(*viewer, action, std::nullopt, target->email);
  } else if (action == "link") {
    auto link = SendPasswordLink(*target, false, 24 * 3600);
    if (!link) return tl::unexpected(link.error());
    Audit(*viewer, "password-link", std::nullopt, target->email);
    if (outbox_.configured())
      return UsersPage(*viewer, 200, "A password link was sent to " + target->email + ".", "", "");
    return UsersPage(*viewer, 200, "", "", *link);
  } else {
    return UsersPage(*viewer, 422, "", "Unknown action.", "");
  }
  return Response::Redirect(303, "/admin/users?done=" + action);
}

}  // namespace broadsheet::admin
