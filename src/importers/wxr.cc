#include "importers/wxr.h"

#include <libxml/xmlreader.h>

#include <fmt/format.h>

#include <memory>
#include <optional>

namespace broadsheet::importers {
namespace {

constexpr size_t kMaxFieldBytes = 16 * 1024 * 1024;  // one post's content, say

// The first error libxml2 reports, with its line.
struct ParseError {
  std::string message;
  int line = 0;
};

void OnError(void* context, xmlErrorPtr reported) {
  auto* error = static_cast<ParseError*>(context);
  // Namespace names that are not strict URIs ("http://ëxample.com/") do not matter here:
  // elements are recognised by their prefixes, as WordPress's own importer does.
  if (!error->message.empty() || reported == nullptr || reported->level < XML_ERR_ERROR ||
      reported->domain == XML_FROM_NAMESPACE) {
    return;
  }
  error->message = reported->message ? reported->message : "malformed XML";
  while (!error->message.empty() &&
         (error->message.back() == '\n' || error->message.back() == ' ')) {
    error->message.pop_back();
  }
  error->line = reported->line;
}

std::string Attribute(xmlTextReaderPtr reader, const char* name) {
  xmlChar* value = xmlTextReaderGetAttribute(reader, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return {};
  std::string text(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return text;
}

// Where the reader is: the open elements' qualified names ("channel", "item", "wp:comment").
class Reader {
 public:
  Reader(xmlTextReaderPtr reader, const WxrHandler& handler) : reader_(reader), handler_(handler) {}

  Result<void> Start(const std::string& name) {
    text_.clear();
    if (In("channel") && (name == "item" || name == "wp:author" || name == "wp:category" ||
                          name == "wp:tag" || name == "wp:term")) {
      if (auto told = TellSite(); !told) return told;
    }
    if (name == "item" && In("channel")) item_.emplace();
    if (item_ && name == "wp:comment") comment_.emplace();
    if (item_ && name == "wp:postmeta") meta_.emplace();
    if (In("channel") && !item_) {
      if (name == "wp:author") author_.emplace();
      if (name == "wp:category" || name == "wp:tag") {
        term_.emplace();
        term_->category = name == "wp:category";
      }
    }
    if (item_ && !comment_ && name == "category")
      category_ = {Attribute(reader_, "domain"), Attribute(reader_, "nicename"), ""};
    if (author_ && name == "wp:meta_key") author_meta_.emplace();
    path_.push_back(name);
    return {};
  }

  Result<void> Text(const char* text) {
    text_ += text;
    if (text_.size() > kMaxFieldBytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("line {}: <{}> is longer than 16 MiB",
                              xmlTextReaderGetParserLineNumber(reader_),
                              path_.empty() ? "" : path_.back()));
    }
    return {};
  }

  Result<void> End() {
    if (path_.empty()) return {};
    const std::string name = path_.back();
    path_.pop_back();
    std::string text = std::move(text_);
    text_.clear();
    if (comment_) {
      if (name == "wp:comment") {
        item_->comments.push_back(std::move(*comment_));
        comment_.reset();
      } else {
        SetComment(name, std::move(text));
      }
      return {};
    }
    if (meta_) {
      if (name == "wp:postmeta") {
        item_->meta.push_back(std::move(*meta_));
        meta_.reset();
      } else if (name == "wp:meta_key") {
        meta_->first = std::move(text);
      } else if (name == "wp:meta_value") {
        meta_->second = std::move(text);
      }
      return {};
    }
    if (item_) {
      if (name == "item") {
        auto done = handler_.item ? handler_.item(std::move(*item_)) : Result<void>();
        item_.reset();
        if (done && handler_.progress)
          handler_.progress(static_cast<std::uint64_t>(xmlTextReaderByteConsumed(reader_)));
        return done;
      }
      SetItem(name, std::move(text));
      return {};
    }
    if (author_) {
      if (name != "wp:author") {
        SetAuthor(name, std::move(text));
        return {};
      }
      author_meta_.reset();
      auto done = handler_.author ? handler_.author(std::move(*author_)) : Result<void>();
      author_.reset();
      return done;
    }
    if (term_) {
      if (name == "wp:category" || name == "wp:tag") {
        auto done = handler_.term ? handler_.term(std::move(*term_)) : Result<void>();
        term_.reset();
        return done;
      }
      if (name == "wp:term_id") term_->id = std::move(text);
      if (name == "wp:category_nicename" || name == "wp:tag_slug") term_->slug = std::move(text);
      if (name == "wp:cat_name" || name == "wp:tag_name") term_->name = std::move(text);
      if (name == "wp:category_parent") term_->parent = std::move(text);
    }
    if (name == "channel") return TellSite();
    if (path_.size() == 2 && path_.back() == "channel") SetSite(name, std::move(text));
    return {};
  }

 private:
  bool In(const char* name) const { return !path_.empty() && path_.back() == name; }

  Result<void> TellSite() {
    if (site_told_) return {};
    site_told_ = true;
    return handler_.site ? handler_.site(std::move(site_)) : Result<void>();
  }

  void SetSite(const std::string& name, std::string text) {
    if (name == "title")
      site_.title = std::move(text);
    else if (name == "link")
      site_.link = std::move(text);
    else if (name == "wp:base_site_url")
      site_.base_site_url = std::move(text);
    else if (name == "wp:base_blog_url")
      site_.base_blog_url = std::move(text);
    else if (name == "wp:wxr_version")
      site_.wxr_version = std::move(text);
  }

  void SetItem(const std::string& name, std::string text) {
    WxrItem& item = *item_;
    if (name == "title")
      item.title = std::move(text);
    else if (name == "link")
      item.link = std::move(text);
    else if (name == "guid")
      item.guid = std::move(text);
    else if (name == "wp:post_id")
      item.post_id = std::move(text);
    else if (name == "wp:post_date")
      item.post_date = std::move(text);
    else if (name == "wp:post_date_gmt")
      item.post_date_gmt = std::move(text);
    else if (name == "wp:post_modified_gmt")
      item.modified_gmt = std::move(text);
    else if (name == "wp:comment_status")
      item.comment_status = std::move(text);
    else if (name == "wp:post_password")
      item.password = std::move(text);
    else if (name == "wp:post_name")
      item.slug = std::move(text);
    else if (name == "wp:status")
      item.status = std::move(text);
    else if (name == "wp:post_type")
      item.type = std::move(text);
    else if (name == "wp:post_parent")
      item.parent = std::move(text);
    else if (name == "dc:creator")
      item.creator = std::move(text);
    else if (name == "content:encoded")
      item.content = std::move(text);
    else if (name == "excerpt:encoded")
      item.excerpt = std::move(text);
    else if (name == "wp:attachment_url")
      item.attachment_url = std::move(text);
    else if (name == "category" && !category_.domain.empty()) {
      category_.name = std::move(text);
      item.terms.push_back(std::move(category_));
      category_ = {};
    }
  }

  void SetComment(const std::string& name, std::string text) {
    WxrComment& comment = *comment_;
    if (name == "wp:comment_id")
      comment.id = std::move(text);
    else if (name == "wp:comment_parent")
      comment.parent = std::move(text);
    else if (name == "wp:comment_author")
      comment.author = std::move(text);
    else if (name == "wp:comment_author_email")
      comment.email = std::move(text);
    else if (name == "wp:comment_author_url")
      comment.url = std::move(text);
    else if (name == "wp:comment_date_gmt")
      comment.date_gmt = std::move(text);
    else if (name == "wp:comment_content")
      comment.content = std::move(text);
    else if (name == "wp:comment_approved")
      comment.approved = std::move(text);
    else if (name == "wp:comment_type")
      comment.type = std::move(text);
  }

  void SetAuthor(const std::string& name, std::string text) {
    WxrAuthor& author = *author_;
    // Some exporters add user meta: <wp:meta_key>description</wp:meta_key><wp:meta_value>….
    if (author_meta_ && name == "wp:meta_key") {
      *author_meta_ = std::move(text);
      return;
    }
    if (author_meta_ && name == "wp:meta_value") {
      if (*author_meta_ == "description" && author.description.empty())
        author.description = std::move(text);
      author_meta_.reset();
      return;
    }
    if (name == "wp:author_id")
      author.id = std::move(text);
    else if (name == "wp:author_description" || name == "wp:author_bio")
      author.description = std::move(text);
    else if (name == "wp:author_login")
      author.login = std::move(text);
    else if (name == "wp:author_email")
      author.email = std::move(text);
    else if (name == "wp:author_display_name")
      author.display_name = std::move(text);
    else if (name == "wp:author_first_name")
      author.first_name = std::move(text);
    else if (name == "wp:author_last_name")
      author.last_name = std::move(text);
  }

  xmlTextReaderPtr reader_;
  const WxrHandler& handler_;
  std::vector<std::string> path_;
  std::string text_;
  std::optional<WxrItem> item_;
  std::optional<WxrComment> comment_;
  std::optional<std::pair<std::string, std::string>> meta_;
  std::optional<WxrAuthor> author_;
  std::optional<WxrTerm> term_;
  std::optional<std::string> author_meta_;  // the key of the user meta being read
  WxrItemTerm category_;
  WxrSite site_;
  bool site_told_ = false;
};

}  // namespace

Result<void> ReadWxr(const std::string& path, const WxrHandler& handler) {
  // No network, no entity substitution, no DTD loading: a WXR file needs none of them.
  const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlTextReader, decltype(&xmlFreeTextReader)> reader(
      path == "-" ? xmlReaderForFd(0, nullptr, nullptr, options)
                  : xmlReaderForFile(path.c_str(), nullptr, options),
      xmlFreeTextReader);
  if (!reader) return Fail(ErrorCode::kNotFound, "cannot open " + path);
  ParseError error;
  xmlTextReaderSetStructuredErrorHandler(reader.get(), OnError, &error);
  Reader state(reader.get(), handler);
  bool seen_rss = false;
  int rc;
  while ((rc = xmlTextReaderRead(reader.get())) == 1) {
    const int type = xmlTextReaderNodeType(reader.get());
    const auto* raw_name = xmlTextReaderConstName(reader.get());
    const std::string name = raw_name ? reinterpret_cast<const char*>(raw_name) : "";
    const int line = xmlTextReaderGetParserLineNumber(reader.get());
    Result<void> done;
    switch (type) {
      case XML_READER_TYPE_DOCUMENT_TYPE:
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("line {}: the file declares a DOCTYPE; WordPress exports have none, "
                        "and its entities could expand without bound",
                        line));
      case XML_READER_TYPE_ENTITY_REFERENCE:
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("line {}: the entity &{}; is not defined in XML", line, name));
      case XML_READER_TYPE_ELEMENT:
        if (!seen_rss && name != "rss") {
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("line {}: this is not a WordPress export (WXR): it starts with "
                                  "<{}>, not <rss>",
                                  line, name));
        }
        seen_rss = true;
        done = state.Start(name);
        if (done && xmlTextReaderIsEmptyElement(reader.get())) done = state.End();
        break;
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA:
      case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        if (const auto* value = xmlTextReaderConstValue(reader.get()))
          done = state.Text(reinterpret_cast<const char*>(value));
        break;
      case XML_READER_TYPE_END_ELEMENT:
        done = state.End();
        break;
      default:
        break;
    }
    if (!done) return done;
  }
  if (rc < 0 || !error.message.empty()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("line {}: the file is not well-formed XML: {}",
                    error.line ? error.line : xmlTextReaderGetParserLineNumber(reader.get()),
                    error.message.empty() ? "it ends early" : error.message));
  }
  if (!seen_rss)
    return Fail(ErrorCode::kInvalidArgument, "the file is empty: it is not a WordPress export");
  return {};
}

}  // namespace broadsheet::importers
