// A site's JSON export (`broadsheet restore`), restored into a fresh in-memory site (a restore
// needs an empty one).
#include "importers/site_json.h"
#include "fuzz_util.h"

using namespace broadsheet;
using namespace broadsheet::importers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static fuzz::ScratchFile file(".json");
  auto store = SqlStore::Open({.path = ":memory:", .create = true});
  if (!store) __builtin_trap();
  (void)ImportSiteJson(**store, file.Write(fuzz::AsText(data, size)));
  return 0;
}
