// Theme: the templates and assets a site is rendered with. The default theme is compiled into
// the binary (themes/default); a site's own theme/ folder may replace any file of it, keeping
// the same relative path (templates/article.mustache, assets/style.css, …).
//
// Templates are Mustache (kainjow): {{name}} is HTML-escaped, {{{name}}} is raw and is used only
// for HTML that Broadsheet produced itself (rendered Markdown, JSON-LD). Partials live in
// templates/partials/ and are available to every template as {{> name}}; a partial's name
// shares the view's top-level namespace, so views must not use partial names as keys.
//
// Section helpers: a caller may pass named functions; in a template, {{#name}}text{{/name}}
// renders `text` with the current view, hands the result to the function, and puts the
// function's answer, HTML-escaped, in its place (the desk's per-form CSRF tokens:
// {{#form_token}}/admin/users/{{id}}{{/form_token}}).
//
// A page is rendered in two steps: the named template with the view, then templates/layout
// with the same view plus {{{content}}}.
//
// Immutable after Load; safe to share between threads.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace broadsheet::render {

struct Asset {
  std::string data;
  std::string version;  // a short content hash, for cache-busting URLs
};

// Name -> function from a section's rendered text to what replaces it.
using SectionHelpers =
    std::map<std::string, std::function<std::string(const std::string&)>, std::less<>>;

class Theme {
 public:
  // The embedded default theme, overlaid with the files under `override_dir` when it exists.
  // Fails, naming the file, if a template does not parse.
  static Result<std::unique_ptr<Theme>> Load(const std::filesystem::path& override_dir);

  // Renders templates/NAME.mustache with `view`, inside templates/layout.mustache unless
  // `with_layout` is false.
  Result<std::string> Render(std::string_view name, const nlohmann::json& view,
                             bool with_layout = true) const;
  // Renders templates/NAME.mustache inside templates/LAYOUT.mustache (e.g. "admin/layout"); an
  // empty LAYOUT renders the template alone. `helpers` are available to both.
  Result<std::string> RenderIn(std::string_view layout, std::string_view name,
                               const nlohmann::json& view,
                               const SectionHelpers& helpers = {}) const;

  // An asset by its path under assets/, e.g. "style.css".
  const Asset* FindAsset(std::string_view path) const;
  // "/assets/style.css?v=1a2b3c4d".
  std::string AssetUrl(std::string_view path) const;

 private:
  std::map<std::string, std::string, std::less<>> templates_;  // name -> source
  std::map<std::string, std::string, std::less<>> partials_;   // name -> source
  std::map<std::string, Asset, std::less<>> assets_;
};

}  // namespace broadsheet::render
