#include "http/message.h"

#include <cctype>

#include <fmt/format.h>

#include "core/text.h"

namespace broadsheet::http {

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "OTHER";
}

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

std::string_view Request::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  for (auto& [key, value] : ParseQuery(query)) {
    if (key == name) return std::move(value);
  }
  return std::nullopt;
}

std::string Request::Cookie(std::string_view name) const {
  // Cookie: a=1; b=2 (RFC 6265, section 5.4).
  std::string_view header = Header("cookie");
  while (!header.empty()) {
    const auto end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    if (pair.substr(0, equals) == name) return std::string(pair.substr(equals + 1));
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> Request::FormFields() const {
  const auto type = Header("content-type");
  if (type.starts_with("application/x-www-form-urlencoded")) return ParseQuery(body);
  std::vector<std::pair<std::string, std::string>> fields;
  if (!type.starts_with("multipart/form-data")) return fields;
  if (auto parts = ParseMultipart(body, type)) {
    for (auto& part : *parts) {
      if (!part.filename) fields.emplace_back(std::move(part.name), std::move(part.data));
    }
  }
  return fields;
}

std::vector<Request::File> Request::Files() const {
  std::vector<File> files;
  const auto type = Header("content-type");
  if (!type.starts_with("multipart/form-data")) return files;
  if (auto parts = ParseMultipart(body, type)) {
    for (auto& part : *parts) {
      if (part.filename && !part.data.empty()) {
        files.push_back({std::move(part.name), std::move(*part.filename),
                         std::move(part.content_type), std::move(part.data)});
      }
    }
  }
  return files;
}

namespace {

// The value of `key` in a header's parameters: `form-data; name="x"; filename="y"`.
std::optional<std::string> HeaderParameter(std::string_view header, std::string_view key) {
  size_t position = 0;
  while ((position = header.find(';', position)) != std::string_view::npos) {
    ++position;
    while (position < header.size() && header[position] == ' ') ++position;
    if (header.substr(position, key.size()) != key || position + key.size() >= header.size() ||
        header[position + key.size()] != '=') {
      continue;
    }
    position += key.size() + 1;
    if (position < header.size() && header[position] == '"') {
      const auto end = header.find('"', position + 1);
      if (end == std::string_view::npos) return std::nullopt;
      return std::string(header.substr(position + 1, end - position - 1));
    }
    const auto end = header.find(';', position);
    return std::string(
        header.substr(position, end == std::string_view::npos ? end : end - position));
  }
  return std::nullopt;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                         std::string_view content_type) {
  const auto boundary = HeaderParameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  const std::string delimiter = "--" + *boundary;
  std::vector<MultipartPart> parts;
  size_t position = body.find(delimiter);
  if (position == std::string_view::npos) return std::nullopt;
  while (true) {
    position += delimiter.size();
    if (body.substr(position, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(position, 2) != "\r\n") return std::nullopt;
    position += 2;
    const auto headers_end = body.find("\r\n\r\n", position);
    if (headers_end == std::string_view::npos || headers_end - position > 8192) return std::nullopt;
    MultipartPart part;
    bool disposition = false;
    for (size_t line = position; line < headers_end;) {
      auto end = body.find("\r\n", line);
      if (end == std::string_view::npos || end > headers_end) end = headers_end;
      const auto header = body.substr(line, end - line);
      if (StartsWithIgnoreCase(header, "content-disposition:")) {
        disposition = true;
        part.name = HeaderParameter(header, "name").value_or("");
        part.filename = HeaderParameter(header, "filename");
      } else if (StartsWithIgnoreCase(header, "content-type:")) {
        part.content_type = std::string(Trim(header.substr(13)));
      }
      line = end + 2;
    }
    const size_t data_start = headers_end + 4;
    const auto data_end = body.find("\r\n" + delimiter, data_start);
    if (!disposition || data_end == std::string_view::npos) return std::nullopt;
    part.data = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    if (parts.size() > 100) return std::nullopt;
    position = data_end + 2;
  }
}

std::string SetCookieValue(std::string_view name, std::string_view value,
                           const CookieOptions& options) {
  std::string cookie = std::string(name) + "=" + std::string(value) + "; Path=" + options.path;
  if (options.max_age >= 0) cookie += "; Max-Age=" + std::to_string(options.max_age);
  if (options.http_only) cookie += "; HttpOnly";
  if (options.secure) cookie += "; Secure";
  cookie += "; SameSite=" + options.same_site;
  return cookie;
}

std::string FieldValue(const std::vector<std::pair<std::string, std::string>>& fields,
                       std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return {};
}

Response Response::Text(int status, std::string text) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(text);
  if (response.body.empty() || response.body.back() != '\n') response.body += '\n';
  return response;
}

Response Response::Redirect(int status, std::string location) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "Moved to " + location + "\n";
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool form) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      const char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && form) {
      out += ' ';
    } else if (c == '\0') {
      return std::nullopt;  // as for %00: a literal NUL in a form body must not pass either
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const auto part = query.substr(start, end - start);
    const auto equals = part.find('=');
    auto key = PercentDecode(part.substr(0, equals), true);
    auto value = equals == std::string_view::npos ? std::optional<std::string>("")
                                                  : PercentDecode(part.substr(equals + 1), true);
    if (key && value && !key->empty()) pairs.emplace_back(std::move(*key), std::move(*value));
    start = end + 1;
  }
  return pairs;
}

}  // namespace broadsheet::http
