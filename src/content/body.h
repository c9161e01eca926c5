// Who may store raw HTML in which body: docs/html-policy.md's "Who is filtered", written once
// for every door that turns staff Markdown or HTML into stored HTML — the desk's save, its live
// preview and revision restore, the WordPress/Ghost/content-folder imports, the JSON restore,
// and the upgrade pass below.
//
// A body skips the HTML filter (markdown/html_filter.h) only when all of these hold:
//   - the site allows unfiltered HTML (the desk setting kUnfilteredHtmlSetting, off by default);
//   - the writer is an editor or administrator;
//   - the post is new, or was created by the writer, or by another editor or administrator
//     whose account still has that role and is not disabled.
// So a contributor's or author's post stays filtered whoever saves it, and a body that no desk
// account writes (an import, a restored backup, a post created by no account) is always
// filtered. Filtered bodies keep iframes from the site's embed hosts (broadsheet.toml
// `embed_hosts`), whichever door they come through.
//
// BodyPolicy holds a Store reference (the caller owns the Store, which must outlive it) and the
// filter options; each call reads the setting afresh, so a change in the desk applies to the
// next save. Thread-safe as far as the Store is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/roles.h"
#include "core/error.h"
#include "markdown/html_filter.h"
#include "markdown/markdown.h"
#include "storage/store.h"

namespace broadsheet::content {

// Desk setting "1": editors and administrators may post unfiltered HTML in their own posts and
// in other editors' and administrators' posts.
inline constexpr const char* kUnfilteredHtmlSetting = "unfiltered_html";

// The person whose save stores a body.
struct Writer {
  std::int64_t user_id = 0;
  auth::Role role = auth::Role::kContributor;
};

class BodyPolicy {
 public:
  BodyPolicy(Store& store, markdown::FilterOptions filter);

  // Whether `writer`'s save of `post` (id 0: a new post) stores its raw HTML unfiltered.
  Result<bool> MayStoreRawHtml(const Writer& writer, const Post& post) const;
  // Whether a stored body keeps its raw HTML: as if the post's creator saved it (false for a
  // post created by no account, or by one that is gone, disabled or no longer an editor).
  Result<bool> KeepsRawHtml(std::optional<std::int64_t> created_by) const;

  // Markdown options for `writer`'s save of `post`: filtered unless MayStoreRawHtml; media
  // library images alone in their paragraphs become figures (content/figure.h). The options
  // refer to the policy's Store.
  Result<markdown::Options> ForWriter(const Writer& writer, const Post& post) const;
  // Markdown options that always filter: bodies written elsewhere (imports, restores).
  markdown::Options Filtered() const;
  // Stored or imported HTML through the filter, adding what it removed to `*report` if given.
  Result<std::string> Filter(std::string_view html, markdown::FilterReport* report = nullptr) const;

  const markdown::FilterOptions& filter() const { return filter_; }

 private:
  Store& store_;
  const markdown::FilterOptions filter_;
};

// The upgrade pass. HTML stored before the filter existed (or under an older filter) is filtered
// once: every post's and page's body_html, unless KeepsRawHtml, and every author bio, in batches
// of `batch` rows per transaction. The version that completed is recorded in the Store
// (UpgradeVersion "html_filter"), so a later start does nothing until kHtmlFilterVersion grows.
// An interrupted pass runs again from the start (filtering is idempotent). A body the filter
// refuses (absurd nesting) is replaced by its text, escaped.
inline constexpr int kHtmlFilterVersion = 1;

struct RefilterReport {
  bool ran = false;  // false: this version had already run
  int posts = 0, posts_changed = 0, posts_kept_raw = 0;
  int bios = 0, bios_changed = 0;
};

Result<RefilterReport> RefilterStoredHtml(Store& store, const BodyPolicy& policy, int batch = 200);

// For a new, empty site: records the upgrade pass as done, since everything that writes a body
// or a bio (the desk, every importer, the JSON restore) filters it on the way in. Without it the
// first start of a freshly imported site would read and filter its whole archive again.
Result<void> MarkStoredHtmlFiltered(Store& store);

}  // namespace broadsheet::content
