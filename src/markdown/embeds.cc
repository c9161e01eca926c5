#include "markdown/embeds.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "core/embedded.h"
#include "core/text.h"

namespace broadsheet::embedded {
// src/markdown/providers/, compiled into this library (src/markdown/CMakeLists.txt).
const std::vector<File>& EmbedProviderData();
}  // namespace broadsheet::embedded

namespace broadsheet::markdown {
namespace {

// providers.json: each provider's name for readers, the host its player or chart is framed
// from, and its hosts by role ("page", "short", "player", "chart"); the editor bundles the
// same file (editor/src/embed.js).
struct ProviderData {
  std::string name;
  std::string frame_host;
  std::map<std::string, std::vector<std::string>, std::less<>> hosts;
};

struct ProvidersFile {
  std::map<std::string, ProviderData, std::less<>> providers;
  std::vector<std::string> known_domains;
};

const ProvidersFile& Data() {
  static const ProvidersFile data = [] {
    ProvidersFile file;
    for (const auto& embedded : embedded::EmbedProviderData()) {
      if (embedded.path != "providers.json") continue;
      // Compiled in and tested: a file that does not parse is a build defect, not input.
      const auto json = nlohmann::json::parse(embedded.data);
      for (const auto& entry : json.at("providers")) {
        ProviderData provider;
        provider.name = entry.at("name").get<std::string>();
        provider.frame_host = entry.at("frame_host").get<std::string>();
        for (const auto& [role, hosts] : entry.at("hosts").items())
          provider.hosts[role] = hosts.get<std::vector<std::string>>();
        file.providers[entry.at("provider").get<std::string>()] = std::move(provider);
      }
      file.known_domains = json.at("known_domains").get<std::vector<std::string>>();
    }
    return file;
  }();
  return data;
}

const ProviderData& Of(std::string_view provider) {
  const auto found = Data().providers.find(provider);
  if (found == Data().providers.end()) std::abort();  // providers.json lacks a provider
  return found->second;
}

// Whether `host` is one of `provider`'s hosts for `role`.
bool HostIs(const std::string& host, std::string_view provider, std::string_view role) {
  const auto& hosts = Of(provider).hosts;
  const auto found = hosts.find(role);
  return found != hosts.end() &&
         std::find(found->second.begin(), found->second.end(), host) != found->second.end();
}

// What Recognise reads of an address.
struct Address {
  std::string host;                    // lower case
  std::vector<std::string_view> path;  // segments, without empty ones
  std::string_view query;              // after '?', before '#'
};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// Printable ASCII without the characters that end or change an attribute or a tag, or that
// parsers read differently ('\\'): what a provider's address is made of.
bool IsPlainAddressCharacter(char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '\\' &&
         c != '`';
}

std::optional<Address> Split(std::string_view url) {
  std::string_view rest;
  if (url.size() > 2048 || !std::all_of(url.begin(), url.end(), IsPlainAddressCharacter))
    return std::nullopt;
  if (StartsWithNoCase(url, "https://"))
    rest = url.substr(8);
  else if (StartsWithNoCase(url, "http://"))
    rest = url.substr(7);
  else
    return std::nullopt;
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  // User information, ports and escapes are where parsers disagree about the host.
  if (authority.empty() || authority.find_first_of("@:%") != std::string_view::npos)
    return std::nullopt;
  Address address;
  address.host.reserve(authority.size());
  for (char c : authority) address.host += Lower(c);
  if (address.host.back() == '.') address.host.pop_back();  // "youtube.com." is youtube.com
  if (authority_end == std::string_view::npos) return address;
  std::string_view tail = rest.substr(authority_end);
  if (const size_t hash = tail.find('#'); hash != std::string_view::npos)
    tail = tail.substr(0, hash);
  if (const size_t question = tail.find('?'); question != std::string_view::npos) {
    address.query = tail.substr(question + 1);
    tail = tail.substr(0, question);
  }
  size_t i = 0;
  while (i < tail.size()) {
    const size_t slash = tail.find('/', i);
    const size_t end = slash == std::string_view::npos ? tail.size() : slash;
    if (end > i) address.path.push_back(tail.substr(i, end - i));
    i = end + 1;
  }
  return address;
}

std::string_view QueryValue(std::string_view query, std::string_view key) {
  size_t i = 0;
  while (i <= query.size()) {
    const size_t amp = query.find('&', i);
    const size_t end = amp == std::string_view::npos ? query.size() : amp;
    const std::string_view pair = query.substr(i, end - i);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=')
      return pair.substr(key.size() + 1);
    if (amp == std::string_view::npos) break;
    i = amp + 1;
  }
  return {};
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// `text` is `min`..`max` characters, each alphanumeric or in `extra`.
bool Matches(std::string_view text, size_t min, size_t max, std::string_view extra = {}) {
  return text.size() >= min && text.size() <= max &&
         std::all_of(text.begin(), text.end(),
                     [&](char c) { return IsAlnum(c) || extra.find(c) != std::string_view::npos; });
}

bool IsNumber(std::string_view text, size_t max) {
  return !text.empty() && text.size() <= max && std::all_of(text.begin(), text.end(), IsDigit);
}

bool IsHex(std::string_view text, size_t min, size_t max) {
  return text.size() >= min && text.size() <= max &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

// A DNS name: dot-separated labels of letters, digits and inner hyphens, at least two labels.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.find('.') == std::string_view::npos) return false;
  size_t i = 0;
  while (i <= host.size()) {
    const size_t dot = host.find('.', i);
    const size_t end = dot == std::string_view::npos ? host.size() : dot;
    const std::string_view label = host.substr(i, end - i);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !Matches(label, 1, 63, "-")) {
      return false;
    }
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return true;
}

// YouTube's start time: "90", "90s" or "1h2m3s"; 0 when absent or unreadable.
long StartSeconds(std::string_view value) {
  if (value.empty() || value.size() > 12) return 0;
  if (IsNumber(value, 7)) return std::stol(std::string(value));
  long total = 0, number = 0;
  bool digits = false;
  for (char c : value) {
    if (IsDigit(c)) {
      number = number * 10 + (c - '0');
      digits = true;
    } else if (digits && (c == 'h' || c == 'm' || c == 's')) {
      total += number * (c == 'h' ? 3600 : c == 'm' ? 60 : 1);
      number = 0;
      digits = false;
    } else {
      return 0;
    }
  }
  return digits ? 0 : total;
}

std::optional<Embed> YouTube(const Address& a) {
  std::string_view id;
  bool portrait = false;
  if (HostIs(a.host, "youtube", "short")) {
    if (a.path.size() == 1) id = a.path[0];
  } else if (HostIs(a.host, "youtube", "page")) {
    if (a.path.size() == 1 && a.path[0] == "watch") {
      id = QueryValue(a.query, "v");
    } else if (a.path.size() == 2 &&
               (a.path[0] == "shorts" || a.path[0] == "embed" || a.path[0] == "live")) {
      id = a.path[1];
      portrait = a.path[0] == "shorts";
    }
  }
  if (!Matches(id, 11, 11, "_-")) return std::nullopt;
  long start = StartSeconds(QueryValue(a.query, "t"));
  if (start == 0) start = StartSeconds(QueryValue(a.query, "start"));
  const std::string time = start > 0 ? std::to_string(start) : "";
  Embed embed;
  embed.provider = "youtube";
  embed.name = Of("youtube").name;
  embed.kind = EmbedKind::kFacade;
  embed.url = portrait ? "https://www.youtube.com/shorts/" + std::string(id)
                       : "https://www.youtube.com/watch?v=" + std::string(id);
  if (!time.empty() && !portrait) embed.url += "&t=" + time + "s";
  embed.frame_url = "https://www.youtube-nocookie.com/embed/" + std::string(id) + "?autoplay=1";
  if (!time.empty()) embed.frame_url += "&start=" + time;
  embed.label = "Watch on YouTube";
  embed.detail = portrait ? "embed-portrait" : "embed-video";
  embed.title = "YouTube video";
  return embed;
}

std::optional<Embed> Vimeo(const Address& a) {
  std::string_view id, hash;
  if (HostIs(a.host, "vimeo", "page")) {
    if (a.path.size() == 1 || a.path.size() == 2) {
      id = a.path[0];
      if (a.path.size() == 2) hash = a.path[1];
    } else if (a.path.size() == 3 && a.path[0] == "channels") {
      id = a.path[2];
    }
  } else if (HostIs(a.host, "vimeo", "player") && a.path.size() == 2 && a.path[0] == "video") {
    id = a.path[1];
    hash = QueryValue(a.query, "h");
  }
  if (!IsNumber(id, 12) || (!hash.empty() && !IsHex(hash, 6, 20))) return std::nullopt;
  Embed embed;
  embed.provider = "vimeo";
  embed.name = Of("vimeo").name;
  embed.kind = EmbedKind::kFacade;
  embed.url = "https://vimeo.com/" + std::string(id);
  embed.frame_url = "https://player.vimeo.com/video/" + std::string(id) + "?dnt=1&autoplay=1";
  if (!hash.empty()) {
    embed.url += "/" + std::string(hash);
    embed.frame_url += "&h=" + std::string(hash);
  }
  embed.label = "Watch on Vimeo";
  embed.detail = "embed-video";
  embed.title = "Vimeo video";
  return embed;
}

std::optional<Embed> SoundCloud(const Address& a) {
  if (!HostIs(a.host, "soundcloud", "page")) return std::nullopt;
  const bool set = a.path.size() == 3 && a.path[1] == "sets";
  if (!(a.path.size() == 2 || set)) return std::nullopt;
  for (std::string_view segment : a.path) {
    if (!Matches(segment, 1, 100, "_-")) return std::nullopt;
  }
  std::string path = std::string(a.path[0]) + "/" + std::string(a.path[1]);
  if (set) path += "/" + std::string(a.path[2]);
  std::string encoded = path;
  for (size_t at = 0; (at = encoded.find('/', at)) != std::string::npos;)
    encoded.replace(at, 1, "%2F");
  Embed embed;
  embed.provider = "soundcloud";
  embed.name = Of("soundcloud").name;
  embed.kind = EmbedKind::kFacade;
  embed.url = "https://soundcloud.com/" + path;
  embed.frame_url = "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2F" +
                    encoded + "&auto_play=true";
  embed.label = "Listen on SoundCloud";
  embed.detail = set ? "embed-playlist" : "embed-audio";
  embed.title = "SoundCloud player";
  return embed;
}

std::optional<Embed> Datawrapper(const Address& a) {
  std::string_view id, version;
  if (HostIs(a.host, "datawrapper", "chart") && (a.path.size() == 1 || a.path.size() == 2)) {
    id = a.path[0];
    if (a.path.size() == 2) version = a.path[1];
  } else if (HostIs(a.host, "datawrapper", "page") && a.path.size() == 2 && a.path[0] == "_") {
    id = a.path[1];
  }
  if (!Matches(id, 5, 10) || (!version.empty() && !IsNumber(version, 4))) return std::nullopt;
  Embed embed;
  embed.provider = "datawrapper";
  embed.name = Of("datawrapper").name;
  embed.kind = EmbedKind::kFrame;
  embed.url = "https://datawrapper.dwcdn.net/" + std::string(id) + "/";
  if (!version.empty()) embed.url += std::string(version) + "/";
  embed.frame_url = embed.url;
  embed.label = "Open the chart on Datawrapper";
  embed.title = "Chart from Datawrapper";
  return embed;
}

std::optional<Embed> Flourish(const Address& a) {
  std::string_view kind, id;
  if (HostIs(a.host, "flourish", "page") && a.path.size() == 2) {
    kind = a.path[0];
    id = a.path[1];
  } else if (HostIs(a.host, "flourish", "chart") && a.path.size() == 3 && a.path[2] == "embed") {
    kind = a.path[0];
    id = a.path[1];
  }
  if ((kind != "visualisation" && kind != "story") || !IsNumber(id, 12)) return std::nullopt;
  const std::string where = std::string(kind) + "/" + std::string(id);
  Embed embed;
  embed.provider = "flourish";
  embed.name = Of("flourish").name;
  embed.kind = EmbedKind::kFrame;
  embed.url = "https://public.flourish.studio/" + where + "/";
  embed.frame_url = "https://flo.uri.sh/" + where + "/embed";
  embed.label = kind == "story" ? "Open the story on Flourish" : "Open the chart on Flourish";
  embed.title = kind == "story" ? "Story from Flourish" : "Chart from Flourish";
  return embed;
}

Embed Card(std::string provider, std::string url, std::string detail) {
  Embed embed;
  embed.name = Of(provider).name;
  embed.provider = std::move(provider);
  embed.kind = EmbedKind::kCard;
  embed.url = std::move(url);
  embed.label = "View this post on " + embed.name;
  embed.detail = std::move(detail);
  return embed;
}

std::optional<Embed> X(const Address& a) {
  if (!HostIs(a.host, "x", "page") || a.path.size() != 3 ||
      (a.path[1] != "status" && a.path[1] != "statuses") || !Matches(a.path[0], 1, 15, "_") ||
      !IsNumber(a.path[2], 20)) {
    return std::nullopt;
  }
  const std::string user(a.path[0]);
  return Card("x", "https://x.com/" + user + "/status/" + std::string(a.path[2]), "@" + user);
}

std::optional<Embed> Bluesky(const Address& a) {
  if (!HostIs(a.host, "bluesky", "page") || a.path.size() != 4 || a.path[0] != "profile" ||
      a.path[2] != "post" || !Matches(a.path[3], 1, 64)) {
    return std::nullopt;
  }
  const std::string_view handle = a.path[1];
  const bool did = handle.starts_with("did:plc:") && handle.size() == 32 &&
                   std::all_of(handle.begin() + 8, handle.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
                   });
  if (!did && !IsHostName(handle)) return std::nullopt;
  std::string lower(handle);
  if (!did) std::transform(lower.begin(), lower.end(), lower.begin(), Lower);
  return Card("bluesky", "https://bsky.app/profile/" + lower + "/post/" + std::string(a.path[3]),
              did ? "" : "@" + lower);
}

bool IsKnownProviderHost(const std::string& host) {
  for (const std::string& suffix : Data().known_domains) {
    if (host == suffix || (host.size() > suffix.size() && host.ends_with(suffix) &&
                           host[host.size() - suffix.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

// Mastodon and its kin: https://HOST/@user/ID (or @user@their.host/ID) on any host.
std::optional<Embed> Mastodon(const Address& a) {
  if (!IsHostName(a.host) || IsKnownProviderHost(a.host) || a.path.size() != 2 ||
      !a.path[0].starts_with('@') || !IsNumber(a.path[1], 20)) {
    return std::nullopt;
  }
  std::string_view account = a.path[0].substr(1);
  std::string_view user = account, home = a.host;
  if (const size_t at = account.find('@'); at != std::string_view::npos) {
    user = account.substr(0, at);
    home = account.substr(at + 1);
  }
  std::string home_lower(home);
  std::transform(home_lower.begin(), home_lower.end(), home_lower.begin(), Lower);
  if (!Matches(user, 1, 30, "_") || !IsHostName(home_lower)) return std::nullopt;
  std::string handle(user);
  if (home_lower != a.host) handle += "@" + home_lower;
  return Card("mastodon", "https://" + a.host + "/@" + handle + "/" + std::string(a.path[1]),
              "@" + std::string(user) + "@" + home_lower);
}

using Recogniser = std::optional<Embed> (*)(const Address&);

struct Provider {
  std::string_view name;
  Recogniser recognise;
};

// In the default configuration's order; the frame hosts (empty for cards) are providers.json's.
constexpr std::array<Provider, 8> kProviders = {{
    {"youtube", YouTube},
    {"vimeo", Vimeo},
    {"soundcloud", SoundCloud},
    {"datawrapper", Datawrapper},
    {"flourish", Flourish},
    {"x", X},
    {"bluesky", Bluesky},
    {"mastodon", Mastodon},
}};

bool Enabled(std::string_view name, const std::vector<std::string>& enabled) {
  return std::find(enabled.begin(), enabled.end(), name) != enabled.end();
}

void Attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  AppendEscapedHtml(out, value, true);
  out += '"';
}

void Text(std::string& out, std::string_view text) { AppendEscapedHtml(out, text, false); }

// The address as readers recognise it: without the scheme and "www.".
std::string_view Shown(std::string_view url) {
  if (url.starts_with("https://")) url.remove_prefix(8);
  if (url.starts_with("www.")) url.remove_prefix(4);
  return url;
}

}  // namespace

const std::vector<std::string>& EmbedProviders() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const Provider& provider : kProviders) all.emplace_back(provider.name);
    return all;
  }();
  return names;
}

bool IsEmbedProvider(std::string_view name) {
  return std::any_of(kProviders.begin(), kProviders.end(),
                     [&](const Provider& provider) { return provider.name == name; });
}

std::vector<std::string> EmbedFrameHosts(const std::vector<std::string>& enabled,
                                         const std::vector<std::string>& also) {
  std::vector<std::string> hosts;
  for (const Provider& provider : kProviders) {
    const std::string& frame_host = Of(provider.name).frame_host;
    if (!frame_host.empty() && Enabled(provider.name, enabled)) hosts.push_back(frame_host);
  }
  for (const auto& host : also) {
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  }
  return hosts;
}

std::optional<Embed> Recognise(std::string_view url, const std::vector<std::string>& enabled) {
  if (enabled.empty()) return std::nullopt;
  auto address = Split(url);
  if (!address) return std::nullopt;
  for (const Provider& provider : kProviders) {
    if (!Enabled(provider.name, enabled)) continue;
    if (auto embed = provider.recognise(*address)) return embed;
  }
  return std::nullopt;
}

std::string Render(const Embed& embed) {
  std::string out = "<figure class=\"embed embed-" + embed.provider;
  switch (embed.kind) {
    case EmbedKind::kFacade:
      out += " embed-facade " + embed.detail + "\"";
      Attribute(out, "data-embed-url", embed.url);
      out += "><a class=\"embed-play\"";
      Attribute(out, "href", embed.url);
      Attribute(out, "data-embed-src", embed.frame_url);
      Attribute(out, "data-embed-title", embed.title);
      out +=
          "><span class=\"embed-button\" aria-hidden=\"true\"></span><span class=\"embed-label\">";
      Text(out, embed.label);
      out += "</span> <span class=\"embed-address\">";
      Text(out, Shown(embed.url));
      out += "</span></a></figure>";
      break;
    case EmbedKind::kFrame:
      out += " embed-frame\"";
      Attribute(out, "data-embed-url", embed.url);
      out += "><iframe";
      Attribute(out, "src", embed.frame_url);
      Attribute(out, "title", embed.title);
      out +=
          " sandbox=\"allow-scripts allow-same-origin allow-popups\" loading=\"lazy\""
          " referrerpolicy=\"strict-origin-when-cross-origin\"></iframe><figcaption><a";
      Attribute(out, "href", embed.url);
      out += ">";
      Text(out, embed.label);
      out += "</a></figcaption></figure>";
      break;
    case EmbedKind::kCard:
      out += " embed-card\"";
      Attribute(out, "data-embed-url", embed.url);
      out += "><a class=\"embed-post\"";
      Attribute(out, "href", embed.url);
      out += "><span class=\"embed-provider\">";
      Text(out, embed.name);
      out += "</span>";
      if (!embed.detail.empty()) {
        out += " <span class=\"embed-author\">";
        Text(out, embed.detail);
        out += "</span>";
      }
      out += " <span class=\"embed-label\">";
      Text(out, embed.label);
      out += "</span></a></figure>";
      break;
  }
  return out;
}

std::string RenderStandIn(const Embed& embed) {
  if (embed.kind == EmbedKind::kCard) return Render(embed);
  std::string out = "<figure class=\"embed embed-" + embed.provider + " embed-stand-in";
  if (embed.kind == EmbedKind::kFacade) out += " " + embed.detail;
  out += "\"";
  Attribute(out, "data-embed-url", embed.url);
  out += "><span class=\"embed-stand-in-box\"><span class=\"embed-provider\">";
  Text(out, embed.name);
  out += "</span> <span class=\"embed-title\">";
  Text(out, embed.title);
  out += "</span> <a class=\"embed-address\"";
  Attribute(out, "href", embed.url);
  out += ">";
  Text(out, Shown(embed.url));
  out += "</a> <span class=\"embed-note\">";
  if (embed.kind == EmbedKind::kFacade) {
    Text(out, "On the article: a play button here, and " + embed.name +
                  "'s player once a reader presses it.");
  } else {
    Text(out, "On the article: the chart itself, in a frame from " + embed.name + ".");
  }
  out += "</span></span></figure>";
  return out;
}

std::string WithStandIns(std::string_view html, const std::vector<std::string>& enabled) {
  static constexpr std::string_view kOpening = "<figure class=\"embed embed-";
  static constexpr std::string_view kUrl = "data-embed-url=\"";
  static constexpr std::string_view kClosing = "</figure>";
  std::string out;
  size_t at = 0;
  while (true) {
    const size_t start = html.find(kOpening, at);
    if (start == std::string_view::npos) break;
    const size_t tag_end = html.find('>', start);
    const size_t url = html.find(kUrl, start);
    const size_t end = html.find(kClosing, start);
    if (tag_end == std::string_view::npos || end == std::string_view::npos) break;
    std::optional<Embed> embed;
    if (url != std::string_view::npos && url < tag_end) {
      const size_t value = url + kUrl.size();
      const size_t quote = html.find('"', value);
      if (quote != std::string_view::npos && quote < tag_end)
        embed = Recognise(DecodeEntities(html.substr(value, quote - value)), enabled);
    }
    const size_t after = end + kClosing.size();
    out.append(html.substr(at, start - at));
    if (embed && embed->kind != EmbedKind::kCard)
      out += RenderStandIn(*embed);
    else
      out.append(html.substr(start, after - start));
    at = after;
  }
  out.append(html.substr(at));
  return out;
}

}  // namespace broadsheet::markdown
