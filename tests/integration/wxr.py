"""Generated WordPress exports (WXR 1.2) for tests and benchmarks: posts with categories, tags,
classic content and threaded comments, written item by item so any size streams."""

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
        '<channel>\n<title>Generated Review</title>\n<link>https://old.example</link>\n'
        '<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>https://old.example</wp:base_site_url>\n'
        '<wp:base_blog_url>https://old.example</wp:base_blog_url>\n')
TAIL = '</channel>\n</rss>\n'

SECTIONS = ["world", "economy", "security", "climate", "technology", "culture", "opinion", "books"]
WORDS = ("deterrence alliance sanctions inflation treaty election summit ministry pipeline tariff "
         "ceasefire reform budget parliament border energy").split()


def channel_terms(authors=20):
    parts = []
    for a in range(authors):
        parts.append(f"<wp:author><wp:author_id>{a + 1}</wp:author_id><wp:author_login>writer{a}"
                     f"</wp:author_login><wp:author_email>writer{a}@old.example</wp:author_email>"
                     f"<wp:author_display_name><![CDATA[Writer {a}]]></wp:author_display_name>"
                     f"</wp:author>\n")
    for i, slug in enumerate(SECTIONS):
        parts.append(f"<wp:category><wp:term_id>{i + 1}</wp:term_id><wp:category_nicename>{slug}"
                     f"</wp:category_nicename><wp:category_parent></wp:category_parent>"
                     f"<wp:cat_name><![CDATA[{slug.title()}]]></wp:cat_name></wp:category>\n")
    for i, word in enumerate(WORDS):
        parts.append(f"<wp:tag><wp:term_id>{100 + i}</wp:term_id><wp:tag_slug>{word}</wp:tag_slug>"
                     f"<wp:tag_name><![CDATA[{word.title()}]]></wp:tag_name></wp:tag>\n")
    return "".join(parts)


def post_item(n, comments=0, paragraphs=6, authors=20):
    """The n-th generated post (1-based), with `comments` comments (every third a reply)."""
    day = 1 + n % 28
    month = 1 + n % 12
    slug = f"generated-analysis-{n}"
    body = "\n\n".join(
        f"Paragraph {p} of piece {n} on {WORDS[(n + p) % len(WORDS)]} and "
        f"{WORDS[(n * 7 + p) % len(WORDS)]}, with <em>emphasis</em> and a line\nbreak."
        for p in range(paragraphs))
    parts = [
        f"<item><title><![CDATA[Generated analysis {n}]]></title>",
        f"<link>https://old.example/2019/{month:02d}/{day:02d}/{slug}/</link>",
        f"<dc:creator><![CDATA[writer{n % authors}]]></dc:creator>",
        f'<guid isPermaLink="false">https://old.example/?p={n}</guid>',
        f"<content:encoded><![CDATA[{body}]]></content:encoded>",
        f"<excerpt:encoded><![CDATA[A dek for piece {n}.]]></excerpt:encoded>",
        f"<wp:post_id>{n}</wp:post_id>",
        f"<wp:post_date>2019-{month:02d}-{day:02d} 10:00:00</wp:post_date>",
        f"<wp:post_date_gmt>2019-{month:02d}-{day:02d} 08:00:00</wp:post_date_gmt>",
        "<wp:comment_status>open</wp:comment_status>",
        f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>",
        "<wp:post_type>post</wp:post_type>",
        f'<category domain="category" nicename="{SECTIONS[n % len(SECTIONS)]}">'
        f"<![CDATA[{SECTIONS[n % len(SECTIONS)].title()}]]></category>",
        f'<category domain="post_tag" nicename="{WORDS[n % len(WORDS)]}">'
        f"<![CDATA[{WORDS[n % len(WORDS)].title()}]]></category>",
    ]
    for c in range(comments):
        comment_id = n * 1000 + c + 1
        parent = comment_id - 1 if c % 3 == 2 else 0
        parts.append(
            f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
            f"<wp:comment_author><![CDATA[Reader {c}]]></wp:comment_author>"
            f"<wp:comment_author_email>reader{c}@mail.example</wp:comment_author_email>"
            f"<wp:comment_author_url>https://reader{c}.example</wp:comment_author_url>"
            f"<wp:comment_date_gmt>2019-{month:02d}-{day:02d} 12:{c % 60:02d}:00</wp:comment_date_gmt>"
            f"<wp:comment_content><![CDATA[A considered reply, number {c}, about "
            f"<strong>{WORDS[c % len(WORDS)]}</strong>.]]></wp:comment_content>"
            f"<wp:comment_approved>{'1' if c % 5 else '0'}</wp:comment_approved>"
            f"<wp:comment_type>comment</wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent>"
            f"</wp:comment>")
    parts.append("</item>\n")
    return "".join(parts)


def write_export(path, posts, comments_per_post=0):
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        out.write(channel_terms())
        for n in range(1, posts + 1):
            out.write(post_item(n, comments_per_post))
        out.write(TAIL)
