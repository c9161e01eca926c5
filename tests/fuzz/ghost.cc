// A Ghost JSON export, imported into an in-memory site; the input also goes through the Lexical
// and Mobiledoc converters on its own.
#include "importers/ghost.h"
#include "fuzz_util.h"

using namespace broadsheet;
using namespace broadsheet::importers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static fuzz::ScratchFile file(".json");
  const std::string_view text = fuzz::AsText(data, size);
  GhostReport report;
  (void)LexicalToHtml(text, report);
  (void)MobiledocToHtml(text, report);
  (void)ImportGhost(fuzz::SharedStore(), file.Write(text), GhostOptions{});
  return 0;
}
