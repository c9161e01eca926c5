#include "auth/roles.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace broadsheet::auth {
namespace {

// The whole permission table, written out: for each action, the roles allowed to take it.
const std::map<Action, std::set<Role>>& Expected() {
  using R = Role;
  const std::set<Role> everyone = {R::kContributor, R::kAuthor, R::kEditor, R::kAdministrator,
                                   R::kOwner};
  const std::set<Role> authors_up = {R::kAuthor, R::kEditor, R::kAdministrator, R::kOwner};
  const std::set<Role> editors_up = {R::kEditor, R::kAdministrator, R::kOwner};
  const std::set<Role> admins = {R::kAdministrator, R::kOwner};
  static const std::map<Action, std::set<Role>> table = {
      {Action::kUseDesk, everyone},
      {Action::kWriteDraft, everyone},
      {Action::kSubmitForReview, everyone},
      {Action::kPublishOwn, authors_up},
      {Action::kEditOwnPublished, authors_up},
      {Action::kDeleteOwn, authors_up},
      {Action::kUploadMedia, authors_up},
      {Action::kEditOthers, editors_up},
      {Action::kPublishOthers, editors_up},
      {Action::kDeleteOthers, editors_up},
      {Action::kManageTaxonomy, editors_up},
      {Action::kManageAuthors, editors_up},
      {Action::kManageRedirects, editors_up},
      {Action::kModerateComments, editors_up},
      {Action::kManageUsers, admins},
      {Action::kManageSettings, admins},
      {Action::kViewAuditLog, admins},
      {Action::kSendNewsletter, editors_up},
      {Action::kManageSubscribers, admins},
  };
  return table;
}

TEST(PermissionMatrix, EveryRoleAndEveryActionIsAsSpecified) {
  ASSERT_EQ(Expected().size(), kAllActions.size());
  for (Action action : kAllActions) {
    const auto& allowed = Expected().at(action);
    for (Role role : kAllRoles) {
      EXPECT_EQ(Can(role, action), allowed.count(role) == 1)
          << RoleName(role) << " / " << ActionName(action);
    }
  }
}

TEST(PermissionMatrix, ContributorsCannotPublishOrTouchOthersPosts) {
  EXPECT_FALSE(Can(Role::kContributor, Action::kPublishOwn));
  EXPECT_FALSE(Can(Role::kContributor, Action::kEditOthers));
  EXPECT_FALSE(Can(Role::kAuthor, Action::kPublishOthers));
  EXPECT_FALSE(Can(Role::kEditor, Action::kManageUsers));
}

TEST(Roles, NamesRoundTrip) {
  for (Role role : kAllRoles) EXPECT_EQ(ParseRole(RoleName(role)), role);
  EXPECT_FALSE(ParseRole("superuser"));
  EXPECT_FALSE(ParseRole("Editor"));
}

}  // namespace
}  // namespace broadsheet::auth
