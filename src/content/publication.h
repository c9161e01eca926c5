// Publication settings live in the database; broadsheet.toml's [publication] table and the
// BROADSHEET_* environment variables may override them for one deployment. PublicationOverrides
// holds those overrides; Apply lays them over what the Store returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace broadsheet::content {

struct PublicationOverrides {
  std::optional<std::string> title, description, base_url, disclaimer, timezone, language;
  void Apply(Publication& publication) const;
};

// Checks values a person typed: a known time zone, a plausible language tag, an http(s) base URL,
// and the branding below (CheckAccentColor, CheckMediaPath, ParseNavigation). kInvalidArgument
// with a sentence for the person.
Result<void> ValidatePublication(const Publication& publication);

// Branding. An accent colour is "#rrggbb" (returned lower-case); anything else is refused, since
// it ends up in a stylesheet.
Result<std::string> CheckAccentColor(std::string_view text);
// The contrast ratio (WCAG 2) of an accent colour against white: 1 to 21. Links and buttons in
// the accent colour want at least kMinimumContrast.
double ContrastAgainstWhite(std::string_view accent);
inline constexpr double kMinimumContrast = 4.5;
// A logo or favicon: an image of the site's media library ("/uploads/…", no "..", no quotes,
// spaces or control characters, at most 500 bytes), or "" for the theme's.
Result<void> CheckMediaPath(std::string_view path, std::string_view what);

// One entry of the header menu: a section (target = its slug), a page (its slug) or an external
// link (an http(s) address). The label is required for a link; for a section or page an empty
// label means the section's name or the page's title.
struct NavigationItem {
  enum class Kind { kSection, kPage, kLink };
  Kind kind = Kind::kSection;
  std::string target;
  std::string label;
};
inline constexpr size_t kMaxNavigationItems = 30;
inline constexpr size_t kMaxNavigationLabel = 100;
std::string_view NavigationKindName(NavigationItem::Kind kind);
std::optional<NavigationItem::Kind> NavigationKindOf(std::string_view name);
// Checks every item (kind, target, label, count): kInvalidArgument naming the first bad one.
Result<void> CheckNavigation(const std::vector<NavigationItem>& items);
// The stored form (Publication::navigation) and back; "" is an empty menu. Parsing checks as
// CheckNavigation does.
std::string NavigationJson(const std::vector<NavigationItem>& items);
// With `check` false, entries are read as they are (to show a person what they typed).
Result<std::vector<NavigationItem>> ParseNavigation(std::string_view json, bool check = true);

// The header menu as readers see it: each entry's label and address (a site path, or the link's
// own address). The publication's menu, its sections and pages looked up (an entry whose section
// or page no longer exists, or is not published, is left out; an empty label takes the section's
// name or the page's title); without one, the sections in their order, as before menus existed.
struct MenuLink {
  std::string label;
  std::string url;
  std::string section_slug;  // for a section's entry, to mark the current one
  bool external = false;
};
struct Menu {
  std::vector<MenuLink> links;
  bool chosen = false;  // the publication's own menu, not the default
};
// `sections` as ListSections returns them (the caller often has them already).
Result<Menu> ResolveNavigation(Store& store, const Publication& publication,
                               const std::vector<Section>& sections, Timestamp now);

// The menu a newsletter shows, as (label, address) pairs: the publication's chosen menu, or none
// (mail had no links before menus existed).
Result<std::vector<std::pair<std::string, std::string>>> NewsletterLinks(
    Store& store, const Publication& publication, Timestamp now);

// The public address a person may save with the desk's one-click fix: "http(s)://host[:port]"
// with nothing after it (no user, path, query or fragment); returned lower-case.
Result<std::string> CheckOrigin(std::string_view url);

// Why the desk's one-click fix may not put `reached` (an origin, as CheckOrigin returns it) in
// place of `configured`; empty when it may. Two cases mean a proxy in front of the server rather
// than a moved site, and saving them would break every link: plain http where the configured
// address is https on the same host (a TLS proxy whose X-Forwarded-Proto is not trusted:
// trusted_proxies), and a loopback address where the configured one is not (a proxy that does
// not pass the Host header on).
std::string AddressFixRefusal(std::string_view configured, std::string_view reached);

// robots.txt until the desk's Settings say otherwise (the site adds the Sitemap line itself).
inline constexpr const char* kDefaultRobots = "User-agent: *\nDisallow: /admin/\n";

// The disclaimer a post shows, or "" for none: the post's own text, else (for opinion pieces)
// the section's, else the publication's; hidden when the post switches it off.
std::string DisclaimerFor(const PostDetail& detail, const Publication& publication);

}  // namespace broadsheet::content
