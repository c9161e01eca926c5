#include "importers/wordpress.h"

#include "importers/wxr.h"

namespace broadsheet::importers {

Result<WordPressSummary> SummarizeWordPress(const std::string& path) {
  WordPressSummary summary;
  WxrHandler handler;
  handler.author = [&](WxrAuthor) -> Result<void> {
    ++summary.authors;
    return {};
  };
  handler.term = [&](WxrTerm term) -> Result<void> {
    ++(term.category ? summary.categories : summary.tags);
    return {};
  };
  handler.item = [&](WxrItem item) -> Result<void> {
    ++summary.items[item.type.empty() ? "post" : item.type];
    if (item.type == "post" || item.type == "page" || item.type.empty())
      ++summary.statuses[item.status.empty() ? "publish" : item.status];
    for (const WxrComment& comment : item.comments) {
      ++summary.comments;
      if (!comment.parent.empty() && comment.parent != "0") ++summary.replies;
    }
    return {};
  };
  if (auto read = ReadWxr(path, handler); !read) return tl::unexpected(read.error());
  return summary;
}

}  // namespace broadsheet::importers
