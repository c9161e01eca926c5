#include "storage/migrations.h"

namespace broadsheet::sqlite {

const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> migrations = {
      // 1: publication settings, sections, authors, tags, posts.
      R"sql(
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sections (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  opinion INTEGER NOT NULL DEFAULT 0,
  disclaimer TEXT,
  position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE authors (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  credentials TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  avatar TEXT NOT NULL DEFAULT '',
  bio_markdown TEXT NOT NULL DEFAULT '',
  bio_html TEXT NOT NULL DEFAULT ''
);

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);

CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('article', 'page')),
  status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
  title TEXT NOT NULL,
  dek TEXT NOT NULL DEFAULT '',
  body_markdown TEXT NOT NULL DEFAULT '',
  body_html TEXT NOT NULL DEFAULT '',
  published_at INTEGER,
  updated_at INTEGER,
  created_at INTEGER NOT NULL,
  section_id INTEGER REFERENCES sections(id) ON DELETE SET NULL,
  image_url TEXT NOT NULL DEFAULT '',
  image_alt TEXT NOT NULL DEFAULT '',
  image_caption TEXT NOT NULL DEFAULT '',
  image_credit TEXT NOT NULL DEFAULT '',
  opinion INTEGER NOT NULL DEFAULT 0,
  disclaimer TEXT,
  disclaimer_hidden INTEGER NOT NULL DEFAULT 0,
  comments_open INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX posts_by_date ON posts(kind, status, published_at DESC);
CREATE INDEX posts_by_section ON posts(section_id, published_at DESC);

CREATE TABLE post_authors (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  PRIMARY KEY (post_id, author_id)
) WITHOUT ROWID;
CREATE INDEX post_authors_by_author ON post_authors(author_id);

CREATE TABLE post_tags (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_by_tag ON post_tags(tag_id);
)sql",
      // 2: staff accounts, sign-in sessions, failed sign-ins (for throttling), one-time tokens.
      R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  role TEXT NOT NULL
    CHECK (role IN ('owner', 'administrator', 'editor', 'author', 'contributor')),
  password_hash TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  client_ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE failed_logins (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL COLLATE NOCASE,
  client_ip TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX failed_logins_by_email ON failed_logins(email, at);
CREATE INDEX failed_logins_by_ip ON failed_logins(client_ip, at);

CREATE TABLE one_time_tokens (
  token_hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) WITHOUT ROWID;

CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
      // 3: the editorial workflow. Posts gain the statuses pending (submitted for review) and
      // trash, an edit counter for detecting conflicting saves, and who created them; every
      // save keeps a revision; old addresses redirect (or answer 410); editorial actions are
      // logged. SQLite cannot alter a CHECK constraint, so posts is rebuilt.
      R"sql(
CREATE TABLE posts_new (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('article', 'page')),
  status TEXT NOT NULL
    CHECK (status IN ('draft', 'pending', 'scheduled', 'published', 'trash')),
  title TEXT NOT NULL,
  dek TEXT NOT NULL DEFAULT '',
  body_markdown TEXT NOT NULL DEFAULT '',
  body_html TEXT NOT NULL DEFAULT '',
  published_at INTEGER,
  updated_at INTEGER,
  created_at INTEGER NOT NULL,
  section_id INTEGER REFERENCES sections(id) ON DELETE SET NULL,
  image_url TEXT NOT NULL DEFAULT '',
  image_alt TEXT NOT NULL DEFAULT '',
  image_caption TEXT NOT NULL DEFAULT '',
  image_credit TEXT NOT NULL DEFAULT '',
  opinion INTEGER NOT NULL DEFAULT 0,
  disclaimer TEXT,
  disclaimer_hidden INTEGER NOT NULL DEFAULT 0,
  comments_open INTEGER NOT NULL DEFAULT 1,
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  edit_count INTEGER NOT NULL DEFAULT 0
);
INSERT INTO posts_new (id, slug, kind, status, title, dek, body_markdown, body_html, published_at,
  updated_at, created_at, section_id, image_url, image_alt, image_caption, image_credit, opinion,
  disclaimer, disclaimer_hidden, comments_open)
SELECT id, slug, kind, status, title, dek, body_markdown, body_html, published_at, updated_at,
  created_at, section_id, image_url, image_alt, image_caption, image_credit, opinion, disclaimer,
  disclaimer_hidden, comments_open FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX posts_by_date ON posts(kind, status, published_at DESC);
CREATE INDEX posts_by_section ON posts(section_id, published_at DESC);
CREATE INDEX posts_by_creator ON posts(created_by);

CREATE TABLE revisions (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  saved_at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  title TEXT NOT NULL,
  dek TEXT NOT NULL,
  body_markdown TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX revisions_by_post ON revisions(post_id, id DESC);

CREATE TABLE redirects (
  from_path TEXT PRIMARY KEY,
  to_path TEXT NOT NULL DEFAULT '',
  status INTEGER NOT NULL CHECK (status IN (301, 302, 410)),
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  action TEXT NOT NULL,
  post_id INTEGER,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log(at DESC);
)sql",
      // 4: dated public notes on published articles ("Correction: …", "Update: …").
      R"sql(
CREATE TABLE post_notes (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('correction', 'update')),
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX post_notes_by_post ON post_notes(post_id, at);
)sql",
      // 5: two-factor sign-in (TOTP): each account's secret and the last time step used, so a
      // code works once.
      R"sql(
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
)sql",
      // 6: the media library: uploaded images, their responsive variants and their words.
      R"sql(
CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  mime TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  variants TEXT NOT NULL DEFAULT '[]',
  alt TEXT NOT NULL DEFAULT '',
  caption TEXT NOT NULL DEFAULT '',
  credit TEXT NOT NULL DEFAULT '',
  original_name TEXT NOT NULL DEFAULT '',
  uploaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX media_by_time ON media(created_at DESC);
)sql",
      // 7: reader comments, threaded, with their moderation status.
      R"sql(
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  parent_id INTEGER REFERENCES comments(id) ON DELETE SET NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'trash')),
  author_name TEXT NOT NULL,
  author_email TEXT NOT NULL,
  author_url TEXT NOT NULL DEFAULT '',
  body_markdown TEXT NOT NULL,
  body_html TEXT NOT NULL,
  client_hash TEXT NOT NULL DEFAULT '',
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX comments_by_post ON comments(post_id, status, id);
CREATE INDEX comments_by_status ON comments(status, id DESC);
CREATE INDEX comments_by_email ON comments(author_email, status);
)sql",
      // 8: why a comment was held or marked as spam, what the spam filter learned from each
      // moderator's decision, and the words it learned (the row for '' counts the comments).
      // Addresses are compared without case, so their indexes are NOCASE too.
      R"sql(
ALTER TABLE comments ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN learned TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_by_time ON comments(created_at);
DROP INDEX comments_by_email;
CREATE INDEX comments_by_email ON comments(author_email COLLATE NOCASE, status);
CREATE INDEX comments_by_post_email ON comments(post_id, author_email COLLATE NOCASE);
CREATE TABLE spam_words (
  word TEXT PRIMARY KEY,
  spam INTEGER NOT NULL DEFAULT 0,
  ham INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql",
      // 9: newsletter subscribers, with their consent and the sections they follow (none listed
      // and `everything` set: every issue).
      R"sql(
CREATE TABLE subscribers (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
  everything INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  consented_at INTEGER,
  consent_source TEXT NOT NULL DEFAULT '',
  unsubscribed_at INTEGER,
  bounces INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX subscribers_by_status ON subscribers(status, id);
CREATE INDEX subscribers_by_consent ON subscribers(consented_at);
CREATE TABLE subscriber_sections (
  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  section_id INTEGER NOT NULL REFERENCES sections(id) ON DELETE CASCADE,
  PRIMARY KEY (subscriber_id, section_id)
) WITHOUT ROWID;
)sql",
      // 10: newsletter issues being sent, and the durable outbox: one row per recipient per
      // issue, so a send resumes after a crash where it stopped.
      R"sql(
CREATE TABLE newsletter_sends (
  id INTEGER PRIMARY KEY,
  post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL,
  subject TEXT NOT NULL,
  segments TEXT NOT NULL DEFAULT '',
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'done', 'cancelled')),
  created_at INTEGER NOT NULL,
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  finished_at INTEGER
);
CREATE TABLE newsletter_deliveries (
  send_id INTEGER NOT NULL REFERENCES newsletter_sends(id) ON DELETE CASCADE,
  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  sent_at INTEGER,
  PRIMARY KEY (send_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX deliveries_due ON newsletter_deliveries(status, next_attempt_at);
CREATE INDEX deliveries_by_send ON newsletter_deliveries(send_id, status);
)sql",
      // 11: discovery. Posts gain how they appear to search engines and social sites (a meta
      // description, a social image, a canonical address elsewhere, noindex). The full-text
      // index is a Xapian database beside this one (search/); this database keeps its queue:
      // triggers note every post whose searchable text or visibility a write touched
      // (search_pending, in the same transaction as the write), and the indexer applies them
      // from the search_source view. Plain inserts: a conflict clause in a trigger would give way
      // to an upsert's. bs_plain_text() is the store's own function (core's PlainText).
      R"sql(
ALTER TABLE posts ADD COLUMN meta_description TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN social_image TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN canonical_url TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN noindex INTEGER NOT NULL DEFAULT 0;

CREATE VIEW search_source AS
SELECT p.id AS id, p.kind AS kind, p.published_at AS published_at, p.section_id AS section_id,
  p.title AS title, p.dek AS dek, bs_plain_text(p.body_html) AS body,
  coalesce((SELECT group_concat(a.name, ', ') FROM post_authors pa JOIN authors a
            ON a.id = pa.author_id WHERE pa.post_id = p.id), '') AS authors,
  coalesce((SELECT group_concat(pa.author_id) FROM post_authors pa WHERE pa.post_id = p.id),
           '') AS author_ids,
  coalesce((SELECT s.name FROM sections s WHERE s.id = p.section_id), '') AS section,
  coalesce((SELECT group_concat(t.name, ', ') FROM post_tags pt JOIN tags t
            ON t.id = pt.tag_id WHERE pt.post_id = p.id), '') AS tags
FROM posts p WHERE p.status = 'published';

CREATE TABLE search_pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  post_id INTEGER NOT NULL
);

