#include "importers/ghost.h"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "core/time.h"
#include "importers/site_writer.h"
#include "importers/uploads.h"
#include "importers/wp_content.h"
#include "markdown/markdown.h"

namespace broadsheet::importers {
namespace {

using nlohmann::json;

constexpr std::string_view kGhostUrl = "__GHOST_URL__";
constexpr int kMaxDepth = 64;

// A problem found while the parser is inside the file.
struct Problem {
  std::string message;
};

std::string IdOf(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  return {};
}

std::string TextOf(const json& record, const char* name) {
  const auto found = record.find(name);
  return found != record.end() && found->is_string() ? found->get<std::string>() : "";
}

int IntOf(const json& record, const char* name, int fallback) {
  const auto found = record.find(name);
  return found != record.end() && found->is_number_integer() ? found->get<int>() : fallback;
}

// Ghost writes times as "2023-01-05T10:00:00.000Z", older exports as milliseconds.
std::optional<Timestamp> TimeOf(const json& record, const char* name) {
  const auto found = record.find(name);
  if (found == record.end()) return std::nullopt;
  if (found->is_number()) return static_cast<Timestamp>(found->get<double>() / 1000);
  if (!found->is_string()) return std::nullopt;
  std::string text = found->get<std::string>();
  if (const size_t dot = text.find('.'); dot != std::string::npos && dot > 10) {
    const size_t end = text.find_first_not_of("0123456789", dot + 1);
    text.erase(dot, end == std::string::npos ? std::string::npos : end - dot);
  }
  auto parsed = ParseIsoTime(text, TimeZone());
  return parsed ? std::optional<Timestamp>(*parsed) : std::nullopt;
}

// Streams the export, handing each record of Ghost's tables (…"data": {"posts": [ {…}, … ]})
// to `take` and dropping it, so that memory holds one record at a time. Everything else
// (settings, members, …) is skipped the same way.
Result<void> ReadTables(const std::string& path,
                        const std::function<void(const std::string&, json&)>& take,
                        const std::function<void(std::uint64_t)>& progress = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot open " + path);
  std::vector<std::string> keys(kMaxDepth + 1);
  bool seen_data = false;
  try {
    json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth > kMaxDepth) throw Problem{"the file nests deeper than a Ghost export does"};
      if (event == json::parse_event_t::key) {
        keys[depth] = parsed.get<std::string>();
        if (keys[depth] == "data") seen_data = true;
        return true;
      }
      if (event != json::parse_event_t::object_end || depth < 2 || keys[depth - 2] != "data")
        return true;
      take(keys[depth - 1], parsed);
      if (progress) progress(static_cast<std::uint64_t>(in.tellg()));
      return false;
    };
    const json rest = json::parse(in, callback);
    (void)rest;
  } catch (const Problem& problem) {
    return Fail(ErrorCode::kInvalidArgument, problem.message);
  } catch (const json::exception& error) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("the file is not valid JSON: ") + error.what());
  }
  if (!seen_data) {
    return Fail(ErrorCode::kInvalidArgument,
                "this is not a Ghost export: it has no \"data\" with posts, tags and users");
  }
  return {};
}

// --- lexical ---

class Lexical {
 public:
  explicit Lexical(GhostReport& report) : report_(report) {}

  std::string Render(const json& node) {
    std::string out;
    Node(node, out);
    return out;
  }

 private:
  void Children(const json& node, std::string& out) {
    const auto children = node.find("children");
    if (children == node.end() || !children->is_array()) return;
    for (const json& child : *children) Node(child, out);
  }

  void Text(const json& node, std::string& out) {
    const int format = IntOf(node, "format", 0);
    static constexpr std::pair<int, const char*> kFormats[] = {
        {1, "strong"}, {2, "em"}, {4, "s"}, {8, "u"}, {16, "code"}, {32, "sub"}, {64, "sup"}};
    for (const auto& [bit, tag] : kFormats) {
      if (format & bit) out += fmt::format("<{}>", tag);
    }
    out += EscapeHtml(TextOf(node, "text"));
    for (auto it = std::rbegin(kFormats); it != std::rend(kFormats); ++it) {
      if (format & it->first) out += fmt::format("</{}>", it->second);
    }
  }

