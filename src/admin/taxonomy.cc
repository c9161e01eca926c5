// The desk's sections, tags, author profiles and site settings.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "content/publication.h"
#include "content/records.h"
#include "core/text.h"
#include "http/status.h"

namespace broadsheet::admin {
namespace {

using auth::Action;
using content::ContrastAgainstWhite;
using http::Request;
using http::Response;

// Whether an uploaded file is an SVG drawing, by its name, its declared type or its first bytes.
bool LooksLikeSvg(const http::Request::File& file) {
  std::string name = file.filename;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.ends_with(".svg") || name.ends_with(".svgz")) return true;
  if (file.content_type.find("svg") != std::string::npos) return true;
  std::string start = file.data.substr(0, 1024);
  for (char& c : start) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return start.find("<svg") != std::string::npos;
}

std::string Field(const std::vector<std::pair<std::string, std::string>>& fields, const char* name,
                  size_t limit) {
  return std::string(Trim(http::FieldValue(fields, name))).substr(0, limit);
}

std::vector<std::string> FieldValues(const std::vector<std::pair<std::string, std::string>>& fields,
                                     std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : fields) {
    if (key == name) values.push_back(value);
  }
  return values;
}

// The theme's accent colour (themes/default/assets/style.css, --accent), shown when none is set.
constexpr const char* kThemeAccent = "#9b1c1c";

// The Settings page's branding part: logo and favicon choices from the media library, the accent
// colour with its contrast, the time zones, and the menu's rows.
Result<nlohmann::json> BrandingView(Store& store, const Publication& shown,
                                    const std::string& title) {
  nlohmann::json view;
  auto media = store.ListMedia(200, 0);
  if (!media) return tl::unexpected(media.error());
  auto choices = [&](const std::string& current, const char* none) {
    nlohmann::json list = nlohmann::json::array();
    list.push_back({{"value", ""}, {"label", none}, {"selected", current.empty()}});
    bool found = current.empty();
    for (const auto& item : *media) {
      const std::string label = item.alt.empty() ? item.original_name : item.alt;
      list.push_back({{"value", item.url},
                      {"label", label + " (" + std::to_string(item.width) + "\u00d7" +
                                    std::to_string(item.height) + ")"},
                      {"selected", item.url == current}});
      found = found || item.url == current;
    }
    if (!found) list.push_back({{"value", current}, {"label", current}, {"selected", true}});
    return list;
  };
  view["logo_choices"] = choices(shown.logo, "None: the title in text");
  view["favicon_choices"] = choices(shown.favicon, "The theme's icon");
  view["logo_url"] = shown.logo;
  view["logo_alt"] = title;
  view["favicon_url"] = shown.favicon;
  view["accent_chosen"] = !shown.accent_color.empty();
  view["accent_color"] = shown.accent_color.empty() ? kThemeAccent : shown.accent_color;
  const double contrast = ContrastAgainstWhite(view["accent_color"].get<std::string>());
  if (!shown.accent_color.empty() && contrast < content::kMinimumContrast) {
    view["accent_warning"] = fmt::format(
        "This colour's contrast against white is {:.1f}:1; links and buttons in it are hard to "
        "read below {:.1f}:1. Choose a darker colour.",
        contrast, content::kMinimumContrast);
  }
  // Time zones, grouped by their region ("America/New_York" under America).
  nlohmann::json groups = nlohmann::json::array();
  bool zone_listed = false;
  auto add_zone = [&](const std::string& group, const std::string& name) {
    if (groups.empty() || groups.back()["group"] != group)
      groups.push_back({{"group", group}, {"zones", nlohmann::json::array()}});
    const bool selected = name == shown.timezone;
    zone_listed = zone_listed || selected;
    groups.back()["zones"].push_back({{"name", name}, {"selected", selected}});
  };
  add_zone("Universal", "UTC");
  for (const auto& name : TimeZone::Names()) {
    const auto slash = name.find('/');
    if (slash == std::string::npos || name.starts_with("Etc/")) continue;
    add_zone(name.substr(0, slash), name);
  }
  // A zone the list does not hold (an alias such as US/Eastern) stays selectable.
  if (!zone_listed) add_zone("Current", shown.timezone);
  view["timezone_groups"] = groups;
  // The menu's rows, then an empty one to add an entry.
  auto sections = store.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  PostQuery pages_query;
  pages_query.kind = PostKind::kPage;
  pages_query.now = Now();
  pages_query.limit = 100;
  pages_query.bodies = false;
  auto pages = store.ListPublishedPosts(pages_query);
  if (!pages) return tl::unexpected(pages.error());
  auto items = content::ParseNavigation(shown.navigation, false);
  if (!items) items = std::vector<content::NavigationItem>{};
  auto item_choices = [&](const std::string& chosen) {
    nlohmann::json list = nlohmann::json::array();
    list.push_back({{"value", ""}, {"label", "(none)"}, {"selected", chosen.empty()}});
    for (const auto& section : *sections) {
      const std::string value = "section:" + section.slug;
      list.push_back(
          {{"value", value}, {"label", "Section: " + section.name}, {"selected", chosen == value}});
    }
    for (const auto& page : *pages) {
      const std::string value = "page:" + page.post.slug;
      list.push_back(
          {{"value", value}, {"label", "Page: " + page.post.title}, {"selected", chosen == value}});
    }
    list.push_back({{"value", "link"},
                    {"label", "External link (address beside)"},
                    {"selected", chosen == "link"}});
    return list;
  };
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < items->size(); ++i) {
    const auto& item = (*items)[i];
    const std::string chosen =
        item.kind == content::NavigationItem::Kind::kLink
            ? "link"
            : std::string(content::NavigationKindName(item.kind)) + ":" + item.target;
    rows.push_back({{"index", i},
                    {"number", i + 1},
                    {"choices", item_choices(chosen)},
                    {"url", item.kind == content::NavigationItem::Kind::kLink ? item.target : ""},
                    {"label", item.label},
                    {"first", i == 0},
                    {"last", i + 1 == items->size()}});
  }
  view["menu_rows"] = rows;
  view["menu_default"] = rows.empty();
  view["menu_new"] = {
      {"index", items->size()}, {"number", items->size() + 1}, {"choices", item_choices("")}};
  return view;
}

