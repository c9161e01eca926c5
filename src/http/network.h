// Addresses: "HOST:PORT" listen strings and the trusted-proxy list (addresses or CIDR ranges)
// whose X-Forwarded-For and X-Forwarded-Proto headers the server believes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace broadsheet::http {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

// "127.0.0.1:8080", "[::1]:8080", ":8080" (all interfaces), "8080".
Result<ListenAddress> ParseListenAddress(std::string_view text);

class TrustedProxies {
 public:
  // Entries like "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8".
  static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);
  bool Contains(std::string_view address) const;
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    std::array<unsigned char, 16> bytes{};
    int prefix_bits = 0;
    bool v6 = false;
  };
  std::vector<Range> ranges_;
};

}  // namespace broadsheet::http