CREATE TRIGGER search_post_inserted AFTER INSERT ON posts BEGIN
  INSERT INTO search_pending(post_id) VALUES (NEW.id);
END;
CREATE TRIGGER search_post_updated
AFTER UPDATE OF title, dek, body_html, status, section_id, published_at, kind ON posts BEGIN
  INSERT INTO search_pending(post_id) VALUES (NEW.id);
END;
CREATE TRIGGER search_post_deleted AFTER DELETE ON posts BEGIN
  INSERT INTO search_pending(post_id) VALUES (OLD.id);
END;
CREATE TRIGGER search_author_added AFTER INSERT ON post_authors BEGIN
  INSERT INTO search_pending(post_id) VALUES (NEW.post_id);
END;
CREATE TRIGGER search_author_removed AFTER DELETE ON post_authors BEGIN
  INSERT INTO search_pending(post_id) VALUES (OLD.post_id);
END;
CREATE TRIGGER search_tag_added AFTER INSERT ON post_tags BEGIN
  INSERT INTO search_pending(post_id) VALUES (NEW.post_id);
END;
CREATE TRIGGER search_tag_removed AFTER DELETE ON post_tags BEGIN
  INSERT INTO search_pending(post_id) VALUES (OLD.post_id);
END;
CREATE TRIGGER search_author_renamed AFTER UPDATE OF name ON authors BEGIN
  INSERT INTO search_pending(post_id) SELECT post_id FROM post_authors WHERE author_id = NEW.id;
END;
CREATE TRIGGER search_section_renamed AFTER UPDATE OF name ON sections BEGIN
  INSERT INTO search_pending(post_id) SELECT id FROM posts WHERE section_id = NEW.id;
END;
CREATE TRIGGER search_tag_renamed AFTER UPDATE OF name ON tags BEGIN
  INSERT INTO search_pending(post_id) SELECT post_id FROM post_tags WHERE tag_id = NEW.id;
END;

