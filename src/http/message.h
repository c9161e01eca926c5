// Request and Response: what handlers see and return. They are plain values with no sockets,
// so a handler is a function Request -> Result<Response> that tests can call directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace broadsheet::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view MethodName(Method method);

struct Request {
  Method method = Method::kGet;
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded, without the query
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string client_ip;  // the peer, or what a trusted proxy says it is
  bool secure = false;    // reached over https (directly or via a trusted proxy)
  std::vector<std::pair<std::string, std::string>> params;  // route captures, e.g. {"slug", …}

  // Empty when absent. `name` must be lower case.
  std::string_view Header(std::string_view name) const;
  std::string_view Param(std::string_view name) const;
  // The first value of a query parameter, percent-decoded.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // A cookie's value from the Cookie header; empty when absent.
  std::string Cookie(std::string_view name) const;
  // The text fields of a form body, application/x-www-form-urlencoded or multipart/form-data
  // (empty for other bodies).
  std::vector<std::pair<std::string, std::string>> FormFields() const;
  struct File {
    std::string field;         // the form field's name
    std::string filename;      // as the browser sent it; only for display
    std::string content_type;  // as the browser claimed it; never trusted
    std::string data;
  };
  // The files of a multipart/form-data body.
  std::vector<File> Files() const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Public pages set this: the server keeps the response in the page cache, keyed by the
  // request's path and the query parameters its route reads (see Query), with gzip and brotli
  // variants, until content changes.
  bool cacheable = false;
  // When set (Unix seconds), the cached copy is dropped at that time: for a page that changes
  // by the clock alone, such as an article whose comments close on a date.
  std::int64_t cache_until = 0;
  // When set (Unix seconds), sent as Last-Modified; If-Modified-Since then gets 304.
  std::int64_t last_modified = 0;
  // Empty: the server picks (ServerOptions::shared_cache_control for pages it keeps, "no-store"
  // otherwise).
  std::string cache_control;
  // The surrogate keys a shared cache in front files this page under (core/surrogate_keys.h),
  // sent as Surrogate-Key only with a page the page cache keeps (Storable): a private or
  // uncached answer never names any. The first is the page's own (post:ID for an article,
  // section:SLUG for a section's list, …).
  std::vector<std::string> surrogate_keys;
  // Replaces the site's strict policy, for a response that needs another (a mail's preview with
  // inline styles, the sandbox of a file under /uploads/).
  std::string content_security_policy;

  // Whether the page cache may keep this response: a cacheable 200 whose Cache-Control does not
  // say it is private or must not be stored (a reader's own page, such as a newsletter manage
  // page under its token, is never kept, whatever its handler said).
  bool Storable() const {
    return cacheable && status == 200 && cache_control.find("no-store") == std::string::npos &&
           cache_control.find("private") == std::string::npos;
  }

  static Response Text(int status, std::string text);
  static Response Redirect(int status, std::string location);
};

struct CookieOptions {
  std::string path = "/";
  long max_age = -1;  // seconds; -1 for a session cookie, 0 to delete
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";  // Strict, Lax or None
};

// A Set-Cookie header value. `value` must be cookie-safe (base64url tokens are).
std::string SetCookieValue(std::string_view name, std::string_view value,
                           const CookieOptions& options);

// The value of `name` in a list of form fields; empty when absent.
std::string FieldValue(const std::vector<std::pair<std::string, std::string>>& fields,
                       std::string_view name);

// Decodes %XX escapes (and '+' as space when `form` is set). nullopt on a malformed escape or
// a NUL byte, escaped or not.
std::optional<std::string> PercentDecode(std::string_view text, bool form = false);

// The parts of a multipart/form-data body (RFC 7578). nullopt when the body is malformed or has
// more than 100 parts.
struct MultipartPart {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;
  std::string data;
};
std::optional<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                         std::string_view content_type);

// `text` for a URL's path or query: every byte but letters, digits and -_.~/ as %XX.
std::string PercentEncode(std::string_view text);

// Splits "a=1&b=2" into decoded pairs; malformed pairs are skipped.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace broadsheet::http
