#include "importers/site_writer.h"

#include <algorithm>

#include <fmt/format.h>

#include "content/posts.h"
#include "core/slug.h"
#include "core/text.h"
#include "core/time.h"
#include "http/message.h"

namespace broadsheet::importers {

namespace {
constexpr size_t kMaxSlugStem = 190;

bool HasLetter(const std::string& slug) {
  return std::any_of(slug.begin(), slug.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}
}  // namespace

std::string SlugStem(std::string_view text) {
  std::string slug = Slugify(text);
  if (slug.size() > kMaxSlugStem) slug.resize(kMaxSlugStem);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

std::string Decoded(std::string_view text) {
  auto decoded = http::PercentDecode(text);
  return decoded && IsValidUtf8(*decoded) ? *decoded : std::string(text);
}

SiteWriter::SiteWriter(Store& store, std::string source)
    : store_(store), source_(std::move(source)), now_(Now()) {}

void SiteWriter::set_source(std::string source) {
  if (source != source_) known_.reset();  // records written or waiting keep their own source
  source_ = std::move(source);
}

Result<std::optional<ImportedRecord>> SiteWriter::Imported(const std::string& kind,
                                                           const std::string& id) {
  if (!known_) {
    auto listed = store_.ListImported(source_);
    if (!listed) return tl::unexpected(listed.error());
    known_.emplace();
    for (ImportedRecord& record : *listed) {
      auto key = std::pair{record.kind, record.foreign_id};
      known_->insert_or_assign(std::move(key), std::move(record));
    }
    // Records of this source waiting to be written are newer than the database's.
    for (const ImportedRecord& record : unwritten_) {
      if (record.source == source_)
        known_->insert_or_assign({record.kind, record.foreign_id}, record);
    }
  }
  auto found = known_->find({kind, id});
  if (found == known_->end()) return std::nullopt;
  return found->second;
}

Result<void> SiteWriter::Remember(const std::string& kind, const std::string& id,
                                  std::int64_t local_id, std::string detail) {
  constexpr size_t kRecordsPerWrite = 512;
  ImportedRecord record{source_, kind, id, local_id, std::move(detail)};
  if (known_) known_->insert_or_assign({kind, id}, record);
  unwritten_.push_back(std::move(record));
  if (unwritten_.size() >= kRecordsPerWrite) return Flush();
  return {};
}

Result<void> SiteWriter::Flush() {
  if (unwritten_.empty()) return {};
  if (auto written = store_.RecordImported(unwritten_); !written) return written;
  unwritten_.clear();
  return {};
}

Result<void> SiteWriter::Redirect(const std::string& from, const std::string& to) {
  if (from.empty() || from == to || from.size() > 2000) return {};
  if (from.size() > 2 && from.ends_with('/') && from.find('/', 1) == from.size() - 1 &&
      IsReservedSlug(from.substr(1, from.size() - 2))) {
    return {};
  }
  auto existing = store_.FindRedirect(from);
  if (!existing) return tl::unexpected(existing.error());
  if (*existing && (*existing)->to_path == to && (*existing)->status == 301) return {};
  if (auto put = store_.PutRedirect({from, to, 301, now_}); !put) return put;
  if (!*existing) ++redirects_;
  return {};
}

Result<void> SiteWriter::RedirectArchive(const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return {};
  for (const auto& [old, now] : {std::pair{from, to},
                                 {from + "feed/", to + "feed/"},
                                 {from + "feed/rss2/", to + "feed/"},
                                 {from + "feed/atom/", to + "feed/atom/"}}) {
    if (auto redirected = Redirect(old, now); !redirected) return redirected;
  }
  return {};
}

template <typename T>
Result<std::int64_t> SiteWriter::Use(
    const char* type, const std::string& kind, const std::string& id, const std::string& wanted,
    const std::function<void(T&)>& fill, Count& count,
    const std::function<Result<std::optional<T>>(const std::string&)>& find,
    const std::function<Result<std::int64_t>(const T&)>& save) {
  auto record = Imported(kind, id);
  if (!record) return tl::unexpected(record.error());
  const std::string slug = *record ? (*record)->detail : wanted;
  auto existing = find(slug);
  if (!existing) return tl::unexpected(existing.error());
  const std::string made_key = std::string(type) + " " + slug;
  std::int64_t local = 0;
  if (*existing && (!*record || made_.contains(made_key))) {
    // Already on the site, made by hand, by another import, or in this run for another id.
    local = (*existing)->id;
    if (!made_.contains(made_key)) ++count.existing;
  } else {
    T value = *existing ? **existing : T{};
    value.slug = slug;
    fill(value);
    auto saved = save(value);
    if (!saved) return tl::unexpected(saved.error());
    local = *saved;
    ++(*record ? count.existing : count.created);
    made_.insert(made_key);
  }
  if (auto remembered = Remember(kind, id, local, slug); !remembered)
    return tl::unexpected(remembered.error());
  return local;
}

Result<std::int64_t> SiteWriter::UseSection(const std::string& kind, const std::string& id,
                                            const std::string& slug,
                                            const std::function<void(Section&)>& fill,
                                            Count& count) {
  return Use<Section>(
      "section", kind, id, slug, fill, count,
      [this](const std::string& s) { return store_.FindSection(s); },
      [this](const Section& section) { return store_.UpsertSection(section); });
}

Result<std::int64_t> SiteWriter::UseTag(const std::string& kind, const std::string& id,
                                        const std::string& slug,
                                        const std::function<void(Tag&)>& fill, Count& count) {
  return Use<Tag>(
      "tag", kind, id, slug, fill, count,
      [this](const std::string& s) { return store_.FindTag(s); },
      [this](const Tag& tag) { return store_.UpsertTag(tag); });
}

Result<std::int64_t> SiteWriter::UseAuthor(const std::string& kind, const std::string& id,
                                           const std::string& slug,
                                           const std::function<void(Author&)>& fill, Count& count) {
  return Use<Author>(
      "author", kind, id, slug, fill, count,
      [this](const std::string& s) { return store_.FindAuthor(s); },
      [this](const Author& author) { return store_.UpsertAuthor(author); });
}

Result<std::string> SiteWriter::FreeSlug(std::string_view wanted, const std::string& title,
                                         const std::string& fallback) {
  // A slug in another script (Greek, say) leaves only digits or nothing: use the title, else
  // the fallback.
  const std::string decoded = Decoded(wanted);
  std::string stem = SlugStem(decoded);
  if (!HasLetter(stem)) stem = SlugStem(title);
  if (!HasLetter(stem)) stem = fallback;
  for (int n = 1; n < 100; ++n) {
    const std::string slug = n == 1 ? stem : fmt::format("{}-{}", stem, n);
    if (!CheckPostSlug(slug)) continue;
    auto taken = store_.FindPost(slug);
    if (!taken) return tl::unexpected(taken.error());
    if (*taken) continue;
    if (!wanted.empty() && slug != decoded) {
      Note(fmt::format("\"{}\": /{}/ is taken or not a usable address; it is at /{}/", title,
                       decoded, slug));
    }
    return slug;
  }
  return Fail(ErrorCode::kConflict, "no free address for \"" + title + "\"");
}

Result<std::optional<SiteWriter::Saved>> SiteWriter::SavePost(const std::string& kind,
                                                              const std::string& id, Post& post,
                                                              std::string_view wanted,
                                                              const std::string& fallback) {
  auto record = Imported(kind, id);
  if (!record) return tl::unexpected(record.error());
  Saved saved;
  if (*record) {
    auto found = store_.FindPostById((*record)->local_id);
    if (!found) return tl::unexpected(found.error());
    if (!*found) return std::nullopt;
    post.slug = (*found)->post.slug;
    saved.existed = true;
  } else {
    auto slug = FreeSlug(wanted, post.title, fallback);
    if (!slug) return tl::unexpected(slug.error());
    post.slug = std::move(*slug);
  }
  auto written = content::Posts::Import(store_, post);
  if (!written) return tl::unexpected(written.error());
  saved.id = *written;
  if (auto remembered = Remember(kind, id, saved.id); !remembered)
    return tl::unexpected(remembered.error());
  return saved;
}

Result<void> ForEachPost(Store& store,
                         const std::function<Result<void>(const PostDetail&)>& visit) {
  constexpr size_t kPostsPerRead = 100;
  auto ids = store.ListAllPostIds();
  if (!ids) return tl::unexpected(ids.error());
  for (size_t start = 0; start < ids->size(); start += kPostsPerRead) {
    const auto first = ids->begin() + static_cast<std::ptrdiff_t>(start);
    const auto last =
        ids->begin() + static_cast<std::ptrdiff_t>(std::min(ids->size(), start + kPostsPerRead));
    auto details = store.FindPostsByIds(std::vector<std::int64_t>(first, last), true);
    if (!details) return tl::unexpected(details.error());
    for (const PostDetail& detail : *details) {
      if (auto visited = visit(detail); !visited) return visited;
    }
  }
  return {};
}

void SiteWriter::Note(std::string note) {
  if (notes_.size() < kMaxNotes)
    notes_.push_back(std::move(note));
  else
    ++notes_left_out_;
}

}  // namespace broadsheet::importers