  void Figure(const std::string& inner, const std::string& caption, std::string& out) {
    out += "<figure>" + inner;
    if (!caption.empty()) out += "<figcaption>" + caption + "</figcaption>";
    out += "</figure>";
  }

  std::string Image(const json& node) {
    return "<img src=\"" + EscapeHtml(TextOf(node, "src")) + "\" alt=\"" +
           EscapeHtml(TextOf(node, "alt")) + "\">";
  }

  void Node(const json& node, std::string& out) {
    if (!node.is_object()) return;
    std::string type = TextOf(node, "type");
    if (type.starts_with("extended-")) type = type.substr(9);
    if (type == "root") return Children(node, out);
    if (type == "text") return Text(node, out);
    if (type == "linebreak") {
      out += "<br>";
    } else if (type == "tab") {
      out += "\t";
    } else if (type == "paragraph") {
      out += "<p>";
      Children(node, out);
      out += "</p>\n";
    } else if (type == "heading") {
      std::string tag = TextOf(node, "tag");
      if (tag.size() != 2 || tag[0] != 'h' || tag[1] < '1' || tag[1] > '6') tag = "h2";
      out += "<" + tag + ">";
      Children(node, out);
      out += "</" + tag + ">\n";
    } else if (type == "quote" || type == "aside") {
      out += "<blockquote>";
      Children(node, out);
      out += "</blockquote>\n";
    } else if (type == "list") {
      const std::string tag = TextOf(node, "listType") == "number" ? "ol" : "ul";
      out += "<" + tag + ">";
      Children(node, out);
      out += "</" + tag + ">\n";
    } else if (type == "listitem") {
      out += "<li>";
      Children(node, out);
      out += "</li>";
    } else if (type == "link" || type == "autolink") {
      out += "<a href=\"" + EscapeHtml(TextOf(node, "url")) + "\">";
      Children(node, out);
      out += "</a>";
    } else if (type == "horizontalrule") {
      out += "<hr>\n";
    } else if (type == "image") {
      Figure(Image(node), TextOf(node, "caption"), out);
    } else if (type == "gallery") {
      std::string images;
      for (const json& image : node.value("images", json::array())) images += Image(image);
      Figure(images, TextOf(node, "caption"), out);
    } else if (type == "codeblock") {
      out += "<pre><code>" + EscapeHtml(TextOf(node, "code")) + "</code></pre>\n";
    } else if (type == "markdown") {
      auto html = markdown::ToHtml(TextOf(node, "markdown"));
      out += html ? *html : "";
    } else if (type == "html") {
      out += TextOf(node, "html");
    } else if (type == "embed" || type == "bookmark") {
      ++report_.embeds;
      const std::string url = EscapeHtml(TextOf(node, "url"));
      std::string title = node.contains("metadata") && node["metadata"].is_object()
                              ? TextOf(node["metadata"], "title")
                              : "";
      out +=
          "<p><a href=\"" + url + "\">" + (title.empty() ? url : EscapeHtml(title)) + "</a></p>\n";
    } else if (type == "callout") {
      out += "<aside>" + TextOf(node, "calloutText") + "</aside>\n";
    } else if (type == "toggle") {
      out += "<details><summary>" + TextOf(node, "heading") + "</summary>" +
             TextOf(node, "content") + "</details>\n";
    } else if (type == "button") {
      out += "<p><a href=\"" + EscapeHtml(TextOf(node, "buttonUrl")) + "\">" +
             EscapeHtml(TextOf(node, "buttonText")) + "</a></p>\n";
    } else {
      ++report_.cards[type.empty() ? "unnamed" : type];
    }
  }

  GhostReport& report_;
};

// --- mobiledoc ---

bool IsSafeTag(const std::string& tag, std::initializer_list<const char*> allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* name) { return tag == name; });
}