INSERT INTO search_pending(post_id) SELECT id FROM posts WHERE status = 'published';
)sql",
      // 12: what imports brought in from other platforms (WordPress, Ghost), so that running an
      // import again updates what it made instead of making it twice. `source` names the
      // platform and site, `kind` the thing (post, comment, attachment, category, …), `detail`
      // keeps what the importer needs later (an attachment's address and caption, say).
      R"sql(
CREATE TABLE imported (
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  foreign_id TEXT NOT NULL,
  local_id INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (source, kind, foreign_id)
) WITHOUT ROWID;
)sql",
      // 13: busy comment sections stay fast. Replies are found by their parent (a page of
      // threads, and the ON DELETE SET NULL of a deleted comment); the duplicate check and the
      // recent-comments count look at one address's or client's comments through their own
      // indexes (the duplicate one keyed by the start of the text), never at everyone's.
      R"sql(
CREATE INDEX comments_by_parent ON comments(parent_id);
CREATE INDEX comments_by_post_email_text
  ON comments(post_id, author_email COLLATE NOCASE, substr(body_markdown, 1, 64));
CREATE INDEX comments_by_email_time ON comments(author_email COLLATE NOCASE, created_at);
CREATE INDEX comments_by_client_time ON comments(client_hash, created_at);
)sql",
      // 14: each post's approved comments, counted once and kept by triggers, so that lists
      // showing counts (the front page, sections, tags, authors) and the article's heading read
      // one row instead of counting the thread on every render. Every way a comment is added,
      // approved, unapproved, moved, deleted (also through its post's deletion) goes through them.
      R"sql(
CREATE TABLE comment_counts (
  post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  approved INTEGER NOT NULL DEFAULT 0
);
INSERT INTO comment_counts(post_id, approved)
  SELECT post_id, count(*) FROM comments WHERE status = 'approved' GROUP BY post_id;
CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments WHEN NEW.status = 'approved'
BEGIN
  INSERT INTO comment_counts(post_id, approved) VALUES (NEW.post_id, 1)
    ON CONFLICT(post_id) DO UPDATE SET approved = approved + 1;
END;
CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments WHEN OLD.status = 'approved'
BEGIN
  UPDATE comment_counts SET approved = approved - 1 WHERE post_id = OLD.post_id;
END;
CREATE TRIGGER comment_counts_update AFTER UPDATE OF status, post_id ON comments
  WHEN (OLD.status = 'approved') <> (NEW.status = 'approved') OR
       (NEW.status = 'approved' AND OLD.post_id <> NEW.post_id)
BEGIN
  UPDATE comment_counts SET approved = approved - 1
    WHERE OLD.status = 'approved' AND post_id = OLD.post_id;
  INSERT INTO comment_counts(post_id, approved) SELECT NEW.post_id, 1 WHERE NEW.status = 'approved'
    ON CONFLICT(post_id) DO UPDATE SET approved = approved + 1;
END;
)sql",
      // 15: the mail outbox (everything mailed to one person: sign-in links, invitations,
      // comment notices, confirmations), so that a message acknowledged to someone survives a
      // crash and a mail server that is down. A message sent or given up keeps only its
      // addressee, subject and times; its bodies are emptied.
      R"sql(
CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  text_body TEXT NOT NULL DEFAULT '',
  html_body TEXT NOT NULL DEFAULT '',
  headers TEXT NOT NULL DEFAULT '[]',
  return_path TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE status = 'queued';
CREATE INDEX mail_outbox_finished ON mail_outbox(finished_at) WHERE status <> 'queued';
)sql",
      // 16: one index fewer to update for every comment: comments_by_post_email_text (13) starts
      // with the same two columns, so it answers every question comments_by_post_email did.
      R"sql(
DROP INDEX comments_by_post_email;
)sql",
      // 17: the search view gives a post's stored HTML, and the indexer makes it plain text
      // (core's PlainText): the view is then written the same way in PostgreSQL
      // (postgres_schema.cc), which cannot call this program. Bylines in byline order.
      R"sql(
