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

}  // namespace broadsheet::http
