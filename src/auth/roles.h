// Roles and the permission table, with WordPress/Ghost semantics:
//
//   contributor    writes drafts and submits them for review; edits only their own unpublished
//   posts author         also publishes (and edits, unpublishes, deletes) their own posts editor
//   edits and publishes everyone's posts; manages sections, tags and author profiles administrator
//   also manages users, invitations and site settings owner          an administrator who cannot be
//   removed by other administrators
//
// Can(role, action) is the single source of truth; tests check it as a full matrix.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace broadsheet::auth {

enum class Role { kContributor, kAuthor, kEditor, kAdministrator, kOwner };

inline constexpr std::array<Role, 5> kAllRoles = {Role::kContributor, Role::kAuthor, Role::kEditor,
                                                  Role::kAdministrator, Role::kOwner};

std::string_view RoleName(Role role);  // "editor"
std::optional<Role> ParseRole(std::string_view name);

enum class Action {
  kUseDesk,           // sign in and see the dashboard
  kWriteDraft,        // create posts and edit one's own drafts
  kSubmitForReview,   // mark one's own draft as ready for an editor
  kPublishOwn,        // publish, schedule, unpublish one's own posts
  kEditOwnPublished,  // change one's own published posts
  kDeleteOwn,         // move one's own posts to the trash
  kEditOthers,        // change anyone's posts
  kPublishOthers,     // publish, schedule, unpublish anyone's posts
  kDeleteOthers,      // move anyone's posts to the trash
  kUploadMedia,
  kManageTaxonomy,  // sections and tags
  kManageAuthors,   // author profiles (bio, credentials, photo)
  kManageRedirects,
  kModerateComments,
  kManageUsers,     // invite, change roles, disable
  kManageSettings,  // site settings
  kViewAuditLog,
  kSendNewsletter,     // preview, test and send issues
  kManageSubscribers,  // see, import, export, unsubscribe and erase subscribers (personal data)
};

inline constexpr std::array<Action, 19> kAllActions = {
    Action::kUseDesk,           Action::kWriteDraft,       Action::kSubmitForReview,
    Action::kPublishOwn,        Action::kEditOwnPublished, Action::kDeleteOwn,
    Action::kEditOthers,        Action::kPublishOthers,    Action::kDeleteOthers,
    Action::kUploadMedia,       Action::kManageTaxonomy,   Action::kManageAuthors,
    Action::kManageRedirects,   Action::kModerateComments, Action::kManageUsers,
    Action::kManageSettings,    Action::kViewAuditLog,     Action::kSendNewsletter,
    Action::kManageSubscribers,
};

std::string_view ActionName(Action action);

bool Can(Role role, Action action);

}  // namespace broadsheet::auth