class Mobiledoc {
 public:
  Mobiledoc(const json& doc, GhostReport& report) : doc_(doc), report_(report) {}

  std::string Render() {
    std::string out;
    for (const json& section : doc_.value("sections", json::array())) {
      if (!section.is_array() || section.empty() || !section[0].is_number_integer()) continue;
      switch (section[0].get<int>()) {
        case 1:  // markup section: [1, tag, markers]
          if (section.size() >= 3) Block(section[1], section[2], out);
          break;
        case 2:  // image section: [2, src]
          if (section.size() >= 2 && section[1].is_string())
            out += "<figure><img src=\"" + EscapeHtml(section[1].get<std::string>()) +
                   "\" alt=\"\"></figure>\n";
          break;
        case 3:  // list section: [3, tag, [markers, …]]
          if (section.size() >= 3) List(section[1], section[2], out);
          break;
        case 10:  // card section: [10, card index]
          if (section.size() >= 2 && section[1].is_number_integer())
            Card(section[1].get<int>(), out);
          break;
        default:
          break;
      }
    }
    return out;
  }

 private:
  void Block(const json& tag_value, const json& markers, std::string& out) {
    std::string tag = tag_value.is_string() ? LowerAscii(tag_value.get<std::string>()) : "p";
    if (tag == "pull-quote" || tag == "aside") tag = "blockquote";
    if (!IsSafeTag(tag, {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})) tag = "p";
    out += "<" + tag + ">" + Markers(markers) + "</" + tag + ">\n";
  }

  void List(const json& tag_value, const json& items, std::string& out) {
    const std::string tag =
        tag_value.is_string() && tag_value.get<std::string>() == "ol" ? "ol" : "ul";
    out += "<" + tag + ">";
    if (items.is_array()) {
      for (const json& item : items) out += "<li>" + Markers(item) + "</li>";
    }
    out += "</" + tag + ">\n";
  }

  // Text runs with their markups opened and closed as the markers say.
  std::string Markers(const json& markers) {
    std::string out;
    std::vector<std::string> open;
    if (!markers.is_array()) return out;
    for (const json& marker : markers) {
      if (!marker.is_array() || marker.size() < 4) continue;
      for (const json& index : marker[1]) out += OpenMarkup(index, open);
      if (marker[0] == 0 && marker[3].is_string()) {
        out += EscapeHtml(marker[3].get<std::string>());
      } else if (marker[0] == 1 && marker[3].is_number_integer()) {
        out += Atom(marker[3].get<int>());
      }
      const int closing = marker[2].is_number_integer() ? marker[2].get<int>() : 0;
      for (int i = 0; i < closing && !open.empty(); ++i) {
        out += "</" + open.back() + ">";
        open.pop_back();
      }
    }
    while (!open.empty()) {
      out += "</" + open.back() + ">";
      open.pop_back();
    }
    return out;
  }

