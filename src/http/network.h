// Addresses: "HOST:PORT" listen strings; sets of addresses and CIDR ranges (the trusted proxies
// whose X-Forwarded-For and X-Forwarded-Proto headers the server believes, the addresses that may
// read /metrics); and the count of open connections per client address.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace broadsheet::http {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

// "127.0.0.1:8080", "[::1]:8080", ":8080" (all interfaces), "8080".
Result<ListenAddress> ParseListenAddress(std::string_view text);

// An address as a proxy may write it in X-Forwarded-For ("192.0.2.1", "192.0.2.1:5678",
// "2001:db8::1", "[2001:db8::1]:443", "::ffff:192.0.2.1"), in its canonical form ("192.0.2.1",
// "2001:db8::1"); nullopt when it is not an address.
std::optional<std::string> CanonicalAddress(std::string_view text);

class AddressRanges {
 public:
  // Entries like "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". `what` names the list in errors
  // ("trusted proxy \"x\" is not an IP address or CIDR range").
  static Result<AddressRanges> Parse(const std::vector<std::string>& entries,
                                     std::string_view what = "trusted proxy");
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

// Open connections per client address, so that one address cannot hold every connection the
// server allows. An IPv6 client counts by its /64 network, the smallest block a site is usually
// given (one host can have every address in it). Thread-safe: a short critical section per
// connection opened or closed (not per request). Memory is bounded by the addresses with
// connections open now.
class ConnectionCounts {
 public:
  // Counts one more connection for `address`, unless it already has `limit`; false then.
  bool Acquire(const std::string& address, size_t limit);
  void Release(const std::string& address);
  size_t Count(const std::string& address) const;

 private:
  static std::string Key(const std::string& address);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> counts_;
};

}  // namespace broadsheet::http
