// How far this node's search index is behind the change log, as Prometheus text for /metrics
// (docs/scaling.md): the rows after the index's position, the age of the oldest of them, when
// the index last found nothing more to apply, and whether it is being built. Each node answers
// for its own index; a node that does not write its index (another process does) reports
// nothing. One count on the database per call: cheap while the index keeps up.
#pragma once

#include <string>

#include "search/index.h"
#include "storage/store.h"

namespace broadsheet::search {

std::string LagMetricsText(const SearchIndex& index, Store& store, Timestamp now);

}  // namespace broadsheet::search
