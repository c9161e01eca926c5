#include "content/records.h"

#include <algorithm>

#include "core/slug.h"
#include "markdown/markdown.h"

namespace broadsheet::content {
namespace {

tl::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// The slug a record is saved under: the given one, or one made from the name.
Result<std::string> SlugFor(std::string slug, const std::string& name) {
  if (name.empty()) return Invalid("A name is required.");
  if (slug.empty()) slug = Slugify(name);
  if (!IsValidSlug(slug)) return Invalid("The address must be a-z, 0-9 and single hyphens.");
  return slug;
}

}  // namespace

Result<void> SaveSection(Store& store, Section section, bool adding) {
  auto slug = SlugFor(std::move(section.slug), section.name);
  if (!slug) return tl::unexpected(slug.error());
  section.slug = std::move(*slug);
  auto existing = store.FindSection(section.slug);
  if (!existing) return tl::unexpected(existing.error());
  if (adding && *existing) {
    return Invalid("There is already a section at /section/" + section.slug +
                   "/; choose another address.");
  }
  if (!adding && !*existing) return Invalid("There is no such section.");
  section.id = *existing ? (*existing)->id : 0;
  if (section.position < 0) section.position = *existing ? (*existing)->position : 0;
  section.position = std::min(section.position, 1000);
  if (section.disclaimer && section.disclaimer->empty()) section.disclaimer.reset();
  auto saved = store.UpsertSection(section);
  if (!saved) return tl::unexpected(saved.error());
  return {};
}

Result<void> DeleteSection(Store& store, std::string_view slug) {
  return store.DeleteSection(std::string(slug));
}

Result<void> RenameTag(Store& store, std::string_view slug, std::string_view name) {
  auto tag = store.FindTag(std::string(slug));
  if (!tag) return tl::unexpected(tag.error());
  if (!*tag) return Invalid("There is no such tag.");
  if (name.empty()) return Invalid("A tag needs a name.");
  auto saved = store.UpsertTag({0, (*tag)->slug, std::string(name)});
  if (!saved) return tl::unexpected(saved.error());
  return {};
}

Result<void> DeleteTag(Store& store, std::string_view slug) {
  return store.DeleteTag(std::string(slug));
}

Result<void> SaveAuthor(Store& store, Author author, bool adding) {
  auto slug = SlugFor(std::move(author.slug), author.name);
  if (!slug) return tl::unexpected(slug.error());
  author.slug = std::move(*slug);
  auto existing = store.FindAuthor(author.slug);
  if (!existing) return tl::unexpected(existing.error());
  if (adding && *existing) {
    return Invalid("There is already an author at /author/" + author.slug +
                   "/; choose another address.");
  }
  if (!adding && !*existing) return Invalid("There is no such author.");
  author.id = *existing ? (*existing)->id : 0;
  if (!author.avatar.empty() && !author.avatar.starts_with("/uploads/") &&
      !author.avatar.starts_with("https://")) {
    return Invalid("The photo address must start with /uploads/ or https://.");
  }
  if (author.avatar.find_first_of("\"<> \t\r\n") != std::string::npos)
    return Invalid("The photo address cannot contain spaces, quotes or angle brackets.");
  markdown::Options safe;
  safe.allow_html = false;  // a biography is text; raw HTML in it is dropped
  auto html = markdown::ToHtml(author.bio_markdown, safe);
  if (!html) return Invalid("The biography could not be read: " + html.error().message + ".");
  author.bio_html = std::move(*html);
  auto saved = store.UpsertAuthor(author);
  if (!saved) return tl::unexpected(saved.error());
  return {};
}

Result<void> LinkProfile(Store& store, std::int64_t user_id, std::string_view author_slug) {
  if (author_slug.empty()) return store.SetUserAuthor(user_id, std::nullopt);
  auto author = store.FindAuthor(std::string(author_slug));
  if (!author) return tl::unexpected(author.error());
  if (!*author) return Invalid("There is no such author profile.");
  auto linked = store.SetUserAuthor(user_id, (*author)->id);
  if (!linked && linked.error().code == ErrorCode::kConflict) {
    return Fail(ErrorCode::kConflict,
                "Another account has the profile \"" + (*author)->name + "\" already.");
  }
  return linked;
}

bool ProfileOnInvitation(std::string_view role) {
  return role == "contributor" || role == "author";
}

Result<std::string> CreateProfileFor(Store& store, const User& user) {
  if (user.author_id) return Fail(ErrorCode::kConflict, "This account has a profile already.");
  std::string base = Slugify(user.name);
  if (base.empty()) base = "author";
  std::string slug = base;
  for (int suffix = 2;; ++suffix) {
    auto existing = store.FindAuthor(slug);
    if (!existing) return tl::unexpected(existing.error());
    if (!*existing) break;
    if (suffix > 1000) return Invalid("No free address for a profile with this name.");
    slug = base + "-" + std::to_string(suffix);
  }
  Author author;
  author.slug = slug;
  author.name = user.name.empty() ? slug : user.name;
  auto done = store.InTransaction([&]() -> Result<void> {
    auto id = store.UpsertAuthor(author);
    if (!id) return tl::unexpected(id.error());
    return store.SetUserAuthor(user.id, *id);
  });
  if (!done) return tl::unexpected(done.error());
  return slug;
}

Result<std::optional<Author>> FreeProfileNamed(Store& store, std::string_view name) {
  auto authors = store.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  auto users = store.ListUsers();
  if (!users) return tl::unexpected(users.error());
  for (Author& author : *authors) {
    if (author.name != name) continue;
    const bool taken = std::any_of(users->begin(), users->end(), [&](const User& user) {
      return user.author_id && *user.author_id == author.id;
    });
    if (!taken) return std::move(author);
  }
  return std::nullopt;
}

Result<AddedAccount> AddAccount(Store& store, auth::Accounts& accounts, const auth::Viewer* actor,
                                const NewAccount& account) {
  AddedAccount added;
  // Runs inside the account's transaction, with the account as stored.
  auto give_profile = [&](const User& user) -> Result<void> {
    added.user = user;
    ProfileChoice choice = account.profile;
    std::string slug = account.author_slug;
    if (choice == ProfileChoice::kAuto) {
      auto namesake = FreeProfileNamed(store, user.name);
      if (!namesake) return tl::unexpected(namesake.error());
      if (*namesake) {
        choice = ProfileChoice::kExisting;
        slug = (*namesake)->slug;
      } else {
        choice = ProfileOnInvitation(user.role) ? ProfileChoice::kNew : ProfileChoice::kNone;
      }
    }
    if (choice == ProfileChoice::kNone) return {};
    if (choice == ProfileChoice::kNew) {
      auto created = CreateProfileFor(store, user);
      if (!created) return tl::unexpected(created.error());
      added.profile_slug = std::move(*created);
      added.profile_created = true;
    } else {
      if (slug.empty()) return Invalid("Choose an author profile to link.");
      if (auto linked = LinkProfile(store, user.id, slug); !linked)
        return tl::unexpected(linked.error());
      added.profile_slug = slug;
    }
    auto stored = store.FindUser(user.id);
    if (!stored) return tl::unexpected(stored.error());
    if (*stored) added.user = std::move(**stored);
    return {};
  };
  auto id = actor ? accounts.Invite(*actor, account.email, account.name, account.role, give_profile)
                  : accounts.AddUser(account.email, account.name, account.role, account.password,
                                     give_profile);
  if (!id) return tl::unexpected(id.error());
  return added;
}

bool IsSitePath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.starts_with("//") || path.size() > 2000)
    return false;
  for (unsigned char c : path) {
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  }
  return true;
}

Result<void> PutRedirect(Store& store, const Redirect& redirect) {
  if (redirect.status != 301 && redirect.status != 302 && redirect.status != 410)
    return Invalid("A redirect is permanent (301), temporary (302) or gone (410).");
  if (!IsSitePath(redirect.from_path))
    return Invalid("The old address must be a path on this site, such as /2019/05/old-slug/.");
  Redirect stored = redirect;
  if (redirect.status == 410) {
    stored.to_path.clear();
  } else {
    if (!IsSitePath(redirect.to_path) && !redirect.to_path.starts_with("https://"))
      return Invalid("The new address must be a path on this site or an https address.");
    if (redirect.to_path.size() > 2000 ||
        redirect.to_path.find_first_of("\"<> \t\r\n") != std::string::npos)
      return Invalid("The new address cannot contain spaces, quotes or angle brackets.");
    if (redirect.from_path == redirect.to_path) return Invalid("A redirect to itself would loop.");
  }
  return store.PutRedirect(stored);
}

Result<void> RemoveRedirect(Store& store, std::string_view from_path) {
  return store.DeleteRedirect(std::string(from_path));
}

}  // namespace broadsheet::content