  std::string OpenMarkup(const json& index, std::vector<std::string>& open) {
    const json& markups = doc_.contains("markups") ? doc_["markups"] : json::array();
    if (!index.is_number_integer() || index.get<int>() < 0 ||
        static_cast<size_t>(index.get<int>()) >= markups.size()) {
      return {};
    }
    const json& markup = markups[index.get<int>()];
    if (!markup.is_array() || markup.empty() || !markup[0].is_string()) return {};
    std::string tag = LowerAscii(markup[0].get<std::string>());
    if (!IsSafeTag(tag, {"a", "b", "code", "em", "i", "s", "strong", "sub", "sup", "u"}))
      tag = "span";
    std::string attributes;
    if (tag == "a" && markup.size() > 1 && markup[1].is_array()) {
      const json& pairs = markup[1];
      for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
        if (pairs[i] == "href" && pairs[i + 1].is_string())
          attributes = " href=\"" + EscapeHtml(pairs[i + 1].get<std::string>()) + "\"";
      }
    }
    open.push_back(tag);
    return "<" + tag + attributes + ">";
  }

  std::string Atom(int index) {
    const json& atoms = doc_.contains("atoms") ? doc_["atoms"] : json::array();
    if (index < 0 || static_cast<size_t>(index) >= atoms.size() || !atoms[index].is_array() ||
        atoms[index].size() < 2) {
      return {};
    }
    if (atoms[index][0] == "soft-return") return "<br>";
    return atoms[index][1].is_string() ? EscapeHtml(atoms[index][1].get<std::string>()) : "";
  }

  void Card(int index, std::string& out) {
    const json& cards = doc_.contains("cards") ? doc_["cards"] : json::array();
    if (index < 0 || static_cast<size_t>(index) >= cards.size() || !cards[index].is_array() ||
        cards[index].size() < 2 || !cards[index][0].is_string()) {
      return;
    }
    const std::string name = cards[index][0].get<std::string>();
    const json& payload = cards[index][1];
    if (!payload.is_object()) return;
    // Lexical nodes carry the same fields as mobiledoc cards of the same name.
    json node = payload;
    node["type"] = name == "card-markdown" ? "markdown" : name == "code" ? "codeblock" : name;
    if (name == "hr") node["type"] = "horizontalrule";
    out += Lexical(report_).Render(node);
  }

  const json& doc_;
  GhostReport& report_;
};

// --- the import ---

struct GhostTag {
  std::string name, slug;
  bool internal = false;
};

struct GhostUser {
  std::string name, slug, email, bio, image, website;
};

struct GhostMeta {
  std::string alt, caption, description, social_image;
};

class Importer {
 public:
  Importer(Store& store, const GhostOptions& options)
      : store_(store),
        html_filter_(options.html_filter),
        site_(store, "ghost"),
        uploads_(options.images_from, options.uploads_dir, "ghost", "/content/images/",
                 [this](const std::string& old, const std::string& address) {
                   return site_.Redirect(old, address);
                 }) {}

  // First pass: everything but the posts.
  void Collect(const std::string& table, const json& record) {
    try {
      Remember(table, record);
    } catch (const json::exception& error) {
      throw Problem{
          fmt::format("{} {}: {}", table, IdOf(record.value("id", json())), error.what())};
    }
  }

  void Remember(const std::string& table, const json& record) {
    if (table == "tags") {
      GhostTag tag{TextOf(record, "name"), TextOf(record, "slug"), false};
      tag.internal = TextOf(record, "visibility") == "internal" || tag.name.starts_with('#');
      tags_[IdOf(record.value("id", json()))] = tag;
    } else if (table == "users") {
      users_[IdOf(record.value("id", json()))] = {
          TextOf(record, "name"), TextOf(record, "slug"),          TextOf(record, "email"),
          TextOf(record, "bio"),  TextOf(record, "profile_image"), TextOf(record, "website")};
    } else if (table == "posts_tags" || table == "posts_authors") {
      auto& links = table == "posts_tags" ? post_tags_ : post_authors_;
      auto& list = links[IdOf(record.value("post_id", json()))];
      const std::string other =
          IdOf(record.value(table == "posts_tags" ? "tag_id" : "author_id", json()));
      list.emplace_back(IntOf(record, "sort_order", static_cast<int>(list.size())), other);
    } else if (table == "posts_meta") {
      meta_[IdOf(record.value("post_id", json()))] = {
          TextOf(record, "feature_image_alt"), TextOf(record, "feature_image_caption"),
          TextOf(record, "meta_description"), TextOf(record, "og_image")};
    } else if (table == "posts") {
      ++posts_seen_;
    }
  }

  int posts_seen() const { return posts_seen_; }

  // Second pass: the posts, one at a time.
  void AddPost(const json& record) {
    Result<void> done;
    try {
      done = Write(record);
    } catch (const json::exception& error) {
      done = Fail(ErrorCode::kInvalidArgument, error.what());
    }
    if (!done) {
      throw Problem{fmt::format("post \"{}\": {}", TextOf(record, "slug"), done.error().message)};
    }
  }

  void RemoveCopies() { uploads_.RemoveCopies(); }

