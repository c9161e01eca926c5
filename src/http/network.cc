#include "http/network.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/rate_limit.h"
#include "core/text.h"
#include "http/asio.h"

namespace broadsheet::http {
namespace {

namespace ip = boost::asio::ip;

bool ToBytes(std::string_view text, std::array<unsigned char, 16>& bytes, bool& v6) {
  boost::system::error_code error;
  const auto address = ip::make_address(std::string(text), error);
  if (error) return false;
  bytes.fill(0);
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
    v6 = false;
  } else {
    const auto address_v6 = address.to_v6();
    if (address_v6.is_v4_mapped()) {
      const auto v4 = ip::make_address_v4(ip::v4_mapped, address_v6).to_bytes();
      std::copy(v4.begin(), v4.end(), bytes.begin());
      v6 = false;
    } else {
      const auto raw = address_v6.to_bytes();
      std::copy(raw.begin(), raw.end(), bytes.begin());
      v6 = true;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> CanonicalAddress(std::string_view text) {
  text = Trim(text);
  if (text.starts_with('[')) {  // [v6] or [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    text = text.substr(0, text.find(':'));
  }
  std::array<unsigned char, 16> bytes{};
  bool v6 = false;
  if (text.empty() || text.size() > 64 || !ToBytes(text, bytes, v6)) return std::nullopt;
  if (!v6) {
    return ip::make_address_v4(ip::address_v4::bytes_type{bytes[0], bytes[1], bytes[2], bytes[3]})
        .to_string();
  }
  return ip::make_address_v6(bytes).to_string();
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress address;
  std::string_view port_text = text;
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    address.host = host.empty() ? "0.0.0.0" : std::string(host);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Fail(ErrorCode::kInvalidArgument,
                "listen address \"" + std::string(text) + "\" must look like 127.0.0.1:8080");
  }
  boost::system::error_code parse_error;
  ip::make_address(address.host, parse_error);
  if (parse_error && address.host != "localhost") {
    return Fail(ErrorCode::kInvalidArgument,
                "listen address \"" + std::string(text) + "\" needs an IP address before the port");
  }
  if (address.host == "localhost") address.host = "127.0.0.1";
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

Result<AddressRanges> AddressRanges::Parse(const std::vector<std::string>& entries,
                                           std::string_view what) {
  AddressRanges ranges;
  for (const auto& entry : entries) {
    Range range;
    const auto slash = entry.find('/');
    if (!ToBytes(std::string_view(entry).substr(0, slash), range.bytes, range.v6)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} \"{}\" is not an IP address or CIDR range", what, entry));
    }
    const int max_bits = range.v6 ? 128 : 32;
    range.prefix_bits = max_bits;
    if (slash != std::string::npos) {
      const std::string_view bits = std::string_view(entry).substr(slash + 1);
      const auto [end, error] =
          std::from_chars(bits.data(), bits.data() + bits.size(), range.prefix_bits);
      if (error != std::errc() || end != bits.data() + bits.size() || range.prefix_bits < 0 ||
          range.prefix_bits > max_bits) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{} \"{}\" has a bad prefix length", what, entry));
      }
    }
    ranges.ranges_.push_back(range);
  }
  return ranges;
}

bool AddressRanges::Contains(std::string_view address) const {
  if (ranges_.empty()) return false;
  std::array<unsigned char, 16> bytes{};
  bool v6 = false;
  if (!ToBytes(address, bytes, v6)) return false;
  for (const auto& range : ranges_) {
    if (range.v6 != v6) continue;
    int bits = range.prefix_bits;
    bool match = true;
    for (int i = 0; bits > 0; ++i, bits -= 8) {
      const unsigned char mask = bits >= 8 ? 0xFF : static_cast<unsigned char>(0xFF << (8 - bits));
      if ((bytes[i] & mask) != (range.bytes[i] & mask)) {
        match = false;
        break;
      }
    }
    if (match) return true;
  }
  return false;
}

std::string ConnectionCounts::Key(const std::string& address) { return ClientKey(address); }

bool ConnectionCounts::Acquire(const std::string& address, size_t limit) {
  const std::string key = Key(address);
  std::lock_guard lock(mutex_);
  size_t& count = counts_[key];
  if (count >= limit) {
    if (count == 0) counts_.erase(key);
    return false;
  }
  ++count;
  return true;
}

void ConnectionCounts::Release(const std::string& address) {
  const std::string key = Key(address);
  std::lock_guard lock(mutex_);
  const auto found = counts_.find(key);
  if (found == counts_.end()) return;
  if (--found->second == 0) counts_.erase(found);
}

size_t ConnectionCounts::Count(const std::string& address) const {
  const std::string key = Key(address);
  std::lock_guard lock(mutex_);
  const auto found = counts_.find(key);
  return found == counts_.end() ? 0 : found->second;
}

}  // namespace broadsheet::http
