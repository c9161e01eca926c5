// The desk's users page: staff accounts, invitations, roles, disabling, password links.
// Administrators manage everyone but owners; only an owner changes an owner or makes one; nobody
// changes their own account here, so no one can lock themselves out.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "content/records.h"
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
                                 const std::string& error, const std::string& link,
                                 const nlohmann::json* typed_fields) const {
  const nlohmann::json typed = typed_fields ? *typed_fields : nlohmann::json::object();
  auto users = store_.ListUsers();
  if (!users) return tl::unexpected(users.error());
  auto authors = store_.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  nlohmann::json rows = nlohmann::json::array();
  // The invitation's profile picker: the profiles no account has.
  const std::string typed_profile = typed.value("profile", std::string("auto"));
  nlohmann::json invite_profiles = nlohmann::json::array();
  for (const Author& author : *authors) {
    const bool taken = std::any_of(users->begin(), users->end(), [&](const User& user) {
      return user.author_id && *user.author_id == author.id;
    });
    if (taken) continue;
    const std::string value = "author:" + author.slug;
    invite_profiles.push_back({{"value", value},
                               {"name", author.name},
                               {"slug", author.slug},
                               {"selected", typed_profile == value}});
  }
  for (const auto& user : *users) {
    // The account's own author profile, and the profiles no other account has, to link.
    nlohmann::json profile = nullptr;
    nlohmann::json free_profiles = nlohmann::json::array();
    for (const Author& author : *authors) {
      if (user.author_id && *user.author_id == author.id) {
        profile = {
            {"name", author.name},
            {"slug", author.slug},
            {"edit_url", "/admin/sections?author=" + author.slug + "#profile-" + author.slug}};
        continue;
      }
      const bool taken = std::any_of(users->begin(), users->end(), [&](const User& other) {
        return other.author_id && *other.author_id == author.id;
      });
      if (!taken) free_profiles.push_back({{"name", author.name}, {"slug", author.slug}});
    }
    const std::string state =
        user.disabled ? "Disabled" : (user.password_hash.empty() ? "Invited" : "Active");
    rows.push_back(
        {{"id", user.id},
         {"name", user.name},
         {"email", user.email},
         {"role", user.role},
         {"roles", RoleOptions(viewer, user.role)},
         {"state", state},
         {"disabled", user.disabled},
         {"editable", auth::MayManage(viewer, user)},
         {"profile", profile},
         {"free_profiles", free_profiles},
         {"has_free_profiles", !free_profiles.empty()},
         // Linking a profile changes no access: an administrator may link their own.
         {"profile_editable", auth::MayManage(viewer, user) || user.id == viewer.user.id}});
  }
  nlohmann::json view = {
      {"title", "Users"},
      {"users", rows},
      {"notice", notice},
      {"error", error},
      {"link", link},
      {"invite", typed.is_object() ? typed : nlohmann::json::object()},
      {"invite_roles", RoleOptions(viewer, typed.value("role", std::string("contributor")))},
      {"invite_profiles", invite_profiles},
      {"invite_profile_new", typed_profile == "new"},
      {"invite_profile_none", typed_profile == "none"}};
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
             : *done == "profile" ? "Author profile changed."
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
  // The profile picker: "auto" (the default: a free profile of the same name, else a new one
  // for writers), "new", "none", or "author:SLUG" for an existing profile no account has.
  const std::string profile = http::FieldValue(fields, "profile");
  content::NewAccount account{email, name, role, std::nullopt, content::ProfileChoice::kAuto, ""};
  if (profile == "new") {
    account.profile = content::ProfileChoice::kNew;
  } else if (profile == "none") {
    account.profile = content::ProfileChoice::kNone;
  } else if (profile.starts_with("author:")) {
    account.profile = content::ProfileChoice::kExisting;
    account.author_slug = profile.substr(7);
  }
  const nlohmann::json typed = {
      {"name", name}, {"email", email}, {"role", role}, {"profile", profile}};
  if (!profile.empty() && profile != "auto" && profile != "new" && profile != "none" &&
      !profile.starts_with("author:")) {
    return UsersPage(*viewer, 422, "", "Not invited: choose an author profile from the list.", "",
                     &typed);
  }
  auto added = content::AddAccount(store_, accounts_, &*viewer, account);
  if (!added) {
    if (added.error().code == ErrorCode::kForbidden)
      return UsersPage(*viewer, 422, "", added.error().message, "", &typed);
    if (added.error().code == ErrorCode::kInvalidArgument ||
        added.error().code == ErrorCode::kConflict) {
      std::string why = added.error().message;
      if (!why.empty() && why.back() == '.') why.pop_back();
      return UsersPage(*viewer, 422, "", "Not invited: " + why + ".", "", &typed);
    }
    return tl::unexpected(added.error());
  }
  const User& user = added->user;
  // Writers get their own author profile at once, so their first draft has a byline; the
  // administrator can fill in its credentials and biography under Authors.
  if (added->profile_created)
    Audit(*viewer, "create-profile", std::nullopt, email + " as " + added->profile_slug);
  else if (!added->profile_slug.empty())
    Audit(*viewer, "profile-link", std::nullopt, email + " to " + added->profile_slug);
  auto link = SendPasswordLink(user, true, kInvitationLifetime);
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
  const auto fields = request.FormFields();
  const std::string action = http::FieldValue(fields, "do");
  if (action == "profile-link" || action == "profile-unlink" || action == "profile-create")
    return ChangeProfile(*viewer, id, action, http::FieldValue(fields, "author"));
  auto target = accounts_.Managed(*viewer, id);
  if (!target) return tl::unexpected(target.error());
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

Result<Response> Desk::ChangeProfile(const auth::Viewer& viewer, std::int64_t user_id,
                                     const std::string& action,
                                     const std::string& author_slug) const {
  if (!auth::Can(viewer.role, Action::kManageUsers))
    return Fail(ErrorCode::kForbidden, "Only administrators manage users.");
  // An administrator may link their own profile (it changes no access); others' as Managed says.
  Result<User> target = viewer.user;
  if (user_id != viewer.user.id) target = accounts_.Managed(viewer, user_id);
  if (!target) return tl::unexpected(target.error());
  std::string detail;
  if (action == "profile-create") {
    auto created = content::CreateProfileFor(store_, *target);
    if (!created) {
      if (created.error().code == ErrorCode::kConflict ||
          created.error().code == ErrorCode::kInvalidArgument)
        return UsersPage(viewer, 422, "", created.error().message, "");
      return tl::unexpected(created.error());
    }
    detail = *created;
  } else {
    detail = action == "profile-link" ? author_slug : "";
    if (action == "profile-link" && author_slug.empty())
      return UsersPage(viewer, 422, "", "Choose a profile to link.", "");
    auto linked = content::LinkProfile(store_, target->id, detail);
    if (!linked) {
      if (linked.error().code == ErrorCode::kConflict ||
          linked.error().code == ErrorCode::kInvalidArgument)
        return UsersPage(viewer, 422, "", linked.error().message, "");
      return tl::unexpected(linked.error());
    }
  }
  Audit(viewer, action, std::nullopt, target->email + (detail.empty() ? "" : " to " + detail));
  return Response::Redirect(303, "/admin/users?done=profile");
}

}  // namespace broadsheet::admin
