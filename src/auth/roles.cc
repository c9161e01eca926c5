#include "auth/roles.h"

namespace broadsheet::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kContributor:
      return "contributor";
    case Role::kAuthor:
      return "author";
    case Role::kEditor:
      return "editor";
    case Role::kAdministrator:
      return "administrator";
    case Role::kOwner:
      return "owner";
  }
  return "contributor";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : kAllRoles) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kUseDesk:
      return "use the desk";
    case Action::kWriteDraft:
      return "write drafts";
    case Action::kSubmitForReview:
      return "submit for review";
    case Action::kPublishOwn:
      return "publish own posts";
    case Action::kEditOwnPublished:
      return "edit own published posts";
    case Action::kDeleteOwn:
      return "delete own posts";
    case Action::kEditOthers:
      return "edit others' posts";
    case Action::kPublishOthers:
      return "publish others' posts";
    case Action::kDeleteOthers:
      return "delete others' posts";
    case Action::kUploadMedia:
      return "upload media";
    case Action::kManageTaxonomy:
      return "manage sections and tags";
    case Action::kManageAuthors:
      return "manage author profiles";
    case Action::kManageRedirects:
      return "manage redirects";
    case Action::kModerateComments:
      return "moderate comments";
    case Action::kManageUsers:
      return "manage users";
    case Action::kManageSettings:
      return "manage settings";
    case Action::kViewAuditLog:
      return "view the audit log";
    case Action::kSendNewsletter:
      return "send the newsletter";
    case Action::kManageSubscribers:
      return "manage subscribers";
  }
  return "unknown";
}

bool Can(Role role, Action action) {
  // The lowest role that may take each action; every role above it may too.
  Role lowest = Role::kOwner;
  switch (action) {
    case Action::kUseDesk:
    case Action::kWriteDraft:
    case Action::kSubmitForReview:
      lowest = Role::kContributor;
      break;
    case Action::kPublishOwn:
    case Action::kEditOwnPublished:
    case Action::kDeleteOwn:
    case Action::kUploadMedia:
      lowest = Role::kAuthor;
      break;
    case Action::kEditOthers:
    case Action::kPublishOthers:
    case Action::kDeleteOthers:
    case Action::kManageTaxonomy:
    case Action::kManageAuthors:
    case Action::kManageRedirects:
    case Action::kModerateComments:
    case Action::kSendNewsletter:
      lowest = Role::kEditor;
      break;
    case Action::kManageUsers:
    case Action::kManageSettings:
    case Action::kViewAuditLog:
    case Action::kManageSubscribers:
      lowest = Role::kAdministrator;
      break;
  }
  return static_cast<int>(role) >= static_cast<int>(lowest);
}

}  // namespace broadsheet::auth
