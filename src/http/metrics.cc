#include "http/metrics.h"

#include <fmt/format.h>

#include "http/page_cache.h"

namespace broadsheet::http {
namespace {

// Prometheus label values escape backslash, quote and newline.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void Metrics::RecordRequest(std::string_view route, int status, double seconds) {
  Shard& shard = shards_.Local();
  std::lock_guard lock(shard.mutex);
  auto found = shard.requests.find(route);
  if (found == shard.requests.end())
    found = shard.requests.emplace(std::string(route), std::map<int, std::uint64_t>()).first;
  ++found->second[status];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++shard.buckets[i];
      break;
    }
  }
  ++shard.latency_count;
  shard.latency_sum += seconds;
}

std::string Metrics::Render(const PageCache& cache) const {
  std::map<std::string, std::map<int, std::uint64_t>, std::less<>> requests;
  std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
  std::uint64_t latency_count = 0;
  double latency_sum = 0;
  shards_.ForEach([&](Shard& shard) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [route, statuses] : shard.requests) {
      for (const auto& [status, count] : statuses) requests[route][status] += count;
    }
    for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += shard.buckets[i];
    latency_count += shard.latency_count;
    latency_sum += shard.latency_sum;
  });
  std::string out;
  out += "# HELP broadsheet_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE broadsheet_http_requests_total counter\n";
  for (const auto& [route, statuses] : requests) {
    for (const auto& [status, count] : statuses) {
      out += fmt::format("broadsheet_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                         EscapeLabel(route), status, count);
    }
  }
  out +=
      "# HELP broadsheet_http_request_duration_seconds Time from a complete request to its "
      "response.\n";
  out += "# TYPE broadsheet_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += buckets[i];
    out += fmt::format("broadsheet_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       kLatencyBuckets[i], cumulative);
  }
  out += fmt::format("broadsheet_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
                     latency_count);
  out += fmt::format("broadsheet_http_request_duration_seconds_sum {}\n", latency_sum);
  out += fmt::format("broadsheet_http_request_duration_seconds_count {}\n", latency_count);
  out += "# HELP broadsheet_connections_open Client connections open now.\n";
  out += "# TYPE broadsheet_connections_open gauge\n";
  out += fmt::format("broadsheet_connections_open {}\n", connections_open_.load());
  out += "# HELP broadsheet_connections_refused_total Connections closed on arrival, by limit.\n";
  out += "# TYPE broadsheet_connections_refused_total counter\n";
  out += fmt::format("broadsheet_connections_refused_total{{limit=\"per_address\"}} {}\n",
                     refused_per_address_.load());
  out += fmt::format("broadsheet_connections_refused_total{{limit=\"total\"}} {}\n",
                     refused_total_.load());
  out += "# HELP broadsheet_connections_idle_closed_total Idle connections closed for new ones.\n";
  out += "# TYPE broadsheet_connections_idle_closed_total counter\n";
  out += fmt::format("broadsheet_connections_idle_closed_total {}\n", idle_closed_.load());
  out += "# HELP broadsheet_page_cache_hits_total Requests answered from the page cache.\n";
  out += "# TYPE broadsheet_page_cache_hits_total counter\n";
  out += fmt::format("broadsheet_page_cache_hits_total {}\n", cache_hits_.load());
  out += "# HELP broadsheet_page_cache_misses_total Cacheable requests that had to be rendered.\n";
  out += "# TYPE broadsheet_page_cache_misses_total counter\n";
  out += fmt::format("broadsheet_page_cache_misses_total {}\n", cache_misses_.load());
  out += "# HELP broadsheet_page_cache_served_bytes_total Body bytes sent from the page cache.\n";
  out += "# TYPE broadsheet_page_cache_served_bytes_total counter\n";
  out += fmt::format("broadsheet_page_cache_served_bytes_total {}\n", cache_bytes_.load());
  out += "# HELP broadsheet_page_cache_bytes Bytes held by the page cache.\n";
  out += "# TYPE broadsheet_page_cache_bytes gauge\n";
  out += fmt::format("broadsheet_page_cache_bytes {}\n", cache.bytes());
  out += "# HELP broadsheet_page_cache_budget_bytes The page cache's byte budget.\n";
  out += "# TYPE broadsheet_page_cache_budget_bytes gauge\n";
  out += fmt::format("broadsheet_page_cache_budget_bytes {}\n", cache.budget());
  out += "# HELP broadsheet_page_cache_entries Pages held by the page cache.\n";
  out += "# TYPE broadsheet_page_cache_entries gauge\n";
  out += fmt::format("broadsheet_page_cache_entries {}\n", cache.entries());
  return out;
}

}  // namespace broadsheet::http