DROP VIEW search_source;
CREATE VIEW search_source AS
SELECT p.id AS id, p.kind AS kind, p.published_at AS published_at, p.section_id AS section_id,
  p.title AS title, p.dek AS dek, p.body_html AS body_html,
  coalesce((SELECT group_concat(name, ', ') FROM (SELECT a.name AS name FROM post_authors pa
            JOIN authors a ON a.id = pa.author_id WHERE pa.post_id = p.id
            ORDER BY pa.position)), '') AS authors,
  coalesce((SELECT group_concat(author_id, ',') FROM (SELECT pa.author_id AS author_id
            FROM post_authors pa WHERE pa.post_id = p.id ORDER BY pa.position)), '')
    AS author_ids,
  coalesce((SELECT s.name FROM sections s WHERE s.id = p.section_id), '') AS section,
  coalesce((SELECT group_concat(name, ', ') FROM (SELECT t.name AS name FROM post_tags pt
            JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id ORDER BY t.name)), '')
    AS tags
FROM posts p WHERE p.status = 'published';
)sql",
      // 18: people and review: a staff account's own author profile (one each), when a post
      // was last submitted for review, and the private notes editors leave on a draft.
      R"sql(
ALTER TABLE users ADD COLUMN author_id INTEGER REFERENCES authors(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX users_by_author ON users(author_id) WHERE author_id IS NOT NULL;
ALTER TABLE posts ADD COLUMN submitted_at INTEGER;
CREATE TABLE editorial_notes (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  resolved_at INTEGER,
  resolved_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX editorial_notes_by_post ON editorial_notes(post_id, at);
)sql",
      // 19: the change log (docs/proposals/change-log.md). Triggers note, in the transaction of
      // the write, every change readers could see: a post (its row, byline, tags, or a rename of
      // its section, author or tag), the lists a post left (post_was), its public notes, an
      // approved comment, a setting, a section, author or tag, a redirect. A row says what
      // changed, not how: whoever follows the log (the search index, on every node) reads the
      // current state again. Readers never see sessions, sign-ins, tokens, users, the audit log,
      // outboxes, newsletters, subscribers, spam words, imports, media, revisions or editorial
      // notes: they are not logged. Each follower keeps its own position, so the log replaces
      // the search queue, which was cleared once applied and so could be followed by one index.
      // `xid` is PostgreSQL's (transaction id); here ids commit in order. `generation` tells a
      // follower's position in another database's log (a copy, a restore) from one in this.
      R"sql(
CREATE TABLE change_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  xid INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
  kind TEXT NOT NULL,
  post_id INTEGER,
  ref_id INTEGER,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX change_log_by_xid ON change_log(xid, id);
CREATE TABLE change_log_state (
  generation TEXT NOT NULL,
  trimmed_id INTEGER NOT NULL DEFAULT 0,
  trimmed_xid INTEGER NOT NULL DEFAULT 0
);
INSERT INTO change_log_state(generation) VALUES (lower(hex(randomblob(16))));

DROP TRIGGER search_post_inserted;
DROP TRIGGER search_post_updated;
DROP TRIGGER search_post_deleted;
DROP TRIGGER search_author_added;
DROP TRIGGER search_author_removed;
DROP TRIGGER search_tag_added;
DROP TRIGGER search_tag_removed;
DROP TRIGGER search_author_renamed;
DROP TRIGGER search_section_renamed;
DROP TRIGGER search_tag_renamed;
DROP TABLE search_pending;

CREATE TRIGGER log_post_inserted AFTER INSERT ON posts BEGIN
  INSERT INTO change_log(kind, post_id) VALUES ('post', NEW.id);
END;
CREATE TRIGGER log_post_updated AFTER UPDATE ON posts
WHEN OLD.slug IS NOT NEW.slug OR OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status OR
  OLD.title IS NOT NEW.title OR OLD.dek IS NOT NEW.dek OR
  OLD.body_markdown IS NOT NEW.body_markdown OR OLD.body_html IS NOT NEW.body_html OR
  OLD.published_at IS NOT NEW.published_at OR OLD.updated_at IS NOT NEW.updated_at OR
  OLD.created_at IS NOT NEW.created_at OR OLD.section_id IS NOT NEW.section_id OR
  OLD.image_url IS NOT NEW.image_url OR OLD.image_alt IS NOT NEW.image_alt OR
  OLD.image_caption IS NOT NEW.image_caption OR OLD.image_credit IS NOT NEW.image_credit OR
  OLD.opinion IS NOT NEW.opinion OR OLD.disclaimer IS NOT NEW.disclaimer OR
  OLD.disclaimer_hidden IS NOT NEW.disclaimer_hidden OR
  OLD.comments_open IS NOT NEW.comments_open OR
  OLD.meta_description IS NOT NEW.meta_description OR
  OLD.social_image IS NOT NEW.social_image OR OLD.canonical_url IS NOT NEW.canonical_url OR
  OLD.noindex IS NOT NEW.noindex
BEGIN
  INSERT INTO change_log(kind, post_id) VALUES ('post', NEW.id);
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    SELECT 'post_was', OLD.id, OLD.section_id, 'section'
    WHERE OLD.section_id IS NOT NULL AND OLD.section_id IS NOT NEW.section_id;
END;
CREATE TRIGGER log_post_deleted AFTER DELETE ON posts BEGIN
  INSERT INTO change_log(kind, post_id) VALUES ('post', OLD.id);
END;

CREATE TRIGGER log_author_linked AFTER INSERT ON post_authors BEGIN
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post', NEW.post_id, NEW.author_id, 'author');
END;
CREATE TRIGGER log_author_moved AFTER UPDATE ON post_authors BEGIN
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post', NEW.post_id, NEW.author_id, 'author');
END;
CREATE TRIGGER log_author_unlinked AFTER DELETE ON post_authors BEGIN
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post_was', OLD.post_id, OLD.author_id, 'author');
END;
CREATE TRIGGER log_tag_linked AFTER INSERT ON post_tags BEGIN
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post', NEW.post_id, NEW.tag_id, 'tag');
END;
CREATE TRIGGER log_tag_unlinked AFTER DELETE ON post_tags BEGIN
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post_was', OLD.post_id, OLD.tag_id, 'tag');
END;

CREATE TRIGGER log_section_added AFTER INSERT ON sections BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', NEW.id, 'section');
END;
CREATE TRIGGER log_section_changed AFTER UPDATE ON sections
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name OR
  OLD.description IS NOT NEW.description OR OLD.opinion IS NOT NEW.opinion OR
  OLD.disclaimer IS NOT NEW.disclaimer OR OLD.position IS NOT NEW.position
BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', NEW.id, 'section');
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    SELECT 'post', id, NEW.id, 'section' FROM posts
    WHERE section_id = NEW.id AND (OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name);
END;
CREATE TRIGGER log_section_removed AFTER DELETE ON sections BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', OLD.id, 'section');
END;
CREATE TRIGGER log_author_added AFTER INSERT ON authors BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', NEW.id, 'author');
END;
CREATE TRIGGER log_author_changed AFTER UPDATE ON authors
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name OR
  OLD.credentials IS NOT NEW.credentials OR OLD.email IS NOT NEW.email OR
  OLD.avatar IS NOT NEW.avatar OR OLD.bio_markdown IS NOT NEW.bio_markdown OR
  OLD.bio_html IS NOT NEW.bio_html
BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', NEW.id, 'author');
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    SELECT 'post', post_id, NEW.id, 'author' FROM post_authors
    WHERE author_id = NEW.id AND (OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name);
END;
CREATE TRIGGER log_author_removed AFTER DELETE ON authors BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', OLD.id, 'author');
END;
CREATE TRIGGER log_tag_added AFTER INSERT ON tags BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', NEW.id, 'tag');
END;
CREATE TRIGGER log_tag_changed AFTER UPDATE ON tags
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name
BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', NEW.id, 'tag');
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    SELECT 'post', post_id, NEW.id, 'tag' FROM post_tags WHERE tag_id = NEW.id;
END;
CREATE TRIGGER log_tag_removed AFTER DELETE ON tags BEGIN
  INSERT INTO change_log(kind, ref_id, detail) VALUES ('taxonomy', OLD.id, 'tag');
END;

CREATE TRIGGER log_note_added AFTER INSERT ON post_notes BEGIN
  INSERT INTO change_log(kind, post_id, ref_id) VALUES ('note', NEW.post_id, NEW.id);
END;
CREATE TRIGGER log_note_changed AFTER UPDATE ON post_notes BEGIN
  INSERT INTO change_log(kind, post_id, ref_id) VALUES ('note', NEW.post_id, NEW.id);
END;
CREATE TRIGGER log_note_removed AFTER DELETE ON post_notes BEGIN
  INSERT INTO change_log(kind, post_id, ref_id) VALUES ('note', OLD.post_id, OLD.id);
END;

CREATE TRIGGER log_comment_added AFTER INSERT ON comments WHEN NEW.status = 'approved' BEGIN
  INSERT INTO change_log(kind, post_id, ref_id) VALUES ('comment', NEW.post_id, NEW.id);
END;
CREATE TRIGGER log_comment_changed AFTER UPDATE ON comments
WHEN (OLD.status = 'approved' OR NEW.status = 'approved') AND
  (OLD.status IS NOT NEW.status OR OLD.body_markdown IS NOT NEW.body_markdown OR
   OLD.body_html IS NOT NEW.body_html OR OLD.author_name IS NOT NEW.author_name OR
   OLD.author_url IS NOT NEW.author_url OR OLD.post_id IS NOT NEW.post_id OR
   OLD.parent_id IS NOT NEW.parent_id)
BEGIN
  INSERT INTO change_log(kind, post_id, ref_id) VALUES ('comment', NEW.post_id, NEW.id);
  INSERT INTO change_log(kind, post_id, ref_id)
    SELECT 'comment', OLD.post_id, OLD.id WHERE OLD.post_id IS NOT NEW.post_id;
END;
CREATE TRIGGER log_comment_removed AFTER DELETE ON comments WHEN OLD.status = 'approved' BEGIN
  INSERT INTO change_log(kind, post_id, ref_id) VALUES ('comment', OLD.post_id, OLD.id);
END;

CREATE TRIGGER log_setting_added AFTER INSERT ON settings BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('settings', NEW.key);
END;
CREATE TRIGGER log_setting_changed AFTER UPDATE ON settings
WHEN OLD.key IS NOT NEW.key OR OLD.value IS NOT NEW.value
BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('settings', NEW.key);
END;
CREATE TRIGGER log_setting_removed AFTER DELETE ON settings BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('settings', OLD.key);
END;
CREATE TRIGGER log_desk_setting_added AFTER INSERT ON secrets
WHEN substr(NEW.name, 1, 5) = 'desk:'
BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('settings', NEW.name);
END;
CREATE TRIGGER log_desk_setting_changed AFTER UPDATE ON secrets
WHEN substr(NEW.name, 1, 5) = 'desk:' AND (OLD.name IS NOT NEW.name OR OLD.value IS NOT NEW.value)
BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('settings', NEW.name);
END;
CREATE TRIGGER log_desk_setting_removed AFTER DELETE ON secrets
WHEN substr(OLD.name, 1, 5) = 'desk:'
BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('settings', OLD.name);
END;

CREATE TRIGGER log_redirect_added AFTER INSERT ON redirects BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('redirect', NEW.from_path);
END;
CREATE TRIGGER log_redirect_changed AFTER UPDATE ON redirects
WHEN OLD.from_path IS NOT NEW.from_path OR OLD.to_path IS NOT NEW.to_path OR
  OLD.status IS NOT NEW.status
BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('redirect', NEW.from_path);
END;
CREATE TRIGGER log_redirect_removed AFTER DELETE ON redirects BEGIN
  INSERT INTO change_log(kind, detail) VALUES ('redirect', OLD.from_path);
END;
)sql",
      // 20: state every node shares (issue 16): rate limits' windows, one row per scope and
      // hashed key, pruned once closed; and the moderators' digest: the held comments waiting
      // for the next one, and when the last was sent, so that one node sends each.
      R"sql(
