// The desk's sections, tags, author profiles and site settings.
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "admin/desk.h"
#include "content/publication.h"
#include "content/records.h"
#include "core/text.h"

namespace broadsheet::admin {
namespace {

using auth::Action;
using http::Request;
using http::Response;

std::string Field(const std::vector<std::pair<std::string, std::string>>& fields, const char* name,
                  size_t limit) {
  return std::string(Trim(http::FieldValue(fields, name))).substr(0, limit);
}

}  // namespace

Result<Response> Desk::TaxonomyPage(const auth::Viewer& viewer, int status,
                                    const std::string& notice, const std::string& error,
                                    const std::optional<Section>& typed_section,
                                    const std::optional<Author>& typed_author,
                                    bool typed_new) const {
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
  return TaxonomyPage(*viewer, 200, request.QueryParam("done") ? "Saved." : "", "");
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
                                    const std::string& error) const {
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
                         {"error", error}};
  auto require = store_.DeskSetting("require_two_factor");
  if (!require) return tl::unexpected(require.error());
  view["require_two_factor"] = *require && **require == "1";
  auto unfiltered = store_.DeskSetting(kUnfilteredHtmlSetting);
  if (!unfiltered) return tl::unexpected(unfiltered.error());
  view["unfiltered_html"] = *unfiltered && **unfiltered == "1";
  auto moderation = store_.DeskSetting("comment_moderation");
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
    numbers.push_back({{"key", number.key},
                       {"label", number.label},
                       {"value", (*rules).*number.field},
                       {"min", number.min},
                       {"max", number.max}});
  }
  view["comment_numbers"] = numbers;
  auto join = [](const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += word + "\n";
    return text;
  };
  view["hold_words"] = join(rules->hold_words);
  view["spam_words"] = join(rules->spam_words);
  view["notify_authors"] = rules->notify_authors;
  view["notify_moderators"] = rules->notify_moderators;
  auto full_text = store_.DeskSetting("feed_full_text");
  if (!full_text) return tl::unexpected(full_text.error());
  view["feed_full_text"] = full_text->value_or("1") == "1";
  auto robots = store_.DeskSetting("robots_txt");
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
  if (auto checked = content::ValidatePublication(publication); !checked) {
    return SettingsPage(*viewer, 422, publication, "",
                        "Not saved: " + checked.error().message + ".");
  }
  // Desk settings: checked first, then stored with the publication's in one transaction.
  std::vector<std::pair<std::string, std::string>> desk;
  const std::string mode = http::FieldValue(fields, "comment_moderation");
  if (mode == "hold-first" || mode == "hold-all" || mode == "hold-none")
    desk.emplace_back("comment_moderation", mode);
  for (const auto& number : comments::kNumberSettings) {
    const std::string text = Field(fields, number.key, 12);
    if (text.empty()) continue;  // left empty: unchanged
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < number.min ||
        value > number.max) {
      return SettingsPage(
          *viewer, 422, publication, "",
          fmt::format("Not saved: \u201c{}\u201d takes a whole number from {} to {}.", number.label,
                      number.min, number.max));
    }
    desk.emplace_back(number.key, std::to_string(value));
  }
  for (const char* key : {"comments_hold_words", "comments_spam_words", "robots_txt"})
    desk.emplace_back(key, Field(fields, key, 20000));
  for (const char* key : {"comments_notify_authors", "comments_notify_moderators",
                          "require_two_factor", "feed_full_text", kUnfilteredHtmlSetting})
    desk.emplace_back(key, http::FieldValue(fields, key) == "1" ? "1" : "0");
  const bool require = http::FieldValue(fields, "require_two_factor") == "1";
  auto saved = store_.InTransaction([&]() -> Result<void> {
    if (auto done = store_.SavePublication(publication); !done) return done;
    for (const auto& [key, value] : desk) {
      if (auto done = store_.SetDeskSetting(key, value); !done) return done;
    }
    return {};
  });
  if (!saved && IsSaveFailure(saved.error())) {
    return AsSaveFailure(
        SettingsPage(*viewer, 500, publication, "", SaveFailureMessage(saved.error())),
        saved.error());
  }
  if (!saved) return tl::unexpected(saved.error());
  Audit(*viewer, "settings", std::nullopt, require ? "two-factor required" : "");
  return Response::Redirect(303, "/admin/settings?done=1");
}

}  // namespace broadsheet::admin