  // Writes what is still waiting, inside the import's transaction.
  Result<void> Finish() { return site_.Flush(); }

  GhostReport Report() {
    report_.images_copied = uploads_.copied();
    report_.redirects = site_.redirects();
    report_.notes = site_.notes();
    return std::move(report_);
  }

 private:
  // A Ghost address as a site path: __GHOST_URL__ (the old site) dropped; the file copied when
  // it is under content/images and the images folder was given.
  Result<std::string> Address(std::string url) {
    if (url.starts_with(kGhostUrl)) url = url.substr(kGhostUrl.size());
    auto local = uploads_.Copy(url);
    if (!local) return tl::unexpected(local.error());
    return *local ? **local : url;
  }

  Result<std::string> Body(const json& record) {
    std::string html = TextOf(record, "html");
    if (Trim(html).empty()) {
      const std::string lexical = TextOf(record, "lexical");
      const std::string mobiledoc = TextOf(record, "mobiledoc");
      if (!lexical.empty()) {
        html = LexicalToHtml(lexical, report_);
        ++report_.converted;
      } else if (!mobiledoc.empty()) {
        html = MobiledocToHtml(mobiledoc, report_);
        ++report_.converted;
      }
    }
    // __GHOST_URL__ stands for the old site's address; what follows is a path.
    std::string out;
    for (size_t at = 0, found; at < html.size(); at = found + kGhostUrl.size()) {
      found = html.find(kGhostUrl, at);
      out.append(html, at, found == std::string::npos ? std::string::npos : found - at);
      if (found == std::string::npos) break;
    }
    auto local = uploads_.Rewrite(std::move(out));
    if (!local) return local;
    return AutoParagraphs(*local, false);
  }

  Result<std::int64_t> AuthorFor(const std::string& user_id) {
    if (auto known = authors_.find(user_id); known != authors_.end()) return known->second;
    auto user = users_.find(user_id);
    if (user == users_.end()) {
      return Fail(ErrorCode::kInvalidArgument, "author " + user_id + " is not among the users");
    }
    const GhostUser& ghost = user->second;
    std::string slug = SlugStem(ghost.slug.empty() ? ghost.name : ghost.slug);
    if (slug.empty()) slug = "author-" + std::to_string(authors_.size() + 1);
    auto image = Address(ghost.image);
    if (!image) return tl::unexpected(image.error());
    auto id = site_.UseAuthor(
        "user", user_id, slug,
        [&](Author& author) {
          author.name = ghost.name.empty() ? slug : ghost.name;
          author.email = ghost.email;
          author.avatar = *image;
          author.bio_markdown = AutoParagraphs(EscapeHtml(ghost.bio), true);
          auto html = markdown::ToHtml(author.bio_markdown);
          author.bio_html = html ? *html : "";
        },
        report_.authors);
    if (!id) return id;
    authors_[user_id] = *id;
    return id;
  }

  Result<std::int64_t> SectionFor(const std::string& tag_id, const GhostTag& tag) {
    if (auto known = sections_.find(tag_id); known != sections_.end()) return known->second;
    std::string slug = SlugStem(tag.slug.empty() ? tag.name : tag.slug);
    if (slug.empty()) slug = "section-" + std::to_string(sections_.size() + 1);
    auto id = site_.UseSection(
        "section", tag_id, slug, [&](Section& section) { section.name = tag.name; },
        report_.sections);
    if (!id) return id;
    auto record = site_.Imported("section", tag_id);
    if (!record) return tl::unexpected(record.error());
    // Ghost's archive of the tag now lives at the section.
    if (auto redirected =
            site_.RedirectArchive("/tag/" + tag.slug + "/", "/section/" + (*record)->detail + "/");
        !redirected) {
      return tl::unexpected(redirected.error());
    }
    sections_[tag_id] = *id;
    return id;
  }

