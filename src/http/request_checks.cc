#include "http/request_checks.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace broadsheet::http {

namespace bhttp = boost::beast::http;

// The page cache's key for a request target: escapes of unreserved characters decoded and the
// others' hex digits in upper case (RFC 3986 section 6.2.2), so that "/%61bout/" is the same page
// as "/about/" and re-encoding an address cannot make every request a miss.
std::string CacheKey(std::string_view target) {
  if (target.find('%') == std::string_view::npos) return std::string(target);
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string key;
  key.reserve(target.size());
  for (size_t i = 0; i < target.size(); ++i) {
    const int high = i + 2 < target.size() && target[i] == '%' ? hex(target[i + 1]) : -1;
    const int low = high >= 0 ? hex(target[i + 2]) : -1;
    if (low < 0) {
      key += target[i];
      continue;
    }
    const char decoded = static_cast<char>(high * 16 + low);
    if (std::isalnum(static_cast<unsigned char>(decoded)) || decoded == '-' || decoded == '.' ||
        decoded == '_' || decoded == '~') {
      key += decoded;
    } else {
      key += '%';
      key += "0123456789ABCDEF"[high];
      key += "0123456789ABCDEF"[low];
    }
    i += 2;
  }
  return key;
}

// True if the header block holds an obsolete folded line (a line that starts with a space or a
// tab, RFC 9112 section 5.2), which Beast would join to the line before it.
bool HasFoldedLine(std::string_view header_block) {
  for (size_t at = header_block.find("\r\n"); at != std::string_view::npos;
       at = header_block.find("\r\n", at + 2)) {
    if (at + 2 < header_block.size() &&
        (header_block[at + 2] == ' ' || header_block[at + 2] == '\t'))
      return true;
  }
  return false;
}

namespace {

bool IsHostValue(std::string_view host) {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':' ||
           c == '[' || c == ']' || c == '_' || c == '%' || c == '~' || c == '!' || c == '$' ||
           c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' ||
           c == ';' || c == '=';
  });
}

}  // namespace

// What RFC 9112 says a server must refuse in a parsed request header, beyond what Beast refuses.
std::optional<FramingProblem> CheckFraming(const bhttp::request_header<>& header) {
  int hosts = 0;
  std::string_view host;
  std::vector<std::string> codings;
  bool content_length = false;
  for (const auto& field : header) {
    if (field.name() == bhttp::field::host) {
      ++hosts;
      host = field.value();
    } else if (field.name() == bhttp::field::content_length) {
      content_length = true;
    } else if (field.name() == bhttp::field::transfer_encoding) {
      auto listed = SplitTrimmed(LowerAscii(field.value()), ',');
      if (listed.empty()) listed.emplace_back();  // an empty Transfer-Encoding names no coding
      codings.insert(codings.end(), listed.begin(), listed.end());
    }
  }
  if (hosts > 1) return FramingProblem{400, "The request has more than one Host header."};
  if (hosts == 0 && header.version() >= 11)
    return FramingProblem{400, "The request has no Host header."};
  if (hosts == 1 && !IsHostValue(host))
    return FramingProblem{400, "The request's Host header is not a host name."};
  if (codings.empty()) return std::nullopt;
  if (header.version() < 11)
    return FramingProblem{400, "HTTP/1.0 requests cannot use Transfer-Encoding."};
  if (content_length)
    return FramingProblem{400, "The request has both Transfer-Encoding and Content-Length."};
  // Chunked must come last and once; it is the only coding this server decodes.
  if (codings.back() != "chunked" || std::count(codings.begin(), codings.end(), "chunked") > 1)
    return FramingProblem{400, "The request's Transfer-Encoding does not end in chunked."};
  if (codings.size() > 1)
    return FramingProblem{501, "Only the chunked transfer coding is accepted."};
  return std::nullopt;
}

std::optional<Target> ParseTarget(std::string_view target) {
  std::string_view origin = target;
  if (target.empty() || target.front() != '/') {
    // Absolute form: "http" or "https", "://", a host (no user info), then the path and query.
    const auto colon = target.find("://");
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string scheme = LowerAscii(target.substr(0, colon));
    if (scheme != "http" && scheme != "https") return std::nullopt;
    const std::string_view rest = target.substr(colon + 3);
    const auto path_start = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, path_start);
    if (!IsHostValue(authority) || authority.find('@') != std::string_view::npos)
      return std::nullopt;
    origin = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  }
  if (origin.find('#') != std::string_view::npos) return std::nullopt;
  Target parsed;
  parsed.origin =
      origin.empty() || origin.front() == '?' ? "/" + std::string(origin) : std::string(origin);
  const auto question = parsed.origin.find('?');
  auto path = PercentDecode(std::string_view(parsed.origin).substr(0, question));
  if (!path) return std::nullopt;
  parsed.path = std::move(*path);
  if (question != std::string::npos) parsed.query = parsed.origin.substr(question + 1);
  return parsed;
}

namespace {

// The target `path_as_sent` followed by `selected` (a Query::Select), if any.
std::string WithQuery(std::string_view path_as_sent, const std::string& selected) {
  std::string target(path_as_sent);
  if (!selected.empty()) {
    target += '?';
    target += selected;
  }
  return target;
}

}  // namespace

std::optional<std::string> PageKey(const Target& target, const Query& query) {
  if (query.reads_all() && !target.query.empty()) return std::nullopt;
  const std::string_view path = std::string_view(target.origin).substr(0, target.origin.find('?'));
  if (target.query.empty()) return CacheKey(path);  // most requests: one copy, as before
  return CacheKey(WithQuery(path, query.Select(target.query)));
}

void SelectQuery(const Query& query, Request& request) {
  if (query.reads_all()) return;
  request.query = query.Select(request.query);
  request.target = WithQuery(std::string_view(request.target).substr(0, request.target.find('?')),
                             request.query);
}

Method ToMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

std::string ClientAddress(const bhttp::request_header<>& header, const std::string& peer,
                          bool peer_trusted, const AddressRanges& trusted_proxies) {
  if (!peer_trusted) return peer;
  std::vector<std::string> forwarded;
  for (const auto& field : header) {
    if (boost::beast::iequals(field.name_string(), "x-forwarded-for")) {
      auto entries = SplitTrimmed(field.value(), ',');
      forwarded.insert(forwarded.end(), entries.begin(), entries.end());
    }
  }
  std::string client = peer;
  for (auto it = forwarded.rbegin(); it != forwarded.rend(); ++it) {
    auto address = CanonicalAddress(*it);
    if (!address) return "unknown";
    client = std::move(*address);
    if (!trusted_proxies.Contains(client)) break;
  }
  return client;
}

bool BuildRequest(const bhttp::request<bhttp::string_body>& raw, const std::string& peer,
                  bool peer_trusted, const AddressRanges& trusted_proxies, Request& request) {
  auto target = ParseTarget(raw.target());
  if (!target) return false;
  request.method = ToMethod(raw.method());
  request.target = std::move(target->origin);
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  request.headers.reserve(16);
  for (const auto& field : raw) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = raw.body();
  request.client_ip = ClientAddress(raw.base(), peer, peer_trusted, trusted_proxies);
  request.secure = peer_trusted && request.Header("x-forwarded-proto") == "https";
  return true;
}

}  // namespace broadsheet::http
