#include "core/rate_limit.h"

#include <arpa/inet.h>

#include <cstring>

namespace broadsheet {

std::string ClientKey(std::string_view address) {
  const std::string text(address);
  in6_addr v6{};
  if (text.find(':') == std::string::npos || inet_pton(AF_INET6, text.c_str(), &v6) != 1)
    return text;
  char out[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    in_addr v4{};
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    return inet_ntop(AF_INET, &v4, out, sizeof out) ? std::string(out) : text;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  if (!inet_ntop(AF_INET6, &v6, out, sizeof out)) return text;
  return std::string(out) + "/64";
}

}  // namespace broadsheet