CREATE TABLE rate_windows (
  scope TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  events INTEGER NOT NULL,
  closes_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key_hash)
) WITHOUT ROWID;
CREATE INDEX rate_windows_by_close ON rate_windows(closes_at);
CREATE TABLE digest_comments (
  comment_id INTEGER PRIMARY KEY REFERENCES comments(id) ON DELETE CASCADE
);
CREATE TABLE digests_sent (
  name TEXT PRIMARY KEY,
  sent_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
      // 21: background work done once with several processes or nodes on one database. A lease
      // is a named right held by one process until it expires (the scheduler's, each node's
      // heartbeat `node:ID`); an outbox row is claimed by the process sending it until
      // `claim_expires_at`, or until its holder's heartbeat lapses.
      R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE newsletter_deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE newsletter_deliveries ADD COLUMN claim_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN claim_expires_at INTEGER NOT NULL DEFAULT 0;
)sql",
      // 22: the change log is trimmed by age (Store::TrimChangeLog); a byline row moved to
      // another post or author logs the post it left too (`post_was`), as on PostgreSQL.
      R"sql(
CREATE INDEX change_log_by_at ON change_log(at);
DROP TRIGGER log_author_moved;
CREATE TRIGGER log_author_moved AFTER UPDATE ON post_authors BEGIN
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post_was', OLD.post_id, OLD.author_id, 'author');
  INSERT INTO change_log(kind, post_id, ref_id, detail)
    VALUES ('post', NEW.post_id, NEW.author_id, 'author');