  Result<std::int64_t> TagFor(const std::string& tag_id, const GhostTag& tag) {
    if (auto known = tags_made_.find(tag_id); known != tags_made_.end()) return known->second;
    std::string slug = SlugStem(tag.slug.empty() ? tag.name : tag.slug);
    if (slug.empty()) slug = "tag-" + std::to_string(tags_made_.size() + 1);
    auto id = site_.UseTag(
        "tag", tag_id, slug, [&](Tag& made) { made.name = tag.name; }, report_.tags);
    if (!id) return id;
    tags_made_[tag_id] = *id;
    return id;
  }

  template <typename Links>
  static std::vector<std::string> Ordered(const Links& links, const std::string& post_id) {
    auto found = links.find(post_id);
    if (found == links.end()) return {};
    auto list = found->second;
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> ids;
    for (const auto& [order, id] : list) ids.push_back(id);
    return ids;
  }

  Result<void> Write(const json& record) {
    const std::string id = IdOf(record.value("id", json()));
    if (id.empty()) {
      ++report_.skipped["posts without an id"];
      return {};
    }
    const bool page = TextOf(record, "type") == "page" ||
                      (record.contains("page") && (record["page"] == true || record["page"] == 1));
    const std::string what = page ? "pages" : "posts";
    Post post;
    post.kind = page ? PostKind::kPage : PostKind::kArticle;
    const std::string status = TextOf(record, "status");
    if (status == "published") {
      post.status = PostStatus::kPublished;
    } else if (status == "scheduled") {
      post.status = PostStatus::kScheduled;
    } else if (status == "sent") {
      post.status = PostStatus::kDraft;
      ++report_.skipped["email-only " + what + " made drafts"];
    } else {
      post.status = PostStatus::kDraft;
    }
    const std::string visibility = TextOf(record, "visibility");
    if (!visibility.empty() && visibility != "public" && post.status != PostStatus::kDraft) {
      post.status = PostStatus::kDraft;
      ++report_.skipped["members-only " + what + " made drafts (Broadsheet has no paywall)"];
    }
    post.title = PlainText(TextOf(record, "title"));
    if (post.title.empty()) post.title = "Untitled";
    post.dek = PlainText(TextOf(record, "custom_excerpt"));
    post.published_at = TimeOf(record, "published_at");
    post.created_at = TimeOf(record, "created_at").value_or(0);
    if (!post.published_at && post.status != PostStatus::kDraft) post.published_at = Now();
    if (auto updated = TimeOf(record, "updated_at");
        updated && post.published_at && *updated > *post.published_at) {
      post.updated_at = updated;
    }
    auto body = Body(record);
    if (!body) return tl::unexpected(body.error());
    markdown::Options body_options;
    body_options.filter = html_filter_;
    body_options.removed = &report_.html_removed;
    auto html = markdown::ToHtml(*body, body_options);
    if (!html) {
      ++report_.skipped[what + " whose content is over 4 MiB or not text"];
      site_.Note(fmt::format("\"{}\" was not imported: {}", post.title, html.error().message));
      return {};
    }
    post.body_markdown = std::move(*body);
    post.body_html = std::move(*html);

    const GhostMeta meta = meta_.count(id) ? meta_[id] : GhostMeta{};
    if (const std::string image = TextOf(record, "feature_image"); !image.empty()) {
      auto address = Address(image);
      if (!address) return tl::unexpected(address.error());
      post.image.url = *address;
      post.image.alt = meta.alt.empty() ? TextOf(record, "feature_image_alt") : meta.alt;
      post.image.caption =
          PlainText(meta.caption.empty() ? TextOf(record, "feature_image_caption") : meta.caption);
    }
    post.seo.description =
        meta.description.empty() ? TextOf(record, "meta_description") : meta.description;
    post.seo.canonical_url = TextOf(record, "canonical_url");
    if (!meta.social_image.empty()) {
      auto address = Address(meta.social_image);
      if (!address) return tl::unexpected(address.error());
      post.seo.social_image = *address;
    }

    std::vector<std::string> authors = Ordered(post_authors_, id);
    if (authors.empty() && record.contains("author_id"))
      authors.push_back(IdOf(record["author_id"]));
    for (const std::string& user_id : authors) {
      auto author = AuthorFor(user_id);
      if (!author) return tl::unexpected(author.error());
      post.author_ids.push_back(*author);
    }
    bool primary = true;
    for (const std::string& tag_id : Ordered(post_tags_, id)) {
      auto tag = tags_.find(tag_id);
      if (tag == tags_.end()) continue;
      if (tag->second.internal) {
        ++report_.skipped["internal tags on posts (#…, for Ghost's own use)"];
        continue;
      }
      if (primary && !page) {
        auto section = SectionFor(tag_id, tag->second);
        if (!section) return tl::unexpected(section.error());
        post.section_id = *section;
      } else {
        auto made = TagFor(tag_id, tag->second);
        if (!made) return tl::unexpected(made.error());
        post.tag_ids.push_back(*made);
      }
      primary = false;
    }

    auto saved = site_.SavePost("post", id, post, TextOf(record, "slug"), "post-" + id);
    if (!saved) return tl::unexpected(saved.error());
    if (!*saved) {
      ++report_.skipped[what + " deleted on this site since an earlier import"];
      return {};
    }
    auto& count = page ? report_.pages : report_.articles;
    ++((*saved)->existed ? count.existing : count.created);
    // Ghost's address was /SLUG/: where the slug could not be kept, the old one redirects.
    if (const std::string old = TextOf(record, "slug"); !old.empty())
      return site_.Redirect("/" + old + "/", "/" + post.slug + "/");
    return {};
  }