// The menu as the Settings form sends it: rows of nav_item ("section:SLUG", "page:SLUG", "link"
// or "" for an unused row), nav_url and nav_label, in order; `nav_move` ("up:N", "down:N",
// "remove:N") moves or removes row N first. kInvalidArgument for an entry that is not one.
Result<std::vector<content::NavigationItem>> MenuFromForm(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> kinds, urls, labels;
  for (const auto& [name, value] : fields) {
    if (kinds.size() > 2 * content::kMaxNavigationItems) break;
    if (name == "nav_item") kinds.push_back(value);
    if (name == "nav_url") urls.push_back(std::string(Trim(value)).substr(0, 1000));
    if (name == "nav_label") labels.push_back(std::string(Trim(value)).substr(0, 1000));
  }
  struct Row {
    std::string kind, url, label;
  };
  std::vector<Row> rows;
  for (size_t i = 0; i < kinds.size(); ++i) {
    rows.push_back({kinds[i], i < urls.size() ? urls[i] : "", i < labels.size() ? labels[i] : ""});
  }
  const std::string move = http::FieldValue(fields, "nav_move");
  if (const auto colon = move.find(':'); colon != std::string::npos) {
    size_t at = 0;
    const std::string number = move.substr(colon + 1);
    const std::string how = move.substr(0, colon);
    if (std::from_chars(number.data(), number.data() + number.size(), at).ec == std::errc() &&
        at < rows.size()) {
      if (how == "up" && at > 0) std::swap(rows[at], rows[at - 1]);
      if (how == "down" && at + 1 < rows.size()) std::swap(rows[at], rows[at + 1]);
      if (how == "remove") rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  std::vector<content::NavigationItem> items;
  for (const auto& row : rows) {
    if (row.kind.empty()) continue;  // the empty row for a new entry, left empty
    content::NavigationItem item;
    item.label = row.label;
    if (row.kind == "link") {
      item.kind = content::NavigationItem::Kind::kLink;
      item.target = row.url;
    } else if (row.kind.starts_with("section:")) {
      item.kind = content::NavigationItem::Kind::kSection;
      item.target = row.kind.substr(8);
    } else if (row.kind.starts_with("page:")) {
      item.kind = content::NavigationItem::Kind::kPage;
      item.target = row.kind.substr(5);
    } else {
      return Fail(ErrorCode::kInvalidArgument,
                  "a menu entry is neither a section, a page nor a link");
    }
    items.push_back(std::move(item));
  }
  if (auto checked = content::CheckNavigation(items); !checked)
    return tl::unexpected(checked.error());
  return items;
}

// The menu's rows as typed, unchecked and in order, to show them again with an error.
std::vector<content::NavigationItem> TypedMenu(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  const auto kinds = FieldValues(fields, "nav_item");
  const auto urls = FieldValues(fields, "nav_url");
  const auto labels = FieldValues(fields, "nav_label");
  std::vector<content::NavigationItem> typed;
  for (size_t i = 0; i < kinds.size() && typed.size() < content::kMaxNavigationItems; ++i) {
    const std::string& kind = kinds[i];
    if (kind.empty()) continue;
    content::NavigationItem item;
    item.kind = kind == "link"              ? content::NavigationItem::Kind::kLink
                : kind.starts_with("page:") ? content::NavigationItem::Kind::kPage
                                            : content::NavigationItem::Kind::kSection;
    item.target = kind == "link" ? (i < urls.size() ? urls[i].substr(0, 1000) : "")
                                 : kind.substr(kind.find(':') + 1);
    item.label = i < labels.size() ? labels[i].substr(0, 1000) : "";
    typed.push_back(std::move(item));
  }
  return typed;
}

}  // namespace

Result<Response> Desk::TaxonomyPage(const auth::Viewer& viewer, int status,
                                    const std::string& notice, const std::string& error,
                                    const std::optional<Section>& typed_section,
                                    const std::optional<Author>& typed_author, bool typed_new,
                                    const std::string& open_author) const {
  auto sections = store_.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  auto tags = store_.ListTags();
  if (!tags) return tl::unexpected(tags.error());
  auto authors = store_.ListAuthors();
  if (!authors) return tl::unexpected(authors.error());
  nlohmann::json section_rows = nlohmann::json::array();
  // What the person typed, when a save failed, replaces what is stored (or fills the new form).
  auto section_row = [](const Section& section) {
    return nlohmann::json{{"slug", section.slug},
                          {"name", section.name},
                          {"description", section.description},
                          {"position", section.position},
                          {"opinion", section.opinion},
                          {"disclaimer", section.disclaimer.value_or("")}};
  };
  auto author_row = [](const Author& author) {
    return nlohmann::json{
        {"slug", author.slug},     {"name", author.name},   {"credentials", author.credentials},
        {"avatar", author.avatar}, {"email", author.email}, {"bio", author.bio_markdown}};
  };
  for (const auto& stored : *sections) {
    const bool typed = typed_section && !typed_new && typed_section->slug == stored.slug;
    const Section& section = typed ? *typed_section : stored;
    section_rows.push_back({{"slug", section.slug},
                            {"name", section.name},
                            {"description", section.description},
                            {"position", section.position},
                            {"opinion", section.opinion},
                            {"disclaimer", section.disclaimer.value_or("")}});
  }
  nlohmann::json tag_rows = nlohmann::json::array();
  for (const auto& tag : *tags) tag_rows.push_back({{"slug", tag.slug}, {"name", tag.name}});
  nlohmann::json author_rows = nlohmann::json::array();
  for (const auto& stored : *authors) {
    const bool typed = typed_author && !typed_new && typed_author->slug == stored.slug;
    const Author& author = typed ? *typed_author : stored;
    author_rows.push_back({{"slug", author.slug},
                           {"open", author.slug == open_author},
                           {"name", author.name},
                           {"credentials", author.credentials},
                           {"avatar", author.avatar},
                           {"email", author.email},
                           {"bio", author.bio_markdown}});
  }
  nlohmann::json view = {{"title", "Sections, tags and authors"},
                         {"sections", section_rows},
                         {"tags", tag_rows},
                         {"authors", author_rows},
                         {"notice", notice},
                         {"error", error}};
  if (typed_new && typed_section) view["new_section"] = section_row(*typed_section);
  if (typed_new && typed_author) view["new_author"] = author_row(*typed_author);
  return Render("sections", std::move(view), status, viewer);
}

Result<Response> Desk::Taxonomy(const Request& request) const {
  auto viewer = Require(request, false, auth::Action::kManageTaxonomy,
                        "Only editors manage sections, tags and authors.");
  if (!viewer) return Denied(request, viewer.error());
  // ?author=SLUG opens that profile's form (the users page links each account's profile here).
  return TaxonomyPage(*viewer, 200, request.QueryParam("done") ? "Saved." : "", "", std::nullopt,
                      std::nullopt, false, request.QueryParam("author").value_or(""));
}

Result<Response> Desk::ChangeTaxonomy(const Request& request) const {
  auto viewer = Require(request, true);
  if (!viewer) return Denied(request, viewer.error());
  const bool authors = request.path == "/admin/authors";
  const Action needed = authors ? Action::kManageAuthors : Action::kManageTaxonomy;
  if (!auth::Can(viewer->role, needed)) {
    return Fail(ErrorCode::kForbidden, "Only editors manage sections, tags and authors.");
  }
  const auto fields = request.FormFields();
  const std::string action = http::FieldValue(fields, "do");
  const std::string name = Field(fields, "name", 200);
  const std::string slug = Field(fields, "slug", 200);
  auto refuse = [&](const std::string& error) { return TaxonomyPage(*viewer, 422, "", error); };
  auto done = [&](const std::string& audit) -> Result<Response> {
    Audit(*viewer, audit, std::nullopt, slug);
    return Response::Redirect(303, "/admin/sections?done=1");
  };

  if (request.path == "/admin/tags") {
    auto changed = action == "delete" ? content::DeleteTag(store_, slug)
                                      : content::RenameTag(store_, slug, name);
    if (!changed && changed.error().code == ErrorCode::kInvalidArgument)
      return refuse(changed.error().message);
    if (!changed) return tl::unexpected(changed.error());
    return done("tag-" + (action.empty() ? std::string("rename") : action));
  }
  if (request.path == "/admin/sections" && action == "delete") {
    if (auto deleted = content::DeleteSection(store_, slug); !deleted)
      return tl::unexpected(deleted.error());
    return done("section-delete");
  }
  const bool adding = action == "add";
  // A save that fails shows the form again with what the person typed.
  auto failed = [&](const Error& error, const std::optional<Section>& section,
                    const std::optional<Author>& author) -> Result<Response> {
    if (error.code == ErrorCode::kInvalidArgument) return refuse(error.message);
    if (!IsSaveFailure(error)) return tl::unexpected(error);
    return AsSaveFailure(
        TaxonomyPage(*viewer, 500, "", SaveFailureMessage(error), section, author, adding), error);
  };

  if (authors) {
    Author author;
    author.slug = slug;
    author.name = name;
    author.credentials = Field(fields, "credentials", 300);
    author.avatar = Field(fields, "avatar", 500);
    author.email = Field(fields, "email", 254);
    author.bio_markdown = std::string(http::FieldValue(fields, "bio")).substr(0, 20000);
    if (auto saved = content::SaveAuthor(store_, author, adding); !saved)
      return failed(saved.error(), std::nullopt, author);
    return done(adding ? "author-add" : "author-save");
  }

  Section section;
  section.slug = slug;
  section.name = name;
  section.description = Field(fields, "description", 2000);
  section.opinion = http::FieldValue(fields, "opinion") == "1";
  section.disclaimer = Field(fields, "disclaimer", 5000);
  const std::string position = Field(fields, "position", 10);
  section.position = -1;  // blank or not a number: unchanged
  if (int value = 0;
      std::from_chars(position.data(), position.data() + position.size(), value).ec == std::errc())
    section.position = std::max(value, 0);
  if (auto saved = content::SaveSection(store_, section, adding); !saved)
    return failed(saved.error(), section, std::nullopt);
  return done(adding ? "section-add" : "section-save");
}

Result<Response> Desk::SettingsPage(const auth::Viewer& viewer, int status,
                                    const Publication& shown, const std::string& notice,
                                    const std::string& error,
                                    const std::map<std::string, std::string>* typed,
                                    const std::string& invalid) const {
  // A desk setting as the refused form had it, else as stored.
  auto typed_value = [&](const std::string& key) -> std::optional<std::string> {
    if (typed == nullptr) return std::nullopt;
    auto found = typed->find(key);
    if (found == typed->end()) return std::nullopt;
    return found->second;
  };
  auto effective = publication_();
  if (!effective) return tl::unexpected(effective.error());
  auto stored = store_.LoadPublication();
  if (!stored) return tl::unexpected(stored.error());
  std::string overridden;
  auto note = [&](const char* name, const std::string& a, const std::string& b) {
    if (a != b) overridden += (overridden.empty() ? "" : ", ") + std::string(name);
  };
  note("title", effective->title, stored->title);
  note("description", effective->description, stored->description);
  note("public address", effective->base_url, stored->base_url);
  note("disclaimer", effective->disclaimer, stored->disclaimer);
  note("time zone", effective->timezone, stored->timezone);
  note("language", effective->language, stored->language);
  nlohmann::json view = {{"title", "Settings"},
                         {"title_value", shown.title},
                         {"description", shown.description},
                         {"base_url", shown.base_url},
                         {"disclaimer", shown.disclaimer},
                         {"timezone", shown.timezone},
                         {"language", shown.language},
                         {"overridden", overridden},
                         {"notice", notice},
                         {"error", error},
                         {"logo_file_invalid", invalid == "logo_file"},
                         {"favicon_file_invalid", invalid == "favicon_file"}};
  if (auto branding = BrandingView(store_, shown, effective->title); !branding) {
    return tl::unexpected(branding.error());
  } else {
    view.update(*branding);
  }
  // A stored desk setting, or the typed one.
  auto setting = [&](const std::string& key) -> Result<std::optional<std::string>> {
    if (auto value = typed_value(key)) return value;
    return store_.DeskSetting(key);
  };
  auto require = setting("require_two_factor");
  if (!require) return tl::unexpected(require.error());
  view["require_two_factor"] = *require && **require == "1";
  auto unfiltered = setting(kUnfilteredHtmlSetting);
  if (!unfiltered) return tl::unexpected(unfiltered.error());
  view["unfiltered_html"] = *unfiltered && **unfiltered == "1";
  auto moderation = setting("comment_moderation");
  if (!moderation) return tl::unexpected(moderation.error());
  const std::string mode = moderation->value_or("hold-first");
  nlohmann::json options = nlohmann::json::array();
  for (const auto& [value, label] :
       {std::pair<const char*, const char*>{"hold-first",
                                            "Hold a reader's first comment; then publish at once"},
        {"hold-all", "Hold every comment for a moderator"},
        {"hold-none", "Publish comments at once"}}) {
    options.push_back({{"value", value}, {"label", label}, {"selected", mode == value}});
  }
  view["moderation_options"] = options;
  auto rules = comments::Comments(store_).CurrentRules();
  if (!rules) return tl::unexpected(rules.error());
  nlohmann::json numbers = nlohmann::json::array();
  for (const auto& number : comments::kNumberSettings) {
    const auto typed_number = typed_value(number.key);
    numbers.push_back(
        {{"key", number.key},
         {"label", number.label},
         {"value", typed_number && !typed_number->empty() ? nlohmann::json(*typed_number)
                                                          : nlohmann::json((*rules).*number.field)},
         {"min", number.min},
         {"max", number.max}});
  }
  view["comment_numbers"] = numbers;
  auto join = [](const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += word + "\n";
    return text;
  };
  view["hold_words"] = typed_value("comments_hold_words").value_or(join(rules->hold_words));
  view["spam_words"] = typed_value("comments_spam_words").value_or(join(rules->spam_words));
  const auto notify_authors = typed_value("comments_notify_authors");
  view["notify_authors"] = notify_authors ? *notify_authors == "1" : rules->notify_authors;
  const auto notify_moderators = typed_value("comments_notify_moderators");
  view["notify_moderators"] =
      notify_moderators ? *notify_moderators == "1" : rules->notify_moderators;
  auto full_text = setting("feed_full_text");
  if (!full_text) return tl::unexpected(full_text.error());
  view["feed_full_text"] = full_text->value_or("1") == "1";
  auto robots = setting("robots_txt");
  if (!robots) return tl::unexpected(robots.error());
  view["robots_txt"] = robots->value_or(content::kDefaultRobots);
  return Render("settings", std::move(view), status, viewer);
}

Result<Response> Desk::Settings(const Request& request) const {
  auto viewer = Require(request, false, auth::Action::kManageSettings,
                        "Only administrators change site settings.");
  if (!viewer) return Denied(request, viewer.error());
  auto stored = store_.LoadPublication();
  if (!stored) return tl::unexpected(stored.error());
  return SettingsPage(*viewer, 200, *stored, request.QueryParam("done") ? "Saved." : "", "");
}

Result<Response> Desk::SaveSettings(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kManageSettings,
                        "Only administrators change site settings.");
  if (!viewer) return Denied(request, viewer.error());
  const auto fields = request.FormFields();
  Publication publication;
  publication.title = Field(fields, "title", 200);
  publication.description = Field(fields, "description", 1000);
  publication.base_url = Field(fields, "base_url", 500);
  while (!publication.base_url.empty() && publication.base_url.back() == '/')
    publication.base_url.pop_back();
  publication.disclaimer = Field(fields, "disclaimer", 5000);
  publication.timezone = Field(fields, "timezone", 100);
  publication.language = Field(fields, "language", 35);
  if (publication.timezone.empty()) publication.timezone = "UTC";
  if (publication.language.empty()) publication.language = "en";
  // Branding: chosen images of the media library (or new uploads, below), the accent colour, the
  // menu.
  publication.logo = Field(fields, "logo", 600);
  publication.favicon = Field(fields, "favicon", 600);
  // The theme's own colour, as the colour input shows it while none is set, is no choice.
  if (http::FieldValue(fields, "accent_reset") != "1")
    publication.accent_color = Field(fields, "accent_color", 20);
  if (publication.accent_color == kThemeAccent) publication.accent_color.clear();
  // The desk settings as typed, shown again as typed when anything is refused.
  std::map<std::string, std::string> typed;
  typed["comment_moderation"] = http::FieldValue(fields, "comment_moderation");
  for (const auto& number : comments::kNumberSettings)
    typed[number.key] = Field(fields, number.key, 12);
  for (const char* key : {"comments_hold_words", "comments_spam_words", "robots_txt"})
    typed[key] = Field(fields, key, 20000);
  for (const char* key : {"comments_notify_authors", "comments_notify_moderators",
                          "require_two_factor", "feed_full_text", kUnfilteredHtmlSetting})
    typed[key] = http::FieldValue(fields, key) == "1" ? "1" : "0";
  // Nothing is stored, not even an uploaded image, unless the whole form is right: every field
  // is checked first, then the images are stored with the settings in one transaction.
  // A browser cannot fill a file field again: the person is told to choose the image again.
  const bool files_chosen = std::any_of(request.Files().begin(), request.Files().end(),
                                        [](const auto& file) { return !file.data.empty(); });
  auto refuse = [&](const std::string& message, int status = 422, const std::string& invalid = "") {
    return SettingsPage(*viewer, status, publication, "",
                        "Not saved: " + message + "." +
                            (files_chosen ? " No image was stored: choose the file again." : ""),
                        &typed, invalid);
  };
  auto menu = MenuFromForm(fields);
  if (!menu) {
    // What the person typed stays in the form, unchecked.
    const auto typed_menu = TypedMenu(fields);
    publication.navigation = content::NavigationJson(typed_menu);
    return refuse(menu.error().message);
  }
  publication.navigation = content::NavigationJson(*menu);
  if (auto checked = content::ValidatePublication(publication); !checked)
    return refuse(checked.error().message);
  if (!publication.accent_color.empty())
    publication.accent_color = *content::CheckAccentColor(publication.accent_color);
  for (const auto& item : *menu) {
    if (item.kind == content::NavigationItem::Kind::kLink) continue;
    const bool section = item.kind == content::NavigationItem::Kind::kSection;
    bool exists = false;
    if (section) {
      auto found = store_.FindSection(item.target);
      if (!found) return tl::unexpected(found.error());
      exists = found->has_value();
    } else {
      auto found = store_.FindPost(item.target);
      if (!found) return tl::unexpected(found.error());
      exists = found->has_value();
    }
    if (!exists)
      return refuse("the menu names a " + std::string(section ? "section" : "page") +
                    " that does not exist");
  }
  for (const std::string* chosen : {&publication.logo, &publication.favicon}) {
    if (chosen->empty()) continue;
    auto found = store_.FindMediaByUrl(*chosen);
    if (!found) return tl::unexpected(found.error());
    if (!*found) return refuse("choose the logo and favicon from the media library");
  }
  // Desk settings: checked, then stored with the publication's.
  std::vector<std::pair<std::string, std::string>> desk;
  const std::string& mode = typed["comment_moderation"];
  if (mode == "hold-first" || mode == "hold-all" || mode == "hold-none")
    desk.emplace_back("comment_moderation", mode);
  for (const auto& number : comments::kNumberSettings) {
    const std::string& text = typed[number.key];
    if (text.empty()) continue;  // left empty: unchanged
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < number.min ||
        value > number.max) {
      return refuse(fmt::format("\u201c{}\u201d takes a whole number from {} to {}", number.label,
                                number.min, number.max));
    }
    desk.emplace_back(number.key, std::to_string(value));
  }
  for (const char* key : {"comments_hold_words", "comments_spam_words", "robots_txt",
                          "comments_notify_authors", "comments_notify_moderators",
                          "require_two_factor", "feed_full_text", kUnfilteredHtmlSetting})
    desk.emplace_back(key, typed[key]);
  // New images, uploaded with the form: checked and processed now (the last of the checks),
  // stored below with the rest.
  std::vector<std::pair<std::string*, PreparedUpload>> uploads;
  for (const auto& file : request.Files()) {
    std::string* target = file.field == "logo_file"      ? &publication.logo
                          : file.field == "favicon_file" ? &publication.favicon
                                                         : nullptr;
    if (target == nullptr || file.data.empty()) continue;
    const bool logo = target == &publication.logo;
    if (media::ImageTypeOf(file.data).empty() && LooksLikeSvg(file)) {
      // Browsers show SVG icons, but an SVG is a document that can carry scripts, and the media
      // library serves its files from the site's own origin: it takes raster images only.
      return refuse(std::string(logo ? "the logo" : "the favicon") +
                        " must be a PNG, JPEG, WebP or GIF image; SVG files are not accepted",
                    422, file.field);
    }
    const std::string alt = publication.title + (logo ? " logo" : " icon");
    auto prepared = PrepareUpload(*viewer, file, alt, "", "");
    if (!prepared) {
      const auto code = prepared.error().code;
      if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge ||
          code == ErrorCode::kUnavailable) {
        std::string message = prepared.error().message;
        while (!message.empty() && message.back() == '.') message.pop_back();
        auto page = refuse(message, http::StatusFor(code), file.field);
        if (page && code == ErrorCode::kUnavailable)
          page->headers.emplace_back("Retry-After", ImageRetryAfter());
        return page;
      }
      return tl::unexpected(prepared.error());
    }
    uploads.emplace_back(target, std::move(*prepared));
  }
  // Everything is right: the images, the publication and the desk settings, in one transaction.
  // Files written for an image whose transaction then fails are removed again.
  const std::string chosen_logo = publication.logo, chosen_favicon = publication.favicon;
  std::vector<std::string> written;
  std::vector<std::string> uploaded;
  auto saved = store_.InTransaction([&]() -> Result<void> {
    uploaded.clear();
    publication.logo = chosen_logo;
    publication.favicon = chosen_favicon;
    for (auto& [target, upload] : uploads) {
      auto item = StoreUpload(*viewer, upload, written);
      if (!item) return tl::unexpected(item.error());
      *target = item->url;
      uploaded.push_back(item->url);
    }
    if (auto done = store_.SavePublication(publication); !done) return done;
    for (const auto& [key, value] : desk) {
      if (auto done = store_.SetDeskSetting(key, value); !done) return done;
    }
    return {};
  });
  if (!saved) {
    RemoveStored(written);
    publication.logo = chosen_logo;
    publication.favicon = chosen_favicon;
    if (IsSaveFailure(saved.error())) {
      return AsSaveFailure(
          SettingsPage(*viewer, 500, publication, "", SaveFailureMessage(saved.error()), &typed),
          saved.error());
    }
    return tl::unexpected(saved.error());
  }
  for (const std::string& url : uploaded) Audit(*viewer, "upload", std::nullopt, url);
  const bool require = typed["require_two_factor"] == "1";
  Audit(*viewer, "settings", std::nullopt, require ? "two-factor required" : "");
  const bool moved = !http::FieldValue(fields, "nav_move").empty();
  return Response::Redirect(303, moved ? "/admin/settings?done=1#menu" : "/admin/settings?done=1");
}

