#include "markdown/markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/text.h"
#include "markdown/embeds.h"
#include "markdown/html_filter.h"

namespace broadsheet::markdown {
namespace {

void RegisterExtensionsOnce() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

struct ParserDeleter {
  void operator()(cmark_parser* parser) const { cmark_parser_free(parser); }
};
struct NodeDeleter {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};

void RewriteUrls(cmark_node* document, const Options& options) {
  if (!options.rewrite_url) return;
  cmark_iter* iter = cmark_iter_new(document);
  cmark_event_type event;
  while ((event = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
    if (event != CMARK_EVENT_ENTER) continue;
    cmark_node* node = cmark_iter_get_node(iter);
    const auto type = cmark_node_get_type(node);
    if (type != CMARK_NODE_LINK && type != CMARK_NODE_IMAGE) continue;
    const char* url = cmark_node_get_url(node);
    if (url == nullptr) continue;
    const std::string rewritten = options.rewrite_url(url, type == CMARK_NODE_IMAGE);
    cmark_node_set_url(node, rewritten.c_str());
  }
  cmark_iter_free(iter);
}

void AppendPlainText(cmark_node* node, std::string& out) {
  for (cmark_node* child = cmark_node_first_child(node); child != nullptr;
       child = cmark_node_next(child)) {
    switch (cmark_node_get_type(child)) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
      case CMARK_NODE_HTML_INLINE:
        if (const char* literal = cmark_node_get_literal(child)) out += literal;
        break;
      case CMARK_NODE_SOFTBREAK:
      case CMARK_NODE_LINEBREAK:
        out += ' ';
        break;
      default:
        AppendPlainText(child, out);
    }
  }
}

// The image that is a paragraph's only content, if it is one.
cmark_node* LoneImageOf(cmark_node* paragraph) {
  cmark_node* image = nullptr;
  for (cmark_node* child = cmark_node_first_child(paragraph); child != nullptr;
       child = cmark_node_next(child)) {
    const auto type = cmark_node_get_type(child);
    if (type == CMARK_NODE_IMAGE && image == nullptr) {
      image = child;
      continue;
    }
    const char* literal = type == CMARK_NODE_TEXT ? cmark_node_get_literal(child) : nullptr;
    if (literal != nullptr &&
        std::string_view(literal).find_first_not_of(" \t") == std::string::npos)
      continue;
    return nullptr;
  }
  return image;
}

void MakeFigures(cmark_node* document, const Options& options) {
  if (!options.figure || !options.allow_html) return;
  std::vector<cmark_node*> paragraphs;
  cmark_iter* iter = cmark_iter_new(document);
  cmark_event_type event;
  while ((event = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter);
    if (event == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_PARAGRAPH)
      paragraphs.push_back(node);
  }
  cmark_iter_free(iter);
  for (cmark_node* paragraph : paragraphs) {
    cmark_node* image = LoneImageOf(paragraph);
    if (image == nullptr) continue;
    LoneImage lone;
    if (const char* url = cmark_node_get_url(image)) lone.url = url;
    if (const char* title = cmark_node_get_title(image)) lone.title = title;
    AppendPlainText(image, lone.alt);
    std::optional<std::string> html = options.figure(lone);
    if (!html) continue;
    cmark_node* block = cmark_node_new(CMARK_NODE_HTML_BLOCK);
    cmark_node_set_literal(block, (*html + "\n").c_str());
    cmark_node_replace(paragraph, block);
    cmark_node_free(paragraph);
  }
}

// The address a paragraph consists of, when it holds a single link that shows its own address
// (a bare URL, <URL>, or [URL](URL)); empty otherwise.
std::string LoneAddress(cmark_node* paragraph) {
  // The autolink extension leaves empty text nodes around the links it makes.
  auto empty_text = [](cmark_node* node) {
    if (cmark_node_get_type(node) != CMARK_NODE_TEXT) return false;
    const char* literal = cmark_node_get_literal(node);
    return literal == nullptr || literal[0] == '\0';
  };
  cmark_node* link = nullptr;
  for (cmark_node* node = cmark_node_first_child(paragraph); node != nullptr;
       node = cmark_node_next(node)) {
    if (empty_text(node)) continue;
    if (link != nullptr || cmark_node_get_type(node) != CMARK_NODE_LINK) return {};
    link = node;
  }
  if (link == nullptr) return {};
  cmark_node* text = cmark_node_first_child(link);
  if (text == nullptr || cmark_node_next(text) != nullptr ||
      cmark_node_get_type(text) != CMARK_NODE_TEXT) {
    return {};
  }
  const char* url = cmark_node_get_url(link);
  const char* literal = cmark_node_get_literal(text);
  if (url == nullptr || literal == nullptr) return {};
  const std::string_view address(url), shown(literal);
  if (address != shown && address != "http://" + std::string(shown)) return {};
  return std::string(address);
}

// Paragraphs of the document (not inside lists or quotes) that are a provider's address alone
// become that provider's embed (embeds.h), as raw HTML that the filter writes again the same.
void ReplaceEmbedLines(cmark_node* document, const std::vector<std::string>& providers) {
  if (providers.empty()) return;
  std::vector<std::pair<cmark_node*, std::string>> found;
  for (cmark_node* node = cmark_node_first_child(document); node != nullptr;
       node = cmark_node_next(node)) {
    if (cmark_node_get_type(node) != CMARK_NODE_PARAGRAPH) continue;
    const std::string address = LoneAddress(node);
    if (address.empty()) continue;
    if (auto embed = Recognise(address, providers)) found.emplace_back(node, Render(*embed));
  }
  for (auto& [paragraph, html] : found) {
    cmark_node* block = cmark_node_new(CMARK_NODE_HTML_BLOCK);
    html += '\n';
    cmark_node_set_literal(block, html.c_str());
    cmark_node_replace(paragraph, block);
    cmark_node_free(paragraph);
  }
}

}  // namespace

Result<std::string> ToHtml(std::string_view markdown, const Options& options) {
  if (markdown.size() > kMaxInputBytes) {
    return Fail(ErrorCode::kTooLarge, "the text is longer than 4 MiB");
  }
  if (!IsValidUtf8(markdown))
    return Fail(ErrorCode::kInvalidArgument, "the text is not valid UTF-8");
  RegisterExtensionsOnce();

  int flags = CMARK_OPT_SMART | CMARK_OPT_FOOTNOTES | CMARK_OPT_VALIDATE_UTF8;
  if (options.allow_html) flags |= CMARK_OPT_UNSAFE;
  std::unique_ptr<cmark_parser, ParserDeleter> parser(cmark_parser_new(flags));
  for (const char* name : {"table", "strikethrough", "autolink", "tasklist"}) {
    if (cmark_syntax_extension* extension = cmark_find_syntax_extension(name)) {
      cmark_parser_attach_syntax_extension(parser.get(), extension);
    }
  }
  if (!options.allow_html) {
    if (cmark_syntax_extension* tagfilter = cmark_find_syntax_extension("tagfilter")) {
      cmark_parser_attach_syntax_extension(parser.get(), tagfilter);
    }
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, NodeDeleter> document(cmark_parser_finish(parser.get()));
  if (!document) return Fail(ErrorCode::kInternal, "the Markdown parser failed");
  RewriteUrls(document.get(), options);
  MakeFigures(document.get(), options);
  if (options.allow_html) ReplaceEmbedLines(document.get(), options.filter.embeds);

  char* html =
      cmark_render_html(document.get(), flags, cmark_parser_get_syntax_extensions(parser.get()));
  if (html == nullptr) return Fail(ErrorCode::kInternal, "the Markdown renderer failed");
  std::string result(html);
  free(html);
  if (options.allow_html && !options.unfiltered) {
    auto filtered = FilterHtml(result, options.filter, options.removed);
    if (!filtered) return tl::unexpected(filtered.error());
    return std::move(*filtered);
  }
  return result;
}

}  // namespace broadsheet::markdown