  Store& store_;
  markdown::FilterOptions html_filter_;
  SiteWriter site_;
  UploadCopier uploads_;
  GhostReport report_;
  int posts_seen_ = 0;
  std::unordered_map<std::string, GhostTag> tags_;
  std::unordered_map<std::string, GhostUser> users_;
  std::unordered_map<std::string, std::vector<std::pair<int, std::string>>> post_tags_,
      post_authors_;
  std::unordered_map<std::string, GhostMeta> meta_;
  std::unordered_map<std::string, std::int64_t> authors_, sections_, tags_made_;
};

}  // namespace

namespace {

// An editor document as JSON; nothing when it is not JSON or nests deeper than real documents
// do (rendering and copying it would recurse that deep).
json ParseDocument(std::string_view text, GhostReport& report) {
  json::parser_callback_t shallow = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth) throw Problem{"too deep"};
    return true;
  };
  try {
    json doc = json::parse(text, shallow);
    if (doc.is_object()) return doc;
  } catch (const Problem&) {
  } catch (const json::exception&) {
  }
  ++report.skipped["posts whose lexical or mobiledoc could not be read (left empty)"];
  return nullptr;
}

}  // namespace

std::string LexicalToHtml(std::string_view lexical, GhostReport& report) {
  const json doc = ParseDocument(lexical, report);
  if (doc.is_null()) return {};
  return Lexical(report).Render(doc.contains("root") ? doc["root"] : doc);
}

std::string MobiledocToHtml(std::string_view mobiledoc, GhostReport& report) {
  const json doc = ParseDocument(mobiledoc, report);
  if (doc.is_null()) return {};
  return Mobiledoc(doc, report).Render();
}

Result<GhostReport> ImportGhost(Store& store, const std::string& path,
                                const GhostOptions& options) {
  if (path == "-") {
    return Fail(ErrorCode::kInvalidArgument,
                "a Ghost export is read twice (its tables, then its posts): give a file, not -");
  }
  Importer importer(store, options);
  auto collected = ReadTables(
      path, [&](const std::string& table, json& record) { importer.Collect(table, record); });
  if (!collected) return tl::unexpected(collected.error());
  auto done = store.InTransaction([&]() -> Result<void> {
    auto read = ReadTables(
        path,
        [&](const std::string& table, json& record) {
          if (table == "posts") importer.AddPost(record);
        },
        options.progress);
    if (!read) return read;
    return importer.Finish();
  });
  if (!done) {
    importer.RemoveCopies();
    return tl::unexpected(done.error());
  }
  return importer.Report();
}

}  // namespace broadsheet::importers
