// Router: the explicit route table. Patterns are paths whose segments are literals or
// captures: "{name}" matches one non-empty segment, "{name*}" (last only) the rest of the path.
// The trailing slash is significant. Routes are tried in the order added; the first match wins.
// Built once at start-up, then read-only and safe to share between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace broadsheet::http {

using Handler = std::function<Result<Response>(const Request&)>;

// Which query parameters a route reads. The handler sees those and no others, and the page cache
// keys the route's pages on them alone, so "?x=RANDOM" on a page can neither add a cache entry
// nor cause a render:
//   Query::None()                       the route reads no query (feeds, sitemaps, lists): its
//                                       handler sees none and its pages are cached by path;
//   Query::Only({"replyto", "comment"}) it reads exactly these (an article's reply form);
//   Query::All()                        it reads whatever comes (the default, for routes whose
//                                       answers are never cached: the desk, forms). The server
//                                       caches such a route's answer only to a request without
//                                       a query.
// A small immutable value, safe to read from any thread.
class Query {
 public:
  static Query All() { return Query(true, {}); }
  static Query None() { return Query(false, {}); }
  // The order of `names` does not matter and a repeated name counts once.
  static Query Only(std::vector<std::string> names);

  bool reads_all() const { return all_; }
  const std::vector<std::string>& names() const { return names_; }  // sorted, no repeats

  // The query string (without "?") a route that reads this sees of `raw`: all of it, as sent,
  // for All(); otherwise the declared parameters that are present, each once with its first
  // value (the one Request::QueryParam reads), in order of name, as "name=value" joined by "&"
  // and percent-encoded one way (PercentEncode), so that every spelling of the same parameters
  // gives the same string. Pairs ParseQuery cannot decode are left out. Empty when none of the
  // declared parameters is present.
  std::string Select(std::string_view raw) const;

  friend bool operator==(const Query&, const Query&) = default;

 private:
  Query(bool all, std::vector<std::string> names) : all_(all), names_(std::move(names)) {}
  bool all_ = true;
  std::vector<std::string> names_;
};

// How large a body a route reads: the form limit (max_body_bytes), or, for the few routes that
// take uploads (the desk's media library, the editor, imports), the upload limit.
enum class Body { kForm, kUpload };

struct RouteOptions {
  Query query = Query::All();
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
  const RouteOptions& OptionsFor(Method method, std::string_view path) const;
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
