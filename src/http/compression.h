// gzip and brotli for text responses, and Accept-Encoding negotiation.
#pragma once

#include <string>
#include <string_view>

namespace broadsheet::http {

enum class Encoding { kIdentity, kGzip, kBrotli };

// The best encoding the client accepts (brotli, then gzip, then identity), honouring q=0.
Encoding NegotiateEncoding(std::string_view accept_encoding);

// Compressed bytes; empty on failure (callers then serve identity).
std::string Gzip(std::string_view data, int level = 6);
std::string Brotli(std::string_view data, int quality = 9);

// Text types worth compressing: text/*, JSON, XML, JavaScript, SVG.
bool IsCompressible(std::string_view content_type);

}  // namespace broadsheet::http
