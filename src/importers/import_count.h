// How many of a kind of thing an import created, and how many it found already there.
#pragma once

namespace broadsheet::importers {

struct ImportCount {
  int created = 0;
  int existing = 0;  // made by an earlier run and updated, or already on the site and used
};

}  // namespace broadsheet::importers
