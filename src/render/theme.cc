#include "render/theme.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include "core/embedded.h"
#include "core/text.h"

namespace broadsheet::render {
namespace {

namespace mustache = kainjow::mustache;

constexpr std::string_view kTemplatesPrefix = "templates/";
constexpr std::string_view kPartialsPrefix = "templates/partials/";
constexpr std::string_view kAssetsPrefix = "assets/";
constexpr std::string_view kTemplateSuffix = ".mustache";

// Mustache data from JSON. Booleans map to Mustache booleans, null and "" to false, numbers to
// text.
mustache::data ToData(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      mustache::data object{mustache::data::type::object};
      for (const auto& [key, item] : value.items()) object.set(key, ToData(item));
      return object;
    }
    case nlohmann::json::value_t::array: {
      mustache::data list{mustache::data::type::list};
      for (const auto& item : value) list.push_back(ToData(item));
      return list;
    }
    case nlohmann::json::value_t::string: {
      // An empty string is false, so {{#dek}}…{{/dek}} skips a missing dek.
      const auto& text = value.get_ref<const std::string&>();
      return text.empty() ? mustache::data(false) : mustache::data(text);
    }
    case nlohmann::json::value_t::boolean:
      return mustache::data(value.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return mustache::data(std::to_string(value.get<long long>()));
    case nlohmann::json::value_t::number_float:
      return mustache::data(fmt::format("{}", value.get<double>()));
    default:
      return mustache::data(false);
  }
}

std::string ShortHash(std::string_view data) {
  // FNV-1a: stable across builds and platforms, which std::hash is not required to be.
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:08x}", static_cast<std::uint32_t>(hash ^ (hash >> 32)));
}

}  // namespace

Result<std::unique_ptr<Theme>> Theme::Load(const std::filesystem::path& override_dir) {
  std::map<std::string, std::string, std::less<>> files;
  for (const auto* embedded : {&embedded::DefaultTheme(), &embedded::EditorBundle()}) {
    for (const auto& file : *embedded) files[std::string(file.path)] = std::string(file.data);
  }
  std::error_code error;
  if (!override_dir.empty() && std::filesystem::is_directory(override_dir, error)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(override_dir, error)) {
      if (!entry.is_regular_file()) continue;
      const std::string relative =
          std::filesystem::relative(entry.path(), override_dir).generic_string();
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      files[relative] = content.str();
    }
  }
  auto theme = std::unique_ptr<Theme>(new Theme());
  for (auto& [path, content] : files) {
    std::string_view name = path;
    if (name.starts_with(kAssetsPrefix)) {
      name.remove_prefix(kAssetsPrefix.size());
      Asset asset{content, ShortHash(content)};
      theme->assets_.emplace(std::string(name), std::move(asset));
      continue;
    }
    if (!name.starts_with(kTemplatesPrefix) || !name.ends_with(kTemplateSuffix)) continue;
    mustache::mustache parsed(content);
    if (!parsed.is_valid()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "theme template " + path + " does not parse: " + parsed.error_message());
    }
    const bool partial = name.starts_with(kPartialsPrefix);
    name.remove_prefix(partial ? kPartialsPrefix.size() : kTemplatesPrefix.size());
    name.remove_suffix(kTemplateSuffix.size());
    (partial ? theme->partials_ : theme->templates_).emplace(std::string(name), content);
  }
  if (theme->templates_.find("layout") == theme->templates_.end()) {
    return Fail(ErrorCode::kInvalidArgument, "the theme has no templates/layout.mustache");
  }
  return theme;
}

Result<std::string> Theme::Render(std::string_view name, const nlohmann::json& view,
                                  bool with_layout) const {
  return RenderIn(with_layout ? "layout" : "", name, view);
}

Result<std::string> Theme::RenderIn(std::string_view layout_name, std::string_view name,
                                    const nlohmann::json& view,
                                    const SectionHelpers& helpers) const {
  auto found = templates_.find(name);
  if (found == templates_.end()) {
    return Fail(ErrorCode::kInternal, "the theme has no template " + std::string(name));
  }
  mustache::data data = ToData(view);
  for (const auto& [partial_name, source] : partials_) {
    const std::string* text = &source;
    data.set(partial_name, mustache::partial([text] { return *text; }));
  }
  for (const auto& [helper_name, helper] : helpers) {
    const auto* function = &helper;
    data.set(helper_name, mustache::lambda2([function](const std::string& text,
                                                       const mustache::renderer& render) {
               return EscapeHtml((*function)(render(text)));
             }));
  }
  mustache::mustache page(found->second);
  std::string content = page.render(data);
  if (!page.error_message().empty()) {
    return Fail(ErrorCode::kInternal, "template " + std::string(name) + " failed",
                page.error_message());
  }
  if (layout_name.empty()) return content;
  auto layout_source = templates_.find(layout_name);
  if (layout_source == templates_.end()) {
    return Fail(ErrorCode::kInternal, "the theme has no template " + std::string(layout_name));
  }
  data.set("content", content);
  mustache::mustache layout(layout_source->second);
  std::string html = layout.render(data);
  if (!layout.error_message().empty()) {
    return Fail(ErrorCode::kInternal, "the layout template failed", layout.error_message());
  }
  return html;
}

const Asset* Theme::FindAsset(std::string_view path) const {
  auto found = assets_.find(path);
  return found == assets_.end() ? nullptr : &found->second;
}

std::string Theme::AssetUrl(std::string_view path) const {
  const Asset* asset = FindAsset(path);
  return fmt::format("/assets/{}{}{}", path, asset ? "?v=" : "", asset ? asset->version : "");
}

}  // namespace broadsheet::render
