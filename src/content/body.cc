#include "content/body.h"

#include <utility>

#include "content/figure.h"
#include "core/text.h"

namespace broadsheet::content {
namespace {

constexpr const char* kUpgradeName = "html_filter";

bool IsEditorOrAbove(auth::Role role) { return auth::Can(role, auth::Action::kEditOthers); }

}  // namespace

BodyPolicy::BodyPolicy(Store& store, markdown::FilterOptions filter)
    : store_(store), filter_(std::move(filter)) {}

Result<bool> BodyPolicy::MayStoreRawHtml(const Writer& writer, const Post& post) const {
  auto setting = store_.DeskSetting(kUnfilteredHtmlSetting);
  if (!setting) return tl::unexpected(setting.error());
  if (!*setting || **setting != "1" || !IsEditorOrAbove(writer.role)) return false;
  if (post.id == 0 || (post.created_by && *post.created_by == writer.user_id)) return true;
  if (!post.created_by) return false;  // imported: written elsewhere, under other rules
  auto creator = store_.FindUser(*post.created_by);
  if (!creator) return tl::unexpected(creator.error());
  if (!*creator || (*creator)->disabled) return false;
  const auto role = auth::ParseRole((*creator)->role);
  return role && IsEditorOrAbove(*role);
}

Result<bool> BodyPolicy::KeepsRawHtml(std::optional<std::int64_t> created_by) const {
  if (!created_by) return false;
  auto creator = store_.FindUser(*created_by);
  if (!creator) return tl::unexpected(creator.error());
  if (!*creator || (*creator)->disabled) return false;
  const auto role = auth::ParseRole((*creator)->role);
  if (!role) return false;
  Post post;
  post.id = -1;  // stored, not new
  post.created_by = created_by;
  return MayStoreRawHtml(Writer{*created_by, *role}, post);
}

Result<markdown::Options> BodyPolicy::ForWriter(const Writer& writer, const Post& post) const {
  auto raw = MayStoreRawHtml(writer, post);
  if (!raw) return tl::unexpected(raw.error());
  markdown::Options options = Filtered();
  options.unfiltered = *raw;
  // A media library image alone in its paragraph becomes a figure (content/figure.h).
  options.figure = [&store =
                        store_](const markdown::LoneImage& image) -> std::optional<std::string> {
    const FigureParts parts = ParseFigure(image.url, image.title);
    if (!parts.url.starts_with("/uploads/")) return std::nullopt;
    auto media = store.FindMediaByUrl(parts.url);
    if (!media || !*media) return std::nullopt;
    return FigureHtml(image, **media);
  };
  return options;
}

markdown::Options BodyPolicy::Filtered() const {
  markdown::Options options;
  options.allow_html = true;
  options.filter = filter_;
  return options;
}

Result<std::string> BodyPolicy::Filter(std::string_view html,
                                       markdown::FilterReport* report) const {
  return markdown::FilterHtml(html, filter_, report);
}

Result<RefilterReport> RefilterStoredHtml(Store& store, const BodyPolicy& policy, int batch) {
  RefilterReport report;
  auto done = store.UpgradeVersion(kUpgradeName);
  if (!done) return tl::unexpected(done.error());
  if (*done >= kHtmlFilterVersion) return report;
  report.ran = true;
  // What the filter refuses to parse cannot be trusted as markup: its text stays, escaped.
  auto filtered = [&policy](const std::string& html) -> std::string {
    auto clean = policy.Filter(html);
    return clean ? std::move(*clean) : "<p>" + EscapeHtml(PlainText(html)) + "</p>";
  };
  std::int64_t after = 0;
  for (;;) {
    auto bodies = store.ListPostBodies(after, batch);
    if (!bodies) return tl::unexpected(bodies.error());
    if (bodies->empty()) break;
    after = bodies->back().id;
    auto saved = store.InTransaction([&]() -> Result<void> {
      for (const StoredBody& body : *bodies) {
        ++report.posts;
        auto raw = policy.KeepsRawHtml(body.created_by);
        if (!raw) return tl::unexpected(raw.error());
        if (*raw) {
          ++report.posts_kept_raw;
          continue;
        }
        std::string clean = filtered(body.body_html);
        if (clean == body.body_html) continue;
        if (auto replaced = store.ReplacePostHtml(body.id, clean); !replaced) return replaced;
        ++report.posts_changed;
      }
      return {};
    });
    if (!saved) return tl::unexpected(saved.error());
  }
  // Bios are few (one per author), so one transaction holds them all.
  auto authors = store.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  auto saved = store.InTransaction([&]() -> Result<void> {
    for (Author& author : *authors) {
      ++report.bios;
      std::string clean = filtered(author.bio_html);
      if (clean == author.bio_html) continue;
      author.bio_html = std::move(clean);
      if (auto upserted = store.UpsertAuthor(author); !upserted)
        return tl::unexpected(upserted.error());
      ++report.bios_changed;
    }
    return {};
  });
  if (!saved) return tl::unexpected(saved.error());
  if (auto recorded = store.SetUpgradeVersion(kUpgradeName, kHtmlFilterVersion); !recorded)
    return tl::unexpected(recorded.error());
  return report;
}

Result<void> MarkStoredHtmlFiltered(Store& store) {
  return store.SetUpgradeVersion(kUpgradeName, kHtmlFilterVersion);
}

}  // namespace broadsheet::content
