// Router: the explicit route table. Patterns are paths whose segments are literals or
// captures: "{name}" matches one non-empty segment, "{name*}" (last only) the rest of the path.
// The trailing slash is significant. Routes are tried in the order added; the first match wins.
// Built once at start-up, then read-only and safe to share between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"

namespace broadsheet::http {

using Handler = std::function<Result<Response>(const Request&)>;

// Whether a route's answer depends on the request's query string. A route that ignores it
// (feeds, sitemaps, robots.txt, lists, the newsletter page) is cached under its path alone and
// its handler sees no query, so "?x=RANDOM" can neither add a page-cache entry nor cause a render.
enum class Query { kUsed, kIgnored };
// How large a body a route reads: the form limit (max_body_bytes), or, for the few routes that
// take uploads (the desk's media library, the editor, imports), the upload limit.
enum class Body { kForm, kUpload };

struct RouteOptions {
  Query query = Query::kUsed;
  Body body = Body::kForm;
};

class Router {
 public:
  // `name` labels the route in metrics; it defaults to the pattern.
  void Add(Method method, std::string pattern, Handler handler, std::string name = {},
           RouteOptions options = {});
  // Answers requests that match no route (usually a themed 404).
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }

  struct Match {
    const Handler* handler = nullptr;
    std::string_view name;
    std::vector<std::pair<std::string, std::string>> params;
    RouteOptions options;
  };
  // nullopt when no route matches the path for this method. `path_matched` tells whether
  // some route matches the path with another method (so the answer is 405, not 404).
  std::optional<Match> Find(Method method, std::string_view path,
                            bool* path_matched = nullptr) const;
  // The options of the route Find would choose; the defaults when none matches.
  RouteOptions OptionsFor(Method method, std::string_view path) const;
  // The methods that some route accepts for `path`, e.g. "GET, HEAD"; for "*", those some route
  // accepts for any path (an OPTIONS * request).
  std::string AllowedMethods(std::string_view path) const;
  const Handler& fallback() const { return fallback_; }

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;
    bool trailing_slash;
    std::string name;
    Handler handler;
    RouteOptions options;
  };
  static bool Matches(const Route& route, std::string_view path,
                      std::vector<std::pair<std::string, std::string>>& params);
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace broadsheet::http
