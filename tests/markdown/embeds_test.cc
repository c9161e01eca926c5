#include "markdown/embeds.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "markdown/html_filter.h"
#include "markdown/markdown.h"

namespace broadsheet::markdown {
namespace {

const std::vector<std::string>& All() { return EmbedProviders(); }

std::string FrameOf(std::string_view url) {
  auto embed = Recognise(url, All());
  return embed ? embed->frame_url : "";
}

std::string UrlOf(std::string_view url) {
  auto embed = Recognise(url, All());
  return embed ? embed->provider + " " + embed->url : "";
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(Embeds, RecognisesYouTubeWatchShortLinksAndShorts) {
  EXPECT_EQ(FrameOf("https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1");
  EXPECT_EQ(FrameOf("https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=90s"),
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=90");
  EXPECT_EQ(FrameOf("https://youtu.be/dQw4w9WgXcQ?t=1m5s"),
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=65");
  EXPECT_EQ(UrlOf("https://m.youtube.com/shorts/a_B-c1d2E3f"),
            "youtube https://www.youtube.com/shorts/a_B-c1d2E3f");
  EXPECT_EQ(Recognise("https://youtu.be/dQw4w9WgXcQ", All())->kind, EmbedKind::kFacade);
}

TEST(Embeds, RecognisesVimeoWithoutTracking) {
  EXPECT_EQ(FrameOf("https://vimeo.com/76979871"),
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1");
  EXPECT_EQ(FrameOf("https://vimeo.com/76979871/abcdef1234"),
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1&h=abcdef1234");
  EXPECT_EQ(UrlOf("https://vimeo.com/channels/staffpicks/76979871"),
            "vimeo https://vimeo.com/76979871");
}

TEST(Embeds, RecognisesSoundCloudTracksAndSets) {
  EXPECT_EQ(FrameOf("https://soundcloud.com/some-artist/a_track"),
            "https://w.soundcloud.com/player/"
            "?url=https%3A%2F%2Fsoundcloud.com%2Fsome-artist%2Fa_track&auto_play=true");
  EXPECT_EQ(UrlOf("https://soundcloud.com/artist/sets/album-1"),
            "soundcloud https://soundcloud.com/artist/sets/album-1");
  EXPECT_EQ(Recognise("https://soundcloud.com/artist", All()), std::nullopt);
}

TEST(Embeds, RecognisesDatawrapperAndFlourishAsFrames) {
  auto chart = Recognise("https://datawrapper.dwcdn.net/dxRQ7/3/", All());
  ASSERT_TRUE(chart);
  EXPECT_EQ(chart->kind, EmbedKind::kFrame);
  EXPECT_EQ(chart->frame_url, "https://datawrapper.dwcdn.net/dxRQ7/3/");
  EXPECT_EQ(FrameOf("https://www.datawrapper.de/_/dxRQ7/"), "https://datawrapper.dwcdn.net/dxRQ7/");
  EXPECT_EQ(FrameOf("https://public.flourish.studio/visualisation/1234567/"),
            "https://flo.uri.sh/visualisation/1234567/embed");
  EXPECT_EQ(FrameOf("https://public.flourish.studio/story/42/"),
            "https://flo.uri.sh/story/42/embed");
}

TEST(Embeds, RecognisesPostsAsCards) {
  EXPECT_EQ(UrlOf("https://twitter.com/NASA/status/1234567890123456789"),
            "x https://x.com/NASA/status/1234567890123456789");
  EXPECT_EQ(UrlOf("https://x.com/jack/status/20"), "x https://x.com/jack/status/20");
  EXPECT_EQ(UrlOf("https://bsky.app/profile/Someone.bsky.social/post/3kq2abcdefg2x"),
            "bluesky https://bsky.app/profile/someone.bsky.social/post/3kq2abcdefg2x");
  EXPECT_EQ(UrlOf("https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx/post/3kq2"),
            "bluesky https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx/post/3kq2");
  EXPECT_EQ(UrlOf("https://mastodon.social/@Gargron/109371990123456789"),
            "mastodon https://mastodon.social/@Gargron/109371990123456789");
  EXPECT_EQ(UrlOf("https://hachyderm.io/@kris@mastodon.example/11"),
            "mastodon https://hachyderm.io/@kris@mastodon.example/11");
  auto card = Recognise("https://mastodon.social/@Gargron/1", All());
  ASSERT_TRUE(card);
  EXPECT_EQ(card->kind, EmbedKind::kCard);
  EXPECT_EQ(card->detail, "@Gargron@mastodon.social");
  EXPECT_EQ(card->frame_url, "");
}

// The table the editor's embedProvider is held to as well (tests/editor/embed.test.mjs).
TEST(Embeds, RecognisesTheSharedTableOfAddresses) {
  std::ifstream file(BROADSHEET_SOURCE_DIR "/tests/vectors/embeds.json");
  ASSERT_TRUE(file);
  const auto vectors = nlohmann::json::parse(file).at("addresses");
  ASSERT_GT(vectors.size(), 50u);
  for (const auto& vector : vectors) {
    const auto address = vector.at("address").get<std::string>();
    const auto embed = Recognise(address, All());
    if (vector.at("provider").is_null()) {
      EXPECT_EQ(embed, std::nullopt) << address;
      continue;
    }
    ASSERT_TRUE(embed) << address;
    EXPECT_EQ(embed->provider, vector.at("provider").get<std::string>()) << address;
    EXPECT_EQ(embed->name, vector.at("name").get<std::string>()) << address;
    EXPECT_EQ(embed->url, vector.at("url").get<std::string>()) << address;
  }
}

// The providers' names and hosts are the file the editor bundles too.
TEST(Embeds, ProvidersAndFrameHostsAreTheProvidersFile) {
  std::ifstream file(BROADSHEET_SOURCE_DIR "/src/markdown/providers/providers.json");
  ASSERT_TRUE(file);
  const auto providers = nlohmann::json::parse(file).at("providers");
  std::vector<std::string> names, frames;
  for (const auto& provider : providers) {
    names.push_back(provider.at("provider").get<std::string>());
    if (!provider.at("frame_host").get<std::string>().empty())
      frames.push_back(provider.at("frame_host").get<std::string>());
  }
  EXPECT_EQ(EmbedProviders(), names);
  EXPECT_EQ(EmbedFrameHosts(All()), frames);
  EXPECT_EQ(Recognise("https://vimeo.com/76979871", All())->name,
            providers.at(1).at("name").get<std::string>());
}

TEST(Embeds, RefusesLookalikesAndOddIdentifiers) {
  for (const char* url : {
           "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
           "https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ",
           "https://evilyoutube.com/watch?v=dQw4w9WgXcQ",
           "https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
           "https://evil.example\\@www.youtube.com/watch?v=dQw4w9WgXcQ",
           "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
           "https://www.youtube.com/watch?v=dQw4w9WgXc\"",
           "https://www.youtube.com/watch?v=dQw4w9WgXcQ\"onload=\"x",
           "https://www.youtube.com/watch?v=dQw4w9<b>cQ",
           "https://www.youtube.com/watch?v=short",
           "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",
           "https://www.you%74ube.com/watch?v=dQw4w9WgXcQ",
           "javascript:alert(1)//youtu.be/dQw4w9WgXcQ",
           "javascript://youtu.be/dQw4w9WgXcQ",
           "ftp://youtu.be/dQw4w9WgXcQ",
           "https://vimeo.com/7697x871",
           "https://vimeo.com/76979871/not-a-hash",
           "https://vimeo.com.evil.example/76979871",
           "https://datawrapper.dwcdn.net/dx'Q7/",
           "https://datawrapper.dwcdn.net.evil.example/dxRQ7/",
           "https://public.flourish.studio/visualisation/12ab/",
           "https://public.flourish.studio/evil/1234/",
           "https://soundcloud.com/artist/track/extra",
           "https://soundcloud.com/art\u00e9st/track",
           "https://x.com/a_name_far_too_long_for_x/status/1",
           "https://x.com/jack/status/20abc",
           "https://x.com.evil.example/jack/status/20",
           "https://bsky.app/profile/bad_handle/post/3kq2",
           "https://bsky.app/profile/did:plc:short/post/3kq2",
           "https://bsky.app.evil.example/profile/a.bsky.social/post/3kq2",
           "https://mastodon.social/@user/12x",
           "https://mastodon.social/@us\"er/12",
           "https://localhost/@user/12",
           "https://twitter.com/@user/12",
           "https://www.youtube.com/@channel/12",
           "https://example.org/watch?v=dQw4w9WgXcQ",
       }) {
    EXPECT_EQ(Recognise(url, All()), std::nullopt) << url;
  }
}

TEST(Embeds, OnlyEnabledProvidersAreRecognised) {
  EXPECT_EQ(Recognise("https://youtu.be/dQw4w9WgXcQ", {}), std::nullopt);
  EXPECT_EQ(Recognise("https://youtu.be/dQw4w9WgXcQ", {"vimeo"}), std::nullopt);
  EXPECT_TRUE(Recognise("https://vimeo.com/1", {"vimeo"}));
  EXPECT_EQ(EmbedFrameHosts({"x", "youtube", "flourish"}),
            (std::vector<std::string>{"www.youtube-nocookie.com", "flo.uri.sh"}));
  EXPECT_EQ(EmbedFrameHosts({"youtube"}, {"maps.example.org", "www.youtube-nocookie.com"}),
            (std::vector<std::string>{"www.youtube-nocookie.com", "maps.example.org"}));
  EXPECT_TRUE(IsEmbedProvider("mastodon"));
  EXPECT_FALSE(IsEmbedProvider("myspace"));
}

Options WithEmbeds() {
  Options options;
  options.filter.embeds = EmbedProviders();
  return options;
}

TEST(Embeds, AUrlAloneInItsParagraphBecomesAFacade) {
  auto html =
      ToHtml("Before.\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nAfter.", WithEmbeds());
  ASSERT_TRUE(html);
  EXPECT_TRUE(
      Contains(*html,
               "<figure class=\"embed embed-youtube embed-facade embed-video\" "
               "data-embed-url=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\">"
               "<a class=\"embed-play\" href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\" "
               "data-embed-src=\"https://www.youtube-nocookie.com/embed/"
               "dQw4w9WgXcQ?autoplay=1\" data-embed-title=\"YouTube video\">"))
      << *html;
  EXPECT_TRUE(Contains(*html, "Watch on YouTube"));
  EXPECT_FALSE(Contains(*html, "<iframe"));  // nothing of YouTube's until a click
  EXPECT_TRUE(Contains(*html, "<p>Before.</p>"));
  EXPECT_TRUE(Contains(*html, "<p>After.</p>"));
}

TEST(Embeds, AngleBracketAndSelfLinkedAddressesCountAsAlone) {
  for (const char* line : {"<https://vimeo.com/76979871>",
                           "[https://vimeo.com/76979871](https://vimeo.com/76979871)"}) {
    auto html = ToHtml(line, WithEmbeds());
    ASSERT_TRUE(html);
    EXPECT_TRUE(Contains(*html, "embed-vimeo")) << line;
  }
}

TEST(Embeds, LinksWithWordsOrInsideOtherBlocksStayLinks) {
  for (const char* text :
       {"[Watch this](https://youtu.be/dQw4w9WgXcQ)", "See https://youtu.be/dQw4w9WgXcQ today",
        "> https://youtu.be/dQw4w9WgXcQ", "- https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ\nhttps://youtu.be/dQw4w9WgXcQ", "https://example.org/page"}) {
    auto html = ToHtml(text, WithEmbeds());
    ASSERT_TRUE(html);
    EXPECT_FALSE(Contains(*html, "<figure")) << text;
    EXPECT_TRUE(Contains(*html, "<a href=")) << text;
  }
}

TEST(Embeds, NoneWithoutProvidersOrInReaderMarkdown) {
  auto plain = ToHtml("https://youtu.be/dQw4w9WgXcQ");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(Contains(*plain, "<figure"));
  Options reader = WithEmbeds();
  reader.allow_html = false;
  auto safe = ToHtml("https://youtu.be/dQw4w9WgXcQ", reader);
  ASSERT_TRUE(safe);
  EXPECT_FALSE(Contains(*safe, "<figure"));
}

TEST(Embeds, FramesAreSandboxedLazyAndTitled) {
  auto html = ToHtml("https://datawrapper.dwcdn.net/dxRQ7/3/", WithEmbeds());
  ASSERT_TRUE(html);
  EXPECT_TRUE(Contains(*html,
                       "<iframe src=\"https://datawrapper.dwcdn.net/dxRQ7/3/\" title=\"Chart from "
                       "Datawrapper\" sandbox=\"allow-scripts allow-same-origin allow-popups\" "
                       "loading=\"lazy\" referrerpolicy=\"strict-origin-when-cross-origin\">"))
      << *html;
  EXPECT_TRUE(Contains(*html, "<figcaption><a href=\"https://datawrapper.dwcdn.net/dxRQ7/3/\">"));
}

TEST(Embeds, CardsLoadNothingFromTheProvider) {
  auto html = ToHtml("https://bsky.app/profile/someone.bsky.social/post/3kq2abc", WithEmbeds());
  ASSERT_TRUE(html);
  EXPECT_TRUE(Contains(*html, "View this post on Bluesky"));
  EXPECT_TRUE(Contains(*html, "@someone.bsky.social"));
  EXPECT_FALSE(Contains(*html, "<iframe"));
  EXPECT_FALSE(Contains(*html, "<img"));
  EXPECT_FALSE(Contains(*html, "<script"));
}

TEST(Embeds, UnfilteredBodiesGetTheSameEmbeds) {
  Options raw = WithEmbeds();
  raw.unfiltered = true;
  auto unfiltered = ToHtml("https://x.com/jack/status/20", raw);
  auto filtered = ToHtml("https://x.com/jack/status/20", WithEmbeds());
  ASSERT_TRUE(unfiltered && filtered);
  EXPECT_EQ(*unfiltered, *filtered);
}

TEST(Embeds, TheFilterWritesEmbedsAgainFromTheirAddressAlone) {
  FilterOptions options;
  options.embeds = EmbedProviders();
  const std::string once = Render(*Recognise("https://vimeo.com/76979871", All())) + "\n";
  auto again = FilterHtml(once, options);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, once);
  // A forged figure keeps nothing of its own: its children are replaced by the embed's.
  auto forged = FilterHtml(
      "<figure data-embed-url=\"https://youtu.be/dQw4w9WgXcQ\"><a class=\"embed-play\" "
      "href=\"https://evil.example\" data-embed-src=\"https://evil.example/\">x</a></figure>",
      options);
  ASSERT_TRUE(forged);
  EXPECT_FALSE(Contains(*forged, "evil.example")) << *forged;
  EXPECT_TRUE(Contains(*forged, "youtube-nocookie.com/embed/dQw4w9WgXcQ"));
  // A figure whose address is no provider's (or whose provider is off) is an ordinary figure.
  auto other = FilterHtml(
      "<figure class=\"embed\" data-embed-url=\"https://evil.example/\"><a "
      "data-embed-src=\"https://evil.example/\" href=\"https://evil.example/\">x</a></figure>",
      options);
  ASSERT_TRUE(other);
  EXPECT_EQ(*other, "<figure><a href=\"https://evil.example/\">x</a></figure>");
  auto off = FilterHtml(once, FilterOptions{});
  ASSERT_TRUE(off);
  EXPECT_FALSE(Contains(*off, "data-embed")) << *off;
  EXPECT_FALSE(Contains(*off, "class=\"embed")) << *off;
}

TEST(Embeds, HostileLinesStayHarmlessLinks) {
  auto html = ToHtml(
      "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ\n\n"
      "https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ\n\n"
      "<https://www.youtube.com/watch?v=dQw4w9WgXc\"onload=\"alert(1)>\n\n"
      "[https://youtu.be/dQw4w9WgXcQ](javascript:alert(1))\n\n"
      "https://x.com/jack/status/20\"><script>alert(1)</script>\n\n"
      "<figure class=\"embed embed-youtube\" data-embed-url=\"https://evil.example/\"><a "
      "class=\"embed-play\" href=\"https://evil.example/\" "
      "data-embed-src=\"https://evil.example/frame\">forged</a></figure>\n",
      WithEmbeds());
  ASSERT_TRUE(html);
  for (const char* absent :
       {"<iframe", "data-embed", "embed-play", "javascript", "<script", " onload="}) {
    EXPECT_FALSE(Contains(*html, absent)) << absent << " in " << *html;
  }
}

TEST(Embeds, EverythingWrittenIsEscaped) {
  // Identifiers are checked, so nothing hostile reaches the markup; the card's detail is escaped
  // all the same.
  Embed embed;
  embed.provider = "x";
  embed.name = "X";
  embed.kind = EmbedKind::kCard;
  embed.url = "https://x.com/\"><script>";
  embed.label = "<b>";
  embed.detail = "@\"a";
  const std::string html = Render(embed);
  EXPECT_FALSE(Contains(html, "<script>"));
  EXPECT_FALSE(Contains(html, "<b>"));
  EXPECT_TRUE(Contains(html, "&quot;&gt;&lt;script&gt;"));
}

TEST(Embeds, ThePreviewShowsFacadesAndChartsAsBoxesSayingWhatTheyAre) {
  auto html = ToHtml(
      "Before.\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90\n\n"
      "https://datawrapper.dwcdn.net/dxRQ7/3/\n\nhttps://x.com/jack/status/20\n\nAfter.",
      WithEmbeds());
  ASSERT_TRUE(html);
  const std::string preview = WithStandIns(*html, All());
  EXPECT_FALSE(Contains(preview, "<iframe")) << preview;
  EXPECT_FALSE(Contains(preview, "data-embed-src")) << preview;
  EXPECT_TRUE(Contains(preview,
                       "<figure class=\"embed embed-youtube embed-stand-in embed-video\" "
                       "data-embed-url=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=90s\">"
                       "<span class=\"embed-stand-in-box\"><span class=\"embed-provider\">YouTube"
                       "</span> <span class=\"embed-title\">YouTube video</span> <a "
                       "class=\"embed-address\" href=\"https://www.youtube.com/"
                       "watch?v=dQw4w9WgXcQ&amp;t=90s\">youtube.com/watch?v=dQw4w9WgXcQ&amp;t=90s"
                       "</a>"))
      << preview;
  EXPECT_TRUE(Contains(preview,
                       "<span class=\"embed-provider\">Datawrapper</span> <span "
                       "class=\"embed-title\">Chart from Datawrapper</span>"))
      << preview;
  // Cards look as on the page; the text around is untouched.
  EXPECT_TRUE(Contains(preview, Render(*Recognise("https://x.com/jack/status/20", All()))));
  EXPECT_TRUE(Contains(preview, "<p>Before.</p>"));
  EXPECT_TRUE(Contains(preview, "<p>After.</p>"));
  // A figure no enabled provider recognises, or cut short, is left as it is.
  EXPECT_EQ(WithStandIns(*html, {"x"}).find("embed-stand-in"), std::string::npos);
  const std::string cut = "<figure class=\"embed embed-youtube\" data-embed-url=\"x\">";
  EXPECT_EQ(WithStandIns(cut, All()), cut);
  EXPECT_EQ(WithStandIns("", All()), "");
}

}  // namespace
}  // namespace broadsheet::markdown
