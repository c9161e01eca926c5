// The rules for the records around posts: sections, tags, author profiles and the redirects an
// editor keeps by hand. Each function checks what it is given, then stores it; kInvalidArgument
// carries a message for the person, and nothing is stored when a check fails. Permissions are
// checked by the caller against the permission table (kManageTaxonomy, kManageAuthors,
// kManageRedirects): these records have no owner, so the role alone decides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/accounts.h"
#include "core/error.h"
#include "storage/store.h"

namespace broadsheet::content {

// Adds (`adding`) or changes a section. An empty slug is made from the name; the slug must be
// free when adding and exist when changing. The position is clamped to 0-1000; a negative one
// keeps the stored position (0 for a new section).
Result<void> SaveSection(Store& store, Section section, bool adding);
Result<void> DeleteSection(Store& store, std::string_view slug);

// Renames an existing tag (kInvalidArgument when there is none, or the name is empty).
Result<void> RenameTag(Store& store, std::string_view slug, std::string_view name);
Result<void> DeleteTag(Store& store, std::string_view slug);

// Adds or changes an author profile, as SaveSection. The photo is an /uploads/ or https://
// address; the biography is Markdown without raw HTML, rendered here.
Result<void> SaveAuthor(Store& store, Author author, bool adding);

// Staff accounts and their own author profiles (one each; the caller checks kManageUsers).
// LinkProfile links account `user_id` to the profile at `author_slug`, or unlinks it when the
// slug is empty: kInvalidArgument for no such profile, kConflict when another account has it.
// CreateProfileFor makes a profile from the account's name (its slug made unique with -2, -3, …)
// and links it, returning the slug; kConflict when the account has a profile already.
Result<void> LinkProfile(Store& store, std::int64_t user_id, std::string_view author_slug);
Result<std::string> CreateProfileFor(Store& store, const User& user);
// Whether an account invited with `role` gets its own profile at once (contributors and
// authors: what they write goes out under their own name, so their first draft has a byline).
bool ProfileOnInvitation(std::string_view role);

// A new staff account's author profile, as the invitation's picker and `user add` choose it.
// kAuto: the existing profile no account has whose name is exactly the account's (the first by
// name order, then age); else a new one for the roles ProfileOnInvitation names; else none.
enum class ProfileChoice { kAuto, kNew, kExisting, kNone };
struct NewAccount {
  std::string email;
  std::string name;
  std::string role;
  std::optional<std::string> password;  // none: a set-password link is needed
  ProfileChoice profile = ProfileChoice::kAuto;
  std::string author_slug;  // kExisting: the profile to link
};
struct AddedAccount {
  User user;                 // as stored, with its id and author_id
  std::string profile_slug;  // empty: no profile
  bool profile_created = false;
};
// The profile kAuto would link for an account named `name` (nullopt: none is free).
Result<std::optional<Author>> FreeProfileNamed(Store& store, std::string_view name);
// Creates the account (Invite's permission checks when `actor` is given, else AddUser's) and
// links or creates its profile in one transaction: when either fails, neither is stored.
// kInvalidArgument for no such profile, kConflict when another account has it (or the e-mail
// address), kForbidden for a role the actor may not give.
Result<AddedAccount> AddAccount(Store& store, auth::Accounts& accounts, const auth::Viewer* actor,
                                const NewAccount& account);

// A site path: one leading '/', no spaces, quotes, control bytes or scheme, at most 2000 bytes.
bool IsSitePath(std::string_view path);
// An editor's redirect: 301, 302 (to a site path or an https address) or 410 (to nothing).
Result<void> PutRedirect(Store& store, const Redirect& redirect);
Result<void> RemoveRedirect(Store& store, std::string_view from_path);

}  // namespace broadsheet::content
