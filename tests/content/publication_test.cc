// The publication's settings as a person may change them (content/publication.h): branding,
// the header menu, the public address.
#include "content/publication.h"

#include <gtest/gtest.h>

#include "storage/sql_store.h"
#include "test_stores.h"

namespace broadsheet::content {
namespace {

using Kind = NavigationItem::Kind;

template <typename T>
void ExpectRefused(const Result<T>& result) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(result.error().message.empty());
}

TEST(AccentColor, OnlySixHexDigitsAfterAHashAreAccepted) {
  EXPECT_EQ(*CheckAccentColor("#1F3A5F"), "#1f3a5f");
  for (const char* bad : {"", "#fff", "1f3a5f", "#1f3a5g", "#1f3a5f0", "red",
                          "#000000;} body{display:none", "#12345\n"}) {
    ExpectRefused(CheckAccentColor(bad));
  }
}

TEST(AccentColor, ContrastAgainstWhiteFollowsWcag) {
  EXPECT_NEAR(ContrastAgainstWhite("#000000"), 21.0, 0.01);
  EXPECT_NEAR(ContrastAgainstWhite("#ffffff"), 1.0, 0.01);
  EXPECT_GT(ContrastAgainstWhite("#9b1c1c"), kMinimumContrast);  // the theme's own
  EXPECT_LT(ContrastAgainstWhite("#ffd700"), kMinimumContrast);  // gold on white
  EXPECT_NEAR(ContrastAgainstWhite("#767676"), 4.54, 0.02);      // the usual threshold grey
}

TEST(MediaPath, OnlyAnImageOfTheLibraryIsALogo) {
  EXPECT_TRUE(CheckMediaPath("", "the logo"));
  EXPECT_TRUE(CheckMediaPath("/uploads/media/2026/12/ab12-logo.png", "the logo"));
  for (const char* bad : {"https://evil.example/logo.png", "/uploads/../broadsheet.db",
                          "/uploads/a\" onerror=\"x.png", "javascript:alert(1)", "/assets/icon.svg",
                          "/uploads/a b.png", "/uploads/a.png?x=1"}) {
    ExpectRefused(CheckMediaPath(bad, "the logo"));
  }
}

TEST(Navigation, EntriesRoundTripThroughTheirStoredForm) {
  const std::vector<NavigationItem> items = {{Kind::kSection, "security", ""},
                                             {Kind::kPage, "about", "Who we are"},
                                             {Kind::kLink, "https://example.org/x?y=1", "Shop"}};
  ASSERT_TRUE(CheckNavigation(items));
  auto parsed = ParseNavigation(NavigationJson(items));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[2].kind, Kind::kLink);
  EXPECT_EQ((*parsed)[2].target, "https://example.org/x?y=1");
  EXPECT_EQ((*parsed)[1].label, "Who we are");
  EXPECT_EQ(NavigationJson({}), "");
  EXPECT_TRUE(ParseNavigation("")->empty());
}

TEST(Navigation, HostileEntriesAreRefused) {
  auto refused = [](NavigationItem item) { ExpectRefused(CheckNavigation({item})); };
  refused({Kind::kLink, "javascript:alert(1)", "Click"});
  refused({Kind::kLink, "JavaScript:alert(1)", "Click"});
  refused({Kind::kLink, "data:text/html,<script>", "Click"});
  refused({Kind::kLink, "//evil.example/", "Click"});
  refused({Kind::kLink, "https://", "Empty host"});
  refused({Kind::kLink, "https://user@evil.example/", "Userinfo"});
  refused({Kind::kLink, "https://example.org/\" onclick=\"x", "Quote"});
  refused({Kind::kLink, "https://example.org/", ""});  // a link needs a label
  refused({Kind::kLink, "https://example.org/", std::string(kMaxNavigationLabel + 1, 'a')});
  refused({Kind::kLink, "https://example.org/" + std::string(600, 'a'), "Long"});
  refused({Kind::kSection, "../admin", ""});
  refused({Kind::kPage, "", ""});
  refused({Kind::kSection, "security", "Two\nlines"});
  std::vector<NavigationItem> many(kMaxNavigationItems + 1, {Kind::kSection, "security", ""});
  ExpectRefused(CheckNavigation(many));
  ExpectRefused(ParseNavigation("{\"kind\": \"link\"}"));
  ExpectRefused(ParseNavigation("[{\"kind\": \"script\", \"target\": \"x\"}]"));
  ExpectRefused(
      ParseNavigation("[{\"kind\": \"link\", \"target\": \"javascript:x\", \"label\": \"x\"}]"));
  // A field of another type (a crafted export) is refused, not thrown on: every public page
  // reads the menu.
  ExpectRefused(ParseNavigation("[{\"kind\": 1}]"));
  ExpectRefused(ParseNavigation("[{\"kind\": [\"link\"], \"target\": \"https://x.example/\"}]"));
  EXPECT_TRUE(ParseNavigation("[{\"kind\": \"section\", \"target\": 7}]", false).has_value());
}

TEST(Navigation, ValidatePublicationChecksTheBranding) {
  Publication publication;
  EXPECT_TRUE(ValidatePublication(publication));
  publication.accent_color = "#12";
  ExpectRefused(ValidatePublication(publication));
  publication.accent_color = "#123456";
  publication.logo = "https://evil.example/x.png";
  ExpectRefused(ValidatePublication(publication));
  publication.logo = "";
  publication.navigation = "[{\"kind\": \"link\", \"target\": \"javascript:x\", \"label\": \"x\"}]";
  ExpectRefused(ValidatePublication(publication));
  publication.navigation = "";
  publication.timezone = "Mars/Olympus";
  ExpectRefused(ValidatePublication(publication));
}

