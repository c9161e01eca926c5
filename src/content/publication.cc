#include "content/publication.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/slug.h"

namespace broadsheet::content {
namespace {

Error Invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message), ""};
}

// No byte a browser would read as the end of an attribute or a URL: quotes, angle brackets,
// backslashes, spaces and control characters.
bool PlainUrlText(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' ||
           c == '\\' || c == '`';
  });
}

// The host part of an http(s) address (after the scheme, up to the first / ? #), or nullopt
// when `url` is not http(s) with a host.
std::optional<std::string_view> HttpHost(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return std::nullopt;
  }
  const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.find('@') != std::string_view::npos) return std::nullopt;
  return host;
}

}  // namespace

void PublicationOverrides::Apply(Publication& publication) const {
  if (title) publication.title = *title;
  if (description) publication.description = *description;
  if (base_url) publication.base_url = *base_url;
  if (disclaimer) publication.disclaimer = *disclaimer;
  if (timezone) publication.timezone = *timezone;
  if (language) publication.language = *language;
  while (!publication.base_url.empty() && publication.base_url.back() == '/')
    publication.base_url.pop_back();
}

Result<void> ValidatePublication(const Publication& publication) {
  if (auto zone = TimeZone::Find(publication.timezone); !zone) return tl::unexpected(zone.error());
  const auto& language = publication.language;
  const bool language_ok =
      !language.empty() && language.size() <= 35 &&
      language.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == std::string::npos;
  if (!language_ok) {
    return Fail(ErrorCode::kInvalidArgument,
                "language \"" + language + "\" is not a language tag such as en or en-GB");
  }
  const auto& url = publication.base_url;
  if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
    return Fail(ErrorCode::kInvalidArgument,
                "base_url \"" + url + "\" must start with http:// or https://");
  }
  if (publication.title.empty())
    return Fail(ErrorCode::kInvalidArgument, "the title must not be empty");
  if (!publication.accent_color.empty()) {
    if (auto accent = CheckAccentColor(publication.accent_color); !accent)
      return tl::unexpected(accent.error());
  }
  if (auto logo = CheckMediaPath(publication.logo, "the logo"); !logo) return logo;
  if (auto icon = CheckMediaPath(publication.favicon, "the favicon"); !icon) return icon;
  if (auto menu = ParseNavigation(publication.navigation); !menu)
    return tl::unexpected(menu.error());
  return {};
}

Result<std::string> CheckAccentColor(std::string_view text) {
  const bool ok =
      text.size() == 7 && text[0] == '#' && std::all_of(text.begin() + 1, text.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      });
  if (!ok) {
    return tl::unexpected(
        Invalid("the accent colour must be written #rrggbb, six hexadecimal digits"));
  }
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

double ContrastAgainstWhite(std::string_view accent) {
  auto checked = CheckAccentColor(accent);
  if (!checked) return 1.0;
  auto channel = [&](size_t at) {
    const double value = std::stoi(checked->substr(at, 2), nullptr, 16) / 255.0;
    return value <= 0.04045 ? value / 12.92 : std::pow((value + 0.055) / 1.055, 2.4);
  };
  const double luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05);
}

Result<void> CheckMediaPath(std::string_view path, std::string_view what) {
  if (path.empty()) return {};
  if (path.size() > 500 || !path.starts_with("/uploads/") ||
      path.find("..") != std::string_view::npos || !PlainUrlText(path) ||
      path.find_first_of("?#") != std::string_view::npos) {
    return tl::unexpected(Invalid(std::string(what) +
                                  " must be an image of the media library (an address starting "
                                  "with /uploads/)"));
  }
  return {};
}

std::string_view NavigationKindName(NavigationItem::Kind kind) {
  switch (kind) {
    case NavigationItem::Kind::kSection:
      return "section";
    case NavigationItem::Kind::kPage:
      return "page";
    case NavigationItem::Kind::kLink:
      return "link";
  }
  return "link";
}

std::optional<NavigationItem::Kind> NavigationKindOf(std::string_view name) {
  if (name == "section") return NavigationItem::Kind::kSection;
  if (name == "page") return NavigationItem::Kind::kPage;
  if (name == "link") return NavigationItem::Kind::kLink;
  return std::nullopt;
}

Result<void> CheckNavigation(const std::vector<NavigationItem>& items) {
  if (items.size() > kMaxNavigationItems) {
    return tl::unexpected(
        Invalid("the menu may hold at most " + std::to_string(kMaxNavigationItems) + " entries"));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const NavigationItem& item = items[i];
    const std::string which = "menu entry " + std::to_string(i + 1);
    if (item.label.size() > kMaxNavigationLabel) {
      return tl::unexpected(Invalid(which + ": the label may be at most " +
                                    std::to_string(kMaxNavigationLabel) + " characters"));
    }
    if (item.label.find_first_of("\r\n") != std::string::npos)
      return tl::unexpected(Invalid(which + ": the label must be one line"));
    if (item.kind == NavigationItem::Kind::kLink) {
      if (item.label.empty()) return tl::unexpected(Invalid(which + ": a link needs a label"));
      if (item.target.size() > 500 || !PlainUrlText(item.target) || !HttpHost(item.target)) {
        return tl::unexpected(
            Invalid(which + ": a link must be an address starting with https:// or http://"));
      }
    } else if (!IsValidSlug(item.target)) {
      return tl::unexpected(
          Invalid(which + (item.kind == NavigationItem::Kind::kSection ? ": choose a section"
                                                                       : ": choose a page")));
    }
  }
  return {};
}

