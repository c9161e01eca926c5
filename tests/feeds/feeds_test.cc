#include "feeds/feeds.h"

#include <gtest/gtest.h>

namespace broadsheet::feeds {
namespace {

PostDetail Piece() {
  PostDetail detail;
  detail.post.slug = "piece";
  detail.post.title = "Tricky <title> & \"quotes\"\x01";
  detail.post.dek = "A dek.";
  detail.post.body_html =
      "<p>See <a href=\"/other/\">this</a> and <img src=\"/uploads/a.png\"></p>";
  detail.post.published_at = 1709262000;
  detail.post.updated_at = 1709265600;
  Author author;
  author.slug = "jane";
  author.name = "Jane Doe";
  detail.authors.push_back(author);
  return detail;
}

TEST(Feeds, RssEscapesTextDropsForbiddenCharactersAndMakesLinksAbsolute) {
  Publication publication;
  publication.title = "The Review";
  publication.base_url = "https://review.example";
  FeedSpec spec{"The Review", "Analysis", "/", "/feed/", "/feed/atom/", "/feed.json", true};
  const std::string rss = Rss(spec, {Piece()}, publication, {});
  EXPECT_NE(rss.find("<title>Tricky &lt;title&gt; &amp; "), std::string::npos) << rss;
  EXPECT_EQ(rss.find('\x01'), std::string::npos);
  EXPECT_NE(rss.find("href=&quot;https://review.example/other/&quot;"), std::string::npos) << rss;
  EXPECT_NE(rss.find("<pubDate>Fri, 01 Mar 2024 03:00:00 GMT</pubDate>"), std::string::npos);
  spec.full_text = false;
  EXPECT_EQ(Rss(spec, {Piece()}, publication, {}).find("content:encoded>"), std::string::npos);
  EXPECT_EQ(LastChanged({Piece()}), 1709265600);
  const std::string atom = Atom(spec, {Piece()}, publication, {});
  EXPECT_NE(atom.find("<updated>2024-03-01T04:00:00Z</updated>"), std::string::npos) << atom;
}

TEST(Feeds, RssDescriptionKeepsMarkupLikeTextAsText) {
  Publication publication;
  publication.base_url = "https://review.example";
  FeedSpec spec{"The Review", "Analysis", "/", "/feed/", "/feed/atom/", "/feed.json", false};
  PostDetail piece = Piece();
  piece.post.dek = "Why <img src=x onerror=alert(1)> matters";
  const std::string rss = Rss(spec, {piece}, publication, {});
  // Escaped twice: once as HTML (readers parse the description as HTML), once as XML.
  EXPECT_NE(rss.find("<description>Why &amp;lt;img src=x onerror=alert(1)&amp;gt; matters"),
            std::string::npos)
      << rss;
}

}  // namespace
}  // namespace broadsheet::feeds
