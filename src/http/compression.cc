#include "http/compression.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <cctype>

namespace broadsheet::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

Encoding NegotiateEncoding(std::string_view accept_encoding) {
  bool gzip = false;
  bool brotli = false;
  size_t start = 0;
  while (start < accept_encoding.size()) {
    auto end = accept_encoding.find(',', start);
    if (end == std::string_view::npos) end = accept_encoding.size();
    auto item = accept_encoding.substr(start, end - start);
    start = end + 1;
    const auto semicolon = item.find(';');
    const auto coding = TrimSpaces(item.substr(0, semicolon));
    bool refused = false;
    if (semicolon != std::string_view::npos) {
      auto parameter = TrimSpaces(item.substr(semicolon + 1));
      if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') &&
          parameter[1] == '=') {
        auto value = TrimSpaces(parameter.substr(2));
        refused = value.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (refused) continue;
    if (EqualsIgnoreCase(coding, "br")) brotli = true;
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) gzip = true;
  }
  if (brotli) return Encoding::kBrotli;
  if (gzip) return Encoding::kGzip;
  return Encoding::kIdentity;
}

std::string Gzip(std::string_view data, int level) {
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&stream, data.size()));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) return {};
  out.shrink_to_fit();  // the buffer was sized for the worst case; cached pages keep only bytes
  return out;
}

std::string Brotli(std::string_view data, int quality) {
  size_t size = BrotliEncoderMaxCompressedSize(data.size());
  if (size == 0) return {};
  std::string out(size, '\0');
  // A window no larger than the input: the same output for pages, and far less memory.
  int window = BROTLI_MIN_WINDOW_BITS;
  while (window < BROTLI_DEFAULT_WINDOW && (size_t{1} << window) < data.size()) ++window;
  if (!BrotliEncoderCompress(quality, window, BROTLI_MODE_TEXT, data.size(),
                             reinterpret_cast<const uint8_t*>(data.data()), &size,
                             reinterpret_cast<uint8_t*>(out.data()))) {
    return {};
  }
  out.resize(size);
  out.shrink_to_fit();
  return out;
}

bool IsCompressible(std::string_view content_type) {
  return content_type.starts_with("text/") || content_type.find("json") != std::string_view::npos ||
         content_type.find("xml") != std::string_view::npos ||
         content_type.find("javascript") != std::string_view::npos;
}

}  // namespace broadsheet::http
