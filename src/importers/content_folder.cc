#include "importers/content_folder.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "content/posts.h"
#include "content/publication.h"
#include "core/slug.h"
#include "core/text.h"
#include "markdown/markdown.h"

namespace broadsheet::importers {
namespace fs = std::filesystem;

std::string FolderProblem::ToString() const {
  std::string text = file;
  if (line > 0) {
    text += ':';
    text += std::to_string(line);
  }
  text += ": ";
  if (!field.empty()) {
    text += "field '";
    text += field;
    text += "': ";
  }
  text += message;
  return text;
}

namespace {

// A file being imported: its text, where its front matter starts, and the problems found.
struct SourceFile {
  std::string relative;  // for messages
  std::string text;
  YAML::Node front;  // front matter (a map) or the whole YAML document
  std::string body;
  int front_first_line = 1;  // line of the YAML's first line in the file
  std::vector<FolderProblem> problems;
  std::vector<FolderProblem> warnings;

  int LineOf(const YAML::Node& node) const {
    const auto mark = node.Mark();
    return mark.line >= 0 ? mark.line + front_first_line : 0;
  }
  void Reject(const YAML::Node& node, std::string field, std::string message) {
    problems.push_back({relative, node ? LineOf(node) : 0, std::move(field), std::move(message)});
  }
  void RejectAt(int line, std::string field, std::string message) {
    problems.push_back({relative, line, std::move(field), std::move(message)});
  }
  void Warn(const YAML::Node& node, std::string field, std::string message) {
    warnings.push_back({relative, node ? LineOf(node) : 0, std::move(field), std::move(message)});
  }
};

Result<std::string> ReadText(const fs::path& path, const std::string& relative) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  if (error) return Fail(ErrorCode::kIo, relative + ": cannot read: " + error.message());
  if (size > kMaxContentFileBytes) {
    return Fail(ErrorCode::kTooLarge, relative + ": larger than 4 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(size, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
    return Fail(ErrorCode::kIo, relative + ": cannot read");
  }
  if (!IsValidUtf8(text)) return Fail(ErrorCode::kInvalidArgument, relative + ": not valid UTF-8");
  if (text.starts_with("\xEF\xBB\xBF")) text = text.substr(3);  // byte-order mark
  return text;
}

// Splits "---\nYAML\n---\nbody" and parses the YAML. Problems go into the file.
bool ParseFrontMatter(SourceFile& file) {
  std::string_view text = file.text;
  if (!(text.starts_with("---\n") || text.starts_with("---\r\n"))) {
    file.RejectAt(1, "", "missing front matter: the file must start with a line \"---\"");
    return false;
  }
  const size_t yaml_start = text.find('\n') + 1;
  size_t position = yaml_start;
  size_t yaml_end = std::string_view::npos;
  size_t body_start = text.size();
  while (position < text.size()) {
    size_t line_end = text.find('\n', position);
    if (line_end == std::string_view::npos) line_end = text.size();
    auto line = text.substr(position, line_end - position);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "---" || line == "...") {
      yaml_end = position;
      body_start = std::min(line_end + 1, text.size());
      break;
    }
    position = line_end + 1;
  }
  if (yaml_end == std::string_view::npos) {
    file.RejectAt(1, "", "the front matter is not closed by a line \"---\"");
    return false;
  }
  file.front_first_line = 2;
  file.body = std::string(text.substr(body_start));
  try {
    file.front = YAML::Load(std::string(text.substr(yaml_start, yaml_end - yaml_start)));
  } catch (const YAML::Exception& e) {
    file.RejectAt(e.mark.line >= 0 ? e.mark.line + file.front_first_line : 0, "",
                  "the front matter is not valid YAML: " + e.msg);
    return false;
  }
  if (file.front.IsNull()) file.front = YAML::Node(YAML::NodeType::Map);
  if (!file.front.IsMap()) {
    file.RejectAt(2, "", "the front matter must be a set of \"field: value\" lines");
    return false;
  }
  return true;
}

// Typed field readers. Each returns nullopt when the field is absent and records a problem when
// it is present but of the wrong type.
// Front-matter text is short by nature; a longer value is a mistake (or an attack on the page).
constexpr size_t kMaxFieldBytes = 2000;
constexpr size_t kMaxLongFieldBytes = 20000;  // descriptions and disclaimers

std::optional<std::string> Text(SourceFile& file, const YAML::Node& map, const char* field,
                                size_t max_bytes = kMaxFieldBytes) {
  const YAML::Node node = map[field];
  if (!node || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) {
    file.Reject(node, field, "must be text");
    return std::nullopt;
  }
  const auto text = Trim(node.Scalar());
  if (text.size() > max_bytes) {
    file.Reject(node, field, "is longer than " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<bool> Bool(SourceFile& file, const YAML::Node& map, const char* field) {
  const YAML::Node node = map[field];
  if (!node || node.IsNull()) return std::nullopt;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    file.Reject(node, field, "must be true or false");
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> TextList(SourceFile& file, const YAML::Node& map,
                                                 const char* field) {
  const YAML::Node node = map[field];
  if (!node || node.IsNull()) return std::nullopt;
  std::vector<std::string> values;
  if (node.IsScalar()) {
    values.emplace_back(Trim(node.Scalar()));
    return values;
  }
  if (!node.IsSequence()) {
    file.Reject(node, field, "must be a list, such as [a, b]");
    return std::nullopt;
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      file.Reject(item, field, "every entry must be text");
      return std::nullopt;
    }
    values.emplace_back(Trim(item.Scalar()));
  }
  return values;
}

std::optional<Timestamp> Time(SourceFile& file, const YAML::Node& map, const char* field,
                              const TimeZone& zone) {
  auto text = Text(file, map, field);
  if (!text) return std::nullopt;
  auto parsed = ParseIsoTime(*text, zone);
  if (!parsed) {
    file.Reject(map[field], field, parsed.error().message);
    return std::nullopt;
  }
  return *parsed;
}

void WarnUnknownFields(SourceFile& file, const YAML::Node& map,
                       std::initializer_list<std::string_view> known) {
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      file.Warn(entry.first, key, "unknown field, ignored");
    }
  }
}

class Importer {
 public:
  Importer(Store& store, fs::path folder, const FolderOptions& options)
      : store_(store), folder_(std::move(folder)), options_(options) {
    now_ = options.now != 0 ? options.now : Now();
  }

  Result<FolderReport> Run() {
    std::error_code error;
    if (!fs::is_directory(folder_, error)) {
      return Fail(ErrorCode::kNotFound, folder_.string() + " is not a folder");
    }
    const bool looks_like_content =
        fs::exists(folder_ / "posts") || fs::exists(folder_ / "authors") ||
        fs::exists(folder_ / "sections.yaml") || fs::exists(folder_ / "publication.yaml");
    if (!looks_like_content) {
      return Fail(ErrorCode::kInvalidArgument,
                  folder_.string() +
                      " is not a content folder: it has none of publication.yaml, "
                      "sections.yaml, authors/ or posts/");
    }
    auto publication = store_.LoadPublication();
    if (!publication) return tl::unexpected(publication.error());
    publication_ = std::move(*publication);
    auto done = store_.InTransaction([&]() -> Result<void> {
      if (auto result = ImportPublication(); !result) return result;
      if (auto result = ImportSections(); !result) return result;
      if (auto result = ImportAuthors(); !result) return result;
      return ImportPosts();
    });
    if (!done) return tl::unexpected(done.error());
    return std::move(report_);
  }

 private:
  // Keeps the problems of `file`; returns true when it has none.
  bool Settle(SourceFile& file) {
    for (auto& warning : file.warnings) report_.warnings.push_back(std::move(warning));
    file.warnings.clear();
    if (file.problems.empty()) return true;
    for (auto& problem : file.problems) report_.rejected.push_back(std::move(problem));
    file.problems.clear();
    return false;
  }

  std::optional<SourceFile> Load(const fs::path& path, bool front_matter) {
    SourceFile file;
    file.relative = fs::relative(path, folder_).generic_string();
    auto text = ReadText(path, file.relative);
    if (!text) {
      file.RejectAt(0, "", text.error().message.substr(file.relative.size() + 2));
      Settle(file);
      return std::nullopt;
    }
    file.text = std::move(*text);
    if (front_matter) {
      if (!ParseFrontMatter(file)) {
        Settle(file);
        return std::nullopt;
      }
    } else {
      try {
        file.front = YAML::Load(file.text);
      } catch (const YAML::Exception& e) {
        file.RejectAt(e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "not valid YAML: " + e.msg);
        Settle(file);
        return std::nullopt;
      }
    }
    return file;
  }

  Result<void> ImportPublication() {
    const fs::path path = folder_ / "publication.yaml";
    if (!fs::exists(path)) return {};
    auto file = Load(path, false);
    if (!file) return {};
    if (!file->front.IsMap()) {
      file->RejectAt(1, "", "must be a set of \"field: value\" lines");
      Settle(*file);
      return {};
    }
    Publication updated = publication_;
    const YAML::Node& map = file->front;
    WarnUnknownFields(*file, map,
                      {"title", "description", "base_url", "disclaimer", "timezone", "language"});
    if (auto value = Text(*file, map, "title")) updated.title = *value;
    if (auto value = Text(*file, map, "description", kMaxLongFieldBytes))
      updated.description = *value;
    if (auto value = Text(*file, map, "base_url")) updated.base_url = *value;
    if (auto value = Text(*file, map, "disclaimer", kMaxLongFieldBytes))
      updated.disclaimer = *value;
    if (auto value = Text(*file, map, "timezone")) updated.timezone = *value;
    if (auto value = Text(*file, map, "language")) updated.language = *value;
    while (!updated.base_url.empty() && updated.base_url.back() == '/') updated.base_url.pop_back();
    if (auto valid = content::ValidatePublication(updated); !valid) {
      file->RejectAt(0, "", valid.error().message);
    }
    if (!Settle(*file)) return {};
    publication_ = updated;
    report_.publication = true;
    return store_.SavePublication(publication_);
  }

  Result<void> ImportSections() {
    const fs::path path = folder_ / "sections.yaml";
    if (!fs::exists(path)) return {};
    auto file = Load(path, false);
    if (!file) return {};
    file->front_first_line = 1;
    if (!file->front.IsSequence()) {
      file->RejectAt(1, "", "must be a list of sections (\"- slug: …\")");
      Settle(*file);
      return {};
    }
    int position = 0;
    for (const auto& entry : file->front) {
      ++position;
      if (!entry.IsMap()) {
        file->Reject(entry, "", "each section must be a set of fields (slug, name, …)");
        Settle(*file);
        continue;
      }
      WarnUnknownFields(*file, entry, {"slug", "name", "description", "opinion", "disclaimer"});
      Section section;
      section.position = position;
      auto name = Text(*file, entry, "name");
      auto slug = Text(*file, entry, "slug");
      if (!name || name->empty()) file->Reject(entry, "name", "is required");
      if (name) section.name = *name;
      section.slug = slug ? *slug : Slugify(section.name);
      if (!IsValidSlug(section.slug)) {
        file->Reject(entry["slug"] ? entry["slug"] : entry, "slug",
                     "\"" + section.slug + "\" must be a-z, 0-9 and single hyphens");
      }
      if (auto value = Text(*file, entry, "description", kMaxLongFieldBytes))
        section.description = *value;
      if (auto value = Bool(*file, entry, "opinion")) section.opinion = *value;
      if (auto value = Text(*file, entry, "disclaimer", kMaxLongFieldBytes))
        section.disclaimer = *value;
      if (!Settle(*file)) continue;
      auto id = store_.UpsertSection(section);
      if (!id) return tl::unexpected(id.error());
      section.id = *id;
      sections_[section.slug] = section;
      ++report_.sections;
    }
    return {};
  }

  Result<void> ImportAuthors() {
    for (const auto& path : MarkdownFiles("authors")) {
      auto file = Load(path, true);
      if (!file) continue;
      const YAML::Node& map = file->front;
      WarnUnknownFields(*file, map, {"name", "title", "email", "avatar", "slug"});
      Author author;
      author.slug = path.stem().string();
      if (auto slug = Text(*file, map, "slug")) author.slug = *slug;
      if (!IsValidSlug(author.slug)) {
        file->RejectAt(
            0, "slug",
            "\"" + author.slug + "\" (from the file name) must be a-z, 0-9 and single hyphens");
      }
      auto name = Text(*file, map, "name");
      if (!name || name->empty()) file->RejectAt(2, "name", "is required");
      if (name) author.name = *name;
      if (auto value = Text(*file, map, "title")) author.credentials = *value;
      if (auto value = Text(*file, map, "email")) author.email = *value;
      if (auto value = Text(*file, map, "avatar")) {
        auto url = ImageUrl(*file, map["avatar"], "avatar", *value);
        if (url) author.avatar = *url;
      }
      author.bio_markdown = file->body;
      auto html = markdown::ToHtml(author.bio_markdown, MarkdownOptions(*file));
      if (!html) file->RejectAt(0, "", html.error().message);
      if (!Settle(*file)) continue;
      author.bio_html = std::move(*html);
      auto id = store_.UpsertAuthor(author);
      if (!id) return tl::unexpected(id.error());
      author.id = *id;
      authors_[author.slug] = author.id;
      ++report_.authors;
    }
    return {};
  }

  Result<void> ImportPosts() {
    auto zone = TimeZone::Find(publication_.timezone);
    const TimeZone time_zone = zone ? *zone : TimeZone();
    std::map<std::string, std::string> slug_owner;  // slug -> file that claimed it
    for (const auto& path : MarkdownFiles("posts")) {
      auto file = Load(path, true);
      if (!file) continue;
      const YAML::Node& map = file->front;
      WarnUnknownFields(
          *file, map,
          {"title",        "slug",       "dek",      "section",   "authors",       "tags",
           "date",         "updated",    "image",    "image_alt", "image_caption", "image_credit",
           "opinion",      "disclaimer", "comments", "status",    "kind",          "description",
           "social_image", "canonical",  "noindex"});
      Post post;
      auto title = Text(*file, map, "title");
      if (!title || title->empty()) {
        file->RejectAt(map["title"] ? file->LineOf(map["title"]) : 2, "title", "is required");
      } else {
        post.title = *title;
      }
      auto slug = Text(*file, map, "slug");
      post.slug = slug ? *slug : Slugify(post.title);
      if (!post.title.empty() || slug) {
        if (post.slug.empty()) {
          file->Reject(map["title"], "slug", "cannot be derived from the title; set slug");
        } else if (auto checked = CheckPostSlug(post.slug); !checked) {
          file->Reject(map["slug"] ? map["slug"] : map["title"], "slug", checked.error().message);
        } else if (auto owner = slug_owner.find(post.slug); owner != slug_owner.end()) {
          file->Reject(map["slug"] ? map["slug"] : map["title"], "slug",
                       "\"" + post.slug + "\" is already used by " + owner->second);
        }
      }
      if (auto value = Text(*file, map, "dek")) post.dek = *value;

      if (auto kind = Text(*file, map, "kind")) {
        if (*kind == "page")
          post.kind = PostKind::kPage;
        else if (*kind != "article")
          file->Reject(map["kind"], "kind", "must be article or page");
      }
      std::optional<Section> section;
      if (auto value = Text(*file, map, "section")) {
        section = FindSection(*value);
        if (!section) {
          file->Reject(map["section"], "section",
                       "no section \"" + *value + "\" (see sections.yaml)");
        } else {
          post.section_id = section->id;
        }
      }
      if (auto slugs = TextList(*file, map, "authors")) {
        for (const auto& author_slug : *slugs) {
          auto id = FindAuthor(author_slug);
          if (!id) {
            file->Reject(map["authors"], "authors",
                         "no author \"" + author_slug + "\" (add authors/" + author_slug + ".md)");
          } else if (std::find(post.author_ids.begin(), post.author_ids.end(), *id) ==
                     post.author_ids.end()) {
            post.author_ids.push_back(*id);
          }
        }
      }
      std::vector<Tag> tags;
      if (auto names = TextList(*file, map, "tags")) {
        for (const auto& name : *names) {
          Tag tag{0, Slugify(name), name};
          if (tag.slug.empty() || name.size() > 100) {
            file->Reject(map["tags"], "tags", "\"" + name + "\" is not a usable tag name");
            continue;
          }
          tags.push_back(std::move(tag));
        }
      }
      const auto date = Time(*file, map, "date", time_zone);
      post.updated_at = Time(*file, map, "updated", time_zone);
      if (auto value = Text(*file, map, "image")) {
        post.image.url = ImageUrl(*file, map["image"], "image", *value).value_or("");
      }
      if (auto value = Text(*file, map, "image_alt")) post.image.alt = *value;
      if (auto value = Text(*file, map, "image_caption")) post.image.caption = *value;
      if (auto value = Text(*file, map, "image_credit")) post.image.credit = *value;
      if (!post.image.url.empty() && post.image.alt.empty()) {
        file->Warn(map["image"], "image_alt",
                   "missing: screen-reader users will not know what the image shows");
      }
      if (auto value = Text(*file, map, "description")) post.seo.description = *value;
      if (auto value = Text(*file, map, "social_image")) {
        post.seo.social_image =
            ImageUrl(*file, map["social_image"], "social_image", *value).value_or("");
      }
      if (auto value = Text(*file, map, "canonical")) {
        if (value->starts_with("https://") || value->starts_with("http://"))
          post.seo.canonical_url = *value;
        else
          file->Reject(map["canonical"], "canonical", "must be a full https:// address");
      }
      if (auto value = Bool(*file, map, "noindex")) post.seo.noindex = *value;
      post.opinion = section ? section->opinion : false;
      if (auto value = Bool(*file, map, "opinion")) post.opinion = *value;
      if (const YAML::Node node = map["disclaimer"]; node && !node.IsNull()) {
        bool flag = true;
        if (node.IsScalar() && YAML::convert<bool>::decode(node, flag) &&
            (node.Scalar() == "false" || node.Scalar() == "true")) {
          post.disclaimer_hidden = !flag;
        } else if (auto text = Text(*file, map, "disclaimer", kMaxLongFieldBytes)) {
          post.disclaimer = *text;
        }
      }
      if (auto value = Text(*file, map, "comments")) {
        if (*value == "closed")
          post.comments_open = false;
        else if (*value != "open")
          file->Reject(map["comments"], "comments", "must be open or closed");
      }
      bool published = true;
      if (auto value = Text(*file, map, "status")) {
        if (*value == "draft")
          published = false;
        else if (*value != "published")
          file->Reject(map["status"], "status", "must be published or draft");
      }
      post.body_markdown = file->body;
      auto html = markdown::ToHtml(post.body_markdown, MarkdownOptions(*file));
      if (!html) file->RejectAt(0, "", html.error().message);
      if (!Settle(*file)) continue;
      post.body_html = std::move(*html);

      auto existing = store_.FindPost(post.slug);
      if (!existing) return tl::unexpected(existing.error());
      if (date) {
        post.published_at = *date;
      } else if (*existing && (*existing)->published_at) {
        post.published_at = (*existing)->published_at;
      } else {
        post.published_at = now_;
      }
      post.status = !published ? PostStatus::kDraft
                               : (*post.published_at > now_ ? PostStatus::kScheduled
                                                            : PostStatus::kPublished);
      for (auto& tag : tags) {
        auto id = FindOrCreateTag(tag);
        if (!id) return tl::unexpected(id.error());
        if (std::find(post.tag_ids.begin(), post.tag_ids.end(), *id) == post.tag_ids.end())
          post.tag_ids.push_back(*id);
      }
      auto id = content::Posts::Import(store_, post);
      if (!id) return tl::unexpected(id.error());
      slug_owner[post.slug] = file->relative;
      ++report_.posts;
    }
    return {};
  }

  std::vector<fs::path> MarkdownFiles(const char* folder) {
    std::vector<fs::path> files;
    std::error_code error;
    const fs::path root = folder_ / folder;
    if (!fs::is_directory(root, error)) return files;
    for (const auto& entry : fs::directory_iterator(root, error)) {
      if (entry.is_regular_file() && entry.path().extension() == ".md" &&
          entry.path().filename().string().front() != '.') {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::optional<Section> FindSection(const std::string& slug) {
    if (auto found = sections_.find(slug); found != sections_.end()) return found->second;
    auto stored = store_.FindSection(slug);
    if (!stored || !*stored) return std::nullopt;
    sections_[slug] = **stored;
    return **stored;
  }

  std::optional<std::int64_t> FindAuthor(const std::string& slug) {
    if (auto found = authors_.find(slug); found != authors_.end()) return found->second;
    auto stored = store_.FindAuthor(slug);
    if (!stored || !*stored) return std::nullopt;
    authors_[slug] = (*stored)->id;
    return (*stored)->id;
  }

  Result<std::int64_t> FindOrCreateTag(const Tag& tag) {
    if (auto found = tags_.find(tag.slug); found != tags_.end()) return found->second;
    auto stored = store_.FindTag(tag.slug);
    if (!stored) return tl::unexpected(stored.error());
    std::int64_t id;
    if (*stored) {
      id = (*stored)->id;
    } else {
      auto created = store_.UpsertTag(tag);
      if (!created) return created;
      id = *created;
    }
    tags_[tag.slug] = id;
    return id;
  }

  // Resolves an image path written in a content file: an absolute http(s) URL stays as it is; a
  // path relative to the folder must name a file inside it, which is copied to uploads/.
  std::optional<std::string> ImageUrl(SourceFile& file, const YAML::Node& node, const char* field,
                                      const std::string& value) {
    if (value.starts_with("https://") || value.starts_with("http://") ||
        value.starts_with("/uploads/"))
      return value;
    auto copied = CopyIntoUploads(value);
    if (!copied) {
      file.Reject(node, field, copied.error().message);
      return std::nullopt;
    }
    return *copied;
  }

  // Copies folder/RELATIVE to uploads/RELATIVE (once per import) and returns its URL.
  Result<std::string> CopyIntoUploads(std::string relative) {
    while (relative.starts_with("./")) relative.erase(0, 2);
    while (relative.starts_with("../")) relative.erase(0, 3);  // from posts/ to images/
    const fs::path normal = fs::path(relative).lexically_normal();
    if (relative.empty() || normal.is_absolute() || normal.string().starts_with("..") ||
        relative.find('\\') != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  "\"" + relative + "\" must be a path inside the content folder");
    }
    const std::string url = "/uploads/" + normal.generic_string();
    if (copied_.count(url) != 0) return url;
    const fs::path source = folder_ / normal;
    std::error_code error;
    if (!fs::is_regular_file(source, error)) {
      return Fail(ErrorCode::kNotFound,
                  "no file " + normal.generic_string() + " in the content folder");
    }
    if (options_.uploads_dir.empty()) return url;
    const fs::path target = options_.uploads_dir / normal;
    fs::create_directories(target.parent_path(), error);
    const bool same = fs::exists(target, error) &&
                      fs::file_size(target, error) == fs::file_size(source, error) &&
                      fs::last_write_time(target, error) >= fs::last_write_time(source, error);
    if (!same) {
      fs::copy_file(source, target, fs::copy_options::overwrite_existing, error);
      if (error)
        return Fail(ErrorCode::kIo, "cannot copy " + normal.generic_string() + " to uploads/",
                    error.message());
      ++report_.images;
    }
    copied_.insert(url);
    return url;
  }

  // Markdown options that turn relative image paths (images/…, ../images/…) into uploads URLs.
  markdown::Options MarkdownOptions(SourceFile& file) {
    markdown::Options options;
    options.allow_html = true;
    options.filter = options_.html_filter;
    options.rewrite_url = [this, &file](std::string_view url, bool is_image) -> std::string {
      const bool relative = !url.empty() && url.find(':') == std::string_view::npos &&
                            url.front() != '/' && url.front() != '#' && url.front() != '?';
      if (!is_image || !relative) return std::string(url);
      auto copied = CopyIntoUploads(std::string(url));
      if (!copied) {
        file.RejectAt(0, "body", copied.error().message);
        return std::string(url);
      }
      return *copied;
    };
    return options;
  }

  Store& store_;
  const fs::path folder_;
  const FolderOptions& options_;
  Timestamp now_;
  Publication publication_;
  FolderReport report_;
  std::map<std::string, Section> sections_;
  std::map<std::string, std::int64_t> authors_;
  std::map<std::string, std::int64_t> tags_;
  std::set<std::string> copied_;
};

}  // namespace

Result<FolderReport> ImportFolder(Store& store, const fs::path& folder,
                                  const FolderOptions& options) {
  return Importer(store, folder, options).Run();
}

}  // namespace broadsheet::importers
