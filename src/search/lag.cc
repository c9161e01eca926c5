#include "search/lag.h"

#include <algorithm>

namespace broadsheet::search {

std::string LagMetricsText(const SearchIndex& index, Store& store, Timestamp now) {
  const auto status = index.Status();
  if (!status) return "";
  auto behind = store.ChangeLogBehind(status->position);
  std::string text;
  if (behind) {
    const Timestamp seconds =
        behind->oldest_at ? std::max<Timestamp>(0, now - *behind->oldest_at) : 0;
    text +=
        "# HELP broadsheet_search_log_behind_rows Change log rows this node's search index has "
        "yet to apply.\n"
        "# TYPE broadsheet_search_log_behind_rows gauge\n"
        "broadsheet_search_log_behind_rows " +
        std::to_string(behind->rows) +
        "\n"
        "# HELP broadsheet_search_log_behind_seconds Age of the oldest change log row this "
        "node's search index has yet to apply (0: none).\n"
        "# TYPE broadsheet_search_log_behind_seconds gauge\n"
        "broadsheet_search_log_behind_seconds " +
        std::to_string(seconds) + "\n";
  }
  if (status->caught_up_at) {
    text +=
        "# HELP broadsheet_search_caught_up_timestamp_seconds When this node's search index "
        "last found nothing more in the change log (Unix time).\n"
        "# TYPE broadsheet_search_caught_up_timestamp_seconds gauge\n"
        "broadsheet_search_caught_up_timestamp_seconds " +
        std::to_string(*status->caught_up_at) + "\n";
  }
  text +=
      "# HELP broadsheet_search_building 1 while this node's search index is being built from "
      "the posts.\n"
      "# TYPE broadsheet_search_building gauge\n"
      "broadsheet_search_building " +
      std::string(status->building ? "1" : "0") + "\n";
  return text;
}

}  // namespace broadsheet::search