Result<nlohmann::json> Desk::AddressWarning(const auth::Viewer& viewer,
                                            const Publication& effective) const {
  if (!auth::Can(viewer.role, Action::kManageSettings) || viewer.reached_at.empty())
    return nlohmann::json();
  // A Host that is not a plain address (a hostile client's) gets no banner and no fix.
  auto reached = content::CheckOrigin(viewer.reached_at);
  if (!reached) return nlohmann::json();
  const std::string configured = PublicBaseUrl(effective);
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  if (lower(configured) == *reached) return nlohmann::json();
  auto stored = store_.LoadPublication();
  if (!stored) return tl::unexpected(stored.error());
  const bool overridden = effective.base_url != stored->base_url;
  const std::string refusal = content::AddressFixRefusal(configured, *reached);
  return nlohmann::json{
      {"reached", *reached},
      {"configured",
       effective.base_url.empty() ? "not set, so links use " + configured : configured},
      {"overridden", overridden},
      {"refusal", refusal},
      {"offer_fix", !overridden && refusal.empty()}};
}

Result<Response> Desk::UsePublicAddress(const Request& request) const {
  auto viewer = Require(request, true, auth::Action::kManageSettings,
                        "Only administrators change site settings.");
  if (!viewer) return Denied(request, viewer.error());
  auto effective = publication_();
  if (!effective) return tl::unexpected(effective.error());
  auto stored = store_.LoadPublication();
  if (!stored) return tl::unexpected(stored.error());
  auto refuse = [&](int status, const std::string& message) {
    return SettingsPage(*viewer, status, *stored, "", message);
  };
  if (effective->base_url != stored->base_url) {
    return refuse(409,
                  "Not changed: this server's public address comes from base_url in "
                  "broadsheet.toml or the BROADSHEET_BASE_URL environment variable; change it "
                  "there and restart the server.");
  }
  // Only the address this very request reached may be saved: the field must name it.
  auto reached = content::CheckOrigin(viewer->reached_at);
  const std::string asked(Trim(http::FieldValue(request.FormFields(), "address")));
  if (!reached || asked != *reached) {
    return refuse(422,
                  "Not changed: the address to use must be the one this page was reached at, "
                  "written as http(s)://host[:port].");
  }
  const std::string refusal = content::AddressFixRefusal(PublicBaseUrl(*effective), *reached);
  if (!refusal.empty()) return refuse(422, "Not changed. " + refusal);
  Publication changed = *stored;
  changed.base_url = *reached;
  if (auto saved = store_.SavePublication(changed); !saved) {
    if (IsSaveFailure(saved.error())) {
      return AsSaveFailure(
          SettingsPage(*viewer, 500, *stored, "", SaveFailureMessage(saved.error())),
          saved.error());
    }
    return tl::unexpected(saved.error());
  }
  Audit(*viewer, "public-address", std::nullopt, stored->base_url + " -> " + *reached);
  return Response::Redirect(303, "/admin/settings?done=1");
}

}  // namespace broadsheet::admin
