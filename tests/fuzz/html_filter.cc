// The allowlist filter for staff-written HTML (src/markdown/html_filter.h), on hostile markup:
// the HTML5 parser and the walk over its tree must stay linear and never read out of bounds,
// whatever is nested, unclosed or encoded; and so must a body rendered from Markdown with raw
// HTML, as the desk renders it, with every embed provider on (markdown/embeds.h).
#include "markdown/html_filter.h"
#include "fuzz_util.h"
#include "markdown/embeds.h"
#include "markdown/markdown.h"

using namespace broadsheet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  static const markdown::FilterOptions options{{"www.youtube-nocookie.com", "player.vimeo.com"},
                                               markdown::EmbedProviders()};
  markdown::FilterReport report;
  (void)markdown::FilterHtml(text, options, &report);
  (void)markdown::IsAllowedUrl(text.substr(0, 256));
  (void)markdown::ToHtml(text);
  markdown::Options with_embeds;
  with_embeds.filter = options;
  (void)markdown::ToHtml(text, with_embeds);
  (void)markdown::Recognise(text.substr(0, 4096), options.embeds);
  return 0;
}
