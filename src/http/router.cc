#include "http/router.h"

#include <algorithm>

namespace broadsheet::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 1;  // paths begin with '/'
  while (start < path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

}  // namespace

Query Query::Only(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return Query(false, std::move(names));
}

std::string Query::Select(std::string_view raw) const {
  if (all_) return std::string(raw);
  std::string selected;
  if (names_.empty() || raw.empty()) return selected;
  const auto pairs = ParseQuery(raw);
  for (const std::string& name : names_) {
    const auto first = std::find_if(pairs.begin(), pairs.end(),
                                    [&](const auto& pair) { return pair.first == name; });
    if (first == pairs.end()) continue;
    if (!selected.empty()) selected += '&';
    selected += PercentEncode(name);
    selected += '=';
    selected += PercentEncode(first->second);
  }
  return selected;
}

void Router::Add(Method method, std::string pattern, Handler handler, std::string name,
                 RouteOptions options) {
  Route route;
  route.options = options;
  route.method = method;
  route.trailing_slash = pattern.size() > 1 && pattern.back() == '/';
  for (auto segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  route.name = name.empty() ? pattern : std::move(name);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, std::string_view path,
                     std::vector<std::pair<std::string, std::string>>& params) {
  if (path.empty() || path.front() != '/') return false;
  params.clear();
  const bool has_slash = path.size() > 1 && path.back() == '/';
  const auto segments = SplitPath(path);
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    const bool capture = expected.size() > 2 && expected.front() == '{' && expected.back() == '}';
    if (capture && expected[expected.size() - 2] == '*') {
      // The rest of the path, slashes included.
      if (i >= segments.size()) return false;
      const size_t offset = segments[i].data() - path.data();
      params.emplace_back(expected.substr(1, expected.size() - 3),
                          std::string(path.substr(offset)));
      return true;
    }
    if (i >= segments.size()) return false;
    if (capture) {
      if (segments[i].empty()) return false;
      params.emplace_back(expected.substr(1, expected.size() - 2), std::string(segments[i]));
    } else if (segments[i] != expected) {
      return false;
    }
  }
  return segments.size() == route.segments.size() && has_slash == route.trailing_slash;
}

std::optional<Router::Match> Router::Find(Method method, std::string_view path,
                                          bool* path_matched) const {
  std::vector<std::pair<std::string, std::string>> params;
  if (path_matched != nullptr) *path_matched = false;
  const Method wanted = method == Method::kHead ? Method::kGet : method;
  for (const auto& route : routes_) {
    if (!Matches(route, path, params)) continue;
    if (route.method == wanted)
      return Match{&route.handler, route.name, std::move(params), route.options};
    if (path_matched != nullptr) *path_matched = true;
  }
  return std::nullopt;
}

const RouteOptions& Router::OptionsFor(Method method, std::string_view path) const {
  static const RouteOptions kDefaults;
  std::vector<std::pair<std::string, std::string>> params;
  const Method wanted = method == Method::kHead ? Method::kGet : method;
  for (const auto& route : routes_) {
    if (route.method == wanted && Matches(route, path, params)) return route.options;
  }
  return kDefaults;
}

std::string Router::AllowedMethods(std::string_view path) const {
  std::string allowed;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& route : routes_) {
    if (path != "*" && !Matches(route, path, params)) continue;
    std::string name(MethodName(route.method));
    if (route.method == Method::kGet) name += ", HEAD";
    if (allowed.find(name) != std::string::npos) continue;
    if (!allowed.empty()) allowed += ", ";
    allowed += name;
  }
  return allowed;
}

}  // namespace broadsheet::http
