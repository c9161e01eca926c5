// A WordPress export (WXR): the streaming reader, every handler collecting what it is given.
#include "importers/wxr.h"
#include "fuzz_util.h"

using namespace broadsheet;
using namespace broadsheet::importers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static fuzz::ScratchFile file(".xml");
  size_t seen = 0;
  WxrHandler handler{
      .site = [&](WxrSite) -> Result<void> {
        ++seen;
        return {};
      },
      .author = [&](WxrAuthor) -> Result<void> {
        ++seen;
        return {};
      },
      .term = [&](WxrTerm) -> Result<void> {
        ++seen;
        return {};
      },
      .item = [&](WxrItem item) -> Result<void> {
        seen += item.comments.size() + 1;
        return {};
      },
      .progress = [](std::uint64_t) {},
  };
  (void)ReadWxr(file.Write(fuzz::AsText(data, size)), handler);
  return 0;
}