std::string NavigationJson(const std::vector<NavigationItem>& items) {
  if (items.empty()) return "";
  nlohmann::json list = nlohmann::json::array();
  for (const auto& item : items) {
    list.push_back(
        {{"kind", NavigationKindName(item.kind)}, {"target", item.target}, {"label", item.label}});
  }
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<NavigationItem>> ParseNavigation(std::string_view json, bool check) {
  std::vector<NavigationItem> items;
  if (json.empty()) return items;
  const auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return tl::unexpected(Invalid("the menu is not a list"));
  for (const auto& entry : parsed) {
    if (!entry.is_object()) return tl::unexpected(Invalid("a menu entry is not an object"));
    // Fields of another type read as empty (json::value would throw on them).
    const auto text = [&](const char* name) {
      const auto found = entry.find(name);
      return found != entry.end() && found->is_string() ? found->get<std::string>() : "";
    };
    const auto kind = NavigationKindOf(text("kind"));
    if (!kind) return tl::unexpected(Invalid("a menu entry has no known kind"));
    items.push_back({*kind, text("target"), text("label")});
    if (items.size() > kMaxNavigationItems) break;
  }
  if (!check) return items;
  if (auto checked = CheckNavigation(items); !checked) return tl::unexpected(checked.error());
  return items;
}

Result<Menu> ResolveNavigation(Store& store, const Publication& publication,
                               const std::vector<Section>& sections, Timestamp now) {
  Menu menu;
  auto items = ParseNavigation(publication.navigation);
  if (!items || items->empty()) {  // a menu stored by an older or hostile writer: the default
    for (const auto& section : sections)
      menu.links.push_back({section.name, "/section/" + section.slug + "/", section.slug, false});
    return menu;
  }
  menu.chosen = true;
  for (const auto& item : *items) {
    switch (item.kind) {
      case NavigationItem::Kind::kLink:
        menu.links.push_back({item.label, item.target, "", true});
        break;
      case NavigationItem::Kind::kSection: {
        const auto found = std::find_if(sections.begin(), sections.end(),
                                        [&](const Section& s) { return s.slug == item.target; });
        if (found == sections.end()) break;
        menu.links.push_back({item.label.empty() ? found->name : item.label,
                              "/section/" + found->slug + "/", found->slug, false});
        break;
      }
      case NavigationItem::Kind::kPage: {
        auto post = store.FindPost(item.target);
        if (!post) return tl::unexpected(post.error());
        if (!*post || (*post)->status != PostStatus::kPublished ||
            (*post)->published_at.value_or(0) > now)
          break;
        menu.links.push_back({item.label.empty() ? (*post)->title : item.label,
                              "/" + (*post)->slug + "/", "", false});
        break;
      }
    }
  }
  return menu;
}

Result<std::vector<std::pair<std::string, std::string>>> NewsletterLinks(
    Store& store, const Publication& publication, Timestamp now) {
  std::vector<std::pair<std::string, std::string>> links;
  if (publication.navigation.empty()) return links;
  auto sections = store.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  auto menu = ResolveNavigation(store, publication, *sections, now);
  if (!menu) return tl::unexpected(menu.error());
  if (!menu->chosen) return links;
  for (const auto& link : menu->links) links.emplace_back(link.label, link.url);
  return links;
}

Result<std::string> CheckOrigin(std::string_view url) {
  const auto host = HttpHost(url);
  const size_t scheme = url.starts_with("https://") ? 8 : 7;
  if (!host || url.size() > 300 || !PlainUrlText(url) || scheme + host->size() != url.size()) {
    return tl::unexpected(Invalid("the public address must be http(s)://host[:port]"));
  }
  // Letters, digits, dots, hyphens, a port, or an IPv6 literal in brackets.
  const bool plain = std::all_of(host->begin(), host->end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
  if (!plain) return tl::unexpected(Invalid("the public address must be http(s)://host[:port]"));
  std::string lower(url);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

namespace {

// The host of an origin, without its port.
std::string_view HostOfOrigin(std::string_view origin) {
  origin.remove_prefix(origin.starts_with("https://") ? 8 : origin.starts_with("http://") ? 7 : 0);
  if (origin.starts_with('[')) return origin.substr(0, origin.find(']') + 1);
  return origin.substr(0, origin.find(':'));
}

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

}  // namespace

std::string AddressFixRefusal(std::string_view configured_text, std::string_view reached_text) {
  auto lower = [](std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string configured = lower(configured_text), reached = lower(reached_text);
  const std::string_view configured_host = HostOfOrigin(configured);
  const std::string_view reached_host = HostOfOrigin(reached);
  if (configured.starts_with("https://") && reached.starts_with("http://") &&
      configured_host == reached_host) {
    return "This page came over plain http, though the public address is https: a proxy in "
           "front of this server probably ends TLS without being trusted to say so. List it in "
           "trusted_proxies in broadsheet.toml rather than changing the address.";
  }
  if (IsLoopback(reached_host) && !IsLoopback(configured_host)) {
    return "This page was reached at a loopback address, though the public address is not: a "
           "proxy in front of this server probably does not pass the Host header on. Configure "
           "it to, rather than changing the address.";
  }
  return {};
}

std::string DisclaimerFor(const PostDetail& detail, const Publication& publication) {
  const Post& post = detail.post;
  if (post.disclaimer_hidden) return {};
  if (post.disclaimer && !post.disclaimer->empty()) return *post.disclaimer;
  if (!post.opinion) return {};
  if (detail.section && detail.section->disclaimer && !detail.section->disclaimer->empty()) {
    return *detail.section->disclaimer;
  }
  return publication.disclaimer;
}

}  // namespace broadsheet::content