TEST(PublicAddress, OnlyAnHttpOriginIsAccepted) {
  EXPECT_EQ(*CheckOrigin("https://Review.Example"), "https://review.example");
  EXPECT_EQ(*CheckOrigin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(*CheckOrigin("http://[::1]:8080"), "http://[::1]:8080");
  for (const char* bad : {"", "ftp://example.org", "https://example.org/", "https://example.org/x",
                          "https://user@example.org", "https://example.org?x", "javascript:x",
                          "https://exa mple.org", "https://example.org\"><script>", "https://"}) {
    ExpectRefused(CheckOrigin(bad));
  }
}

// The one-click fix is not offered where the difference means a proxy in front of the server.
TEST(PublicAddress, AProxysAddressIsNotOfferedInPlaceOfThePublicOne) {
  // A moved site, or a first start at another port: offered.
  EXPECT_EQ(AddressFixRefusal("http://127.0.0.1:8080", "http://127.0.0.1:9000"), "");
  EXPECT_EQ(AddressFixRefusal("http://127.0.0.1:8080", "https://news.example"), "");
  EXPECT_EQ(AddressFixRefusal("https://old.example", "https://new.example"), "");
  EXPECT_EQ(AddressFixRefusal("http://news.example", "https://news.example"), "");
  // Plain http for the site's own https host: a TLS proxy that is not trusted.
  EXPECT_NE(AddressFixRefusal("https://news.example", "http://news.example"), "");
  EXPECT_NE(AddressFixRefusal("https://News.Example", "http://news.example"), "");
  // A loopback address for a public one: a proxy that does not pass the Host header on.
  EXPECT_NE(AddressFixRefusal("https://news.example", "http://127.0.0.1:8080"), "");
  EXPECT_NE(AddressFixRefusal("https://news.example", "http://localhost:8080"), "");
  EXPECT_NE(AddressFixRefusal("https://news.example", "http://[::1]:8080"), "");
}

TEST(TimeZones, TheListHoldsIanaNamesSorted) {
  const auto names = TimeZone::Names();
  ASSERT_GT(names.size(), 300u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "America/New_York"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "Europe/Berlin"), names.end());
  for (const auto& name : names) EXPECT_TRUE(TimeZone::Find(name)) << name;
}

class MenuTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override { BROADSHEET_OPEN_TEST_STORE(store_); }
  std::unique_ptr<SqlStore> store_;
};

TEST_P(MenuTest, WithoutAChosenMenuTheSectionsAreListedAsBefore) {
  Section economy{0, "economy", "Economy", "", false, std::nullopt, 1};
  Section security{0, "security", "Security", "", false, std::nullopt, 0};
  ASSERT_TRUE(store_->UpsertSection(economy));
  ASSERT_TRUE(store_->UpsertSection(security));
  auto sections = *store_->ListSections();
  auto menu = ResolveNavigation(*store_, Publication{}, sections, Now());
  ASSERT_TRUE(menu);
  EXPECT_FALSE(menu->chosen);
  ASSERT_EQ(menu->links.size(), 2u);
  EXPECT_EQ(menu->links[0].url, "/section/security/");
  EXPECT_TRUE(NewsletterLinks(*store_, Publication{}, Now())->empty());
}

TEST_P(MenuTest, AChosenMenuKeepsItsOrderAndLeavesOutWhatIsGone) {
  Section security{0, "security", "Security", "", false, std::nullopt, 0};
  ASSERT_TRUE(store_->UpsertSection(security));
  Post about;
  about.slug = "about";
  about.title = "About us";
  about.kind = PostKind::kPage;
  about.status = PostStatus::kPublished;
  about.published_at = Now() - 60;
  ASSERT_TRUE(store_->UpsertPost(about));
  Post draft = about;
  draft.slug = "secret";
  draft.status = PostStatus::kDraft;
  ASSERT_TRUE(store_->UpsertPost(draft));
  Publication publication;
  publication.navigation = NavigationJson({{Kind::kLink, "https://shop.example/", "Shop"},
                                           {Kind::kPage, "about", ""},
                                           {Kind::kSection, "gone", ""},
                                           {Kind::kPage, "secret", ""},
                                           {Kind::kSection, "security", "Defence"}});
  auto sections = *store_->ListSections();
  auto menu = ResolveNavigation(*store_, publication, sections, Now());
  ASSERT_TRUE(menu);
  EXPECT_TRUE(menu->chosen);
  ASSERT_EQ(menu->links.size(), 3u);
  EXPECT_EQ(menu->links[0].label, "Shop");
  EXPECT_TRUE(menu->links[0].external);
  EXPECT_EQ(menu->links[1].label, "About us");
  EXPECT_EQ(menu->links[1].url, "/about/");
  EXPECT_EQ(menu->links[2].label, "Defence");
  EXPECT_EQ(menu->links[2].section_slug, "security");
  auto links = NewsletterLinks(*store_, publication, Now());
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 3u);
  EXPECT_EQ((*links)[1].second, "/about/");
}

TEST_P(MenuTest, BrandingIsStoredWithThePublication) {
  Publication publication;
  publication.logo = "/uploads/media/2026/12/logo.png";
  publication.favicon = "/uploads/media/2026/12/icon.png";
  publication.accent_color = "#1f3a5f";
  publication.navigation = NavigationJson({{Kind::kSection, "security", ""}});
  ASSERT_TRUE(store_->SavePublication(publication));
  auto stored = store_->LoadPublication();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->logo, publication.logo);
  EXPECT_EQ(stored->favicon, publication.favicon);
  EXPECT_EQ(stored->accent_color, publication.accent_color);
  EXPECT_EQ(stored->navigation, publication.navigation);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, MenuTest, test::kBothDatabases, test::DatabaseName);

}  // namespace
}  // namespace broadsheet::content
