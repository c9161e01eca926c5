// Embeds: a provider's page address alone in a paragraph of a staff body becomes the provider's
// player, chart or post, written so that readers' browsers ask nothing of the provider until
// they choose to (docs/html-policy.md, "Embeds").
//
// Recognise() reads an address strictly: http or https, an exact provider host (no user
// information, port, backslash or percent sign in the authority), and identifiers that match
// each provider's pattern (an 11-character YouTube id, digits for Vimeo, Flourish, X and
// Mastodon, …). Anything else is not an embed and stays a link. The HTML written by Render()
// is built only from those checked parts, escaped, never from the address as typed:
//   - facades (YouTube, Vimeo, SoundCloud): a link to the original with a play button; the
//     theme's embeds.js replaces it on click by the provider's player in a sandboxed iframe;
//     without JavaScript it stays a link;
//   - iframes (Datawrapper, Flourish): the chart, sandboxed, lazily loaded, with a link to it;
//   - cards (X, Bluesky, Mastodon): a link to the post, loading nothing from the provider.
// Every embed is a <figure class="embed …" data-embed-url="…">, and the HTML filter
// (html_filter.h) writes such a figure again from its address alone, so stored and restored
// bodies keep their embeds and no hand-written figure can become anything else.
//
// The providers' names and hosts come from providers/providers.json, compiled into the library
// and bundled by the desk's editor (editor/src/embed.js), whose reader of addresses follows the
// same rules; tests/vectors/embeds.json holds both to the same answers.
//
// Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broadsheet::markdown {

enum class EmbedKind { kFacade, kFrame, kCard };

struct Embed {
  std::string provider;  // "youtube", …: the name in broadsheet.toml's `embeds`
  std::string name;      // "YouTube": what readers are told
  EmbedKind kind = EmbedKind::kCard;
  std::string url;        // the canonical address of the original (the link)
  std::string frame_url;  // the player or chart (facades and frames)
  std::string label;      // "Watch on YouTube", "View this post on Bluesky"
  std::string detail;     // "@user" on cards; the shape class on facades
  std::string title;      // the iframe's title
};

// Every provider Broadsheet knows, in the order the default configuration lists them.
const std::vector<std::string>& EmbedProviders();
// Whether `name` is one of EmbedProviders().
bool IsEmbedProvider(std::string_view name);
// The hosts whose pages the enabled providers' embeds frame (cards frame nothing), then those
// of `also` (the site's embed_hosts) not among them: what the Content-Security-Policy's
// frame-src must allow, on the public pages and in the desk's preview alike.
std::vector<std::string> EmbedFrameHosts(const std::vector<std::string>& enabled,
                                         const std::vector<std::string>& also = {});

// The embed for `url` when it is a page of one of the `enabled` providers.
std::optional<Embed> Recognise(std::string_view url, const std::vector<std::string>& enabled);

// The embed's HTML: one <figure>, every value escaped.
std::string Render(const Embed& embed);

// What the desk's preview beside the text shows in place of a facade or a chart, whose frame
// runs no script there (an empty sandbox) and loads nothing: a box of the embed's size naming
// the provider and what it is, with the original's address, and saying what readers will get.
// Nothing is fetched for it, so there is no thumbnail (no provider's image is ever stored).
// Cards are shown as on the page, which already says all that.
std::string RenderStandIn(const Embed& embed);

// `html` (a body as the filter wrote it) with each facade's and chart's figure written again as
// its stand-in. A figure whose address no `enabled` provider recognises is left as it is.
std::string WithStandIns(std::string_view html, const std::vector<std::string>& enabled);

}  // namespace broadsheet::markdown