END;
)sql",
      // 23: the latest search index snapshot, which a new node copies (search/snapshot.h).
      R"sql(
CREATE TABLE search_snapshots (
  name TEXT PRIMARY KEY,
  manifest TEXT NOT NULL,
  made_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
  };
  return migrations;
}

Result<int> Migrate(storage::Database& database) {
  using storage::Connection;
  auto integer = [&](const char* sql) {
    return database.Read([&](Connection& c) -> Result<std::int64_t> {
      auto value = c.Integer(sql);
      if (!value) return tl::unexpected(value.error());
      return value->value_or(0);
    });
  };
  auto application_id = integer("PRAGMA application_id");
  if (!application_id) {
    return Fail(ErrorCode::kConflict, "the file is not a Broadsheet database",
                application_id.error().detail);
  }
  auto version = integer("PRAGMA user_version");
  if (!version) return tl::unexpected(version.error());
  auto tables = integer("SELECT count(*) FROM sqlite_master");
  if (!tables) return tl::unexpected(tables.error());
  if (*application_id != kApplicationId && (*application_id != 0 || *tables > 0)) {
    return Fail(ErrorCode::kConflict, "the database was not written by Broadsheet");
  }
  const int known = static_cast<int>(Migrations().size());
  if (*version > known) {
    return Fail(ErrorCode::kConflict, "the database was written by a newer Broadsheet (schema " +
                                          std::to_string(*version) + "); this one knows schema " +
                                          std::to_string(known));
  }
  if (*version == known) return known;
  // Foreign keys are off while the schema changes (SQLite's documented procedure for rebuilding
  // a table; the pragma does nothing inside a transaction), and checked before each commit.
  if (auto off = database.Maintain("PRAGMA foreign_keys = OFF"); !off)
    return tl::unexpected(off.error());
  for (int next = static_cast<int>(*version); next < known; ++next) {
    auto applied = database.Transact([&](Connection& c) -> Result<void> {
      // Another process may have migrated while this one waited for the write lock.
      auto current = c.Integer("PRAGMA user_version");
      if (!current) return tl::unexpected(current.error());
      if (current->value_or(0) > next) return {};
      const std::string sql = std::string(Migrations()[next]) +
                              "\nPRAGMA user_version = " + std::to_string(next + 1) +
                              ";\nPRAGMA application_id = " + std::to_string(kApplicationId) + ";";
      if (auto ran = c.Script(sql); !ran) {
        return Fail(ErrorCode::kInternal, "migration " + std::to_string(next + 1) + " failed",
                    ran.error().detail.empty() ? ran.error().message : ran.error().detail);
      }
      auto broken = c.Integer("SELECT count(*) FROM pragma_foreign_key_check");
      if (!broken) return tl::unexpected(broken.error());
      if (broken->value_or(0) > 0) {
        return Fail(ErrorCode::kCorrupt, "migration " + std::to_string(next + 1) +
                                             " would break references between tables");
      }
      return {};
    });
    if (!applied) {
      (void)database.Maintain("PRAGMA foreign_keys = ON");
      return tl::unexpected(applied.error());
    }
  }
  if (auto on = database.Maintain("PRAGMA foreign_keys = ON"); !on)
    return tl::unexpected(on.error());
  return known;
}

}  // namespace broadsheet::sqlite
