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
  };
  return migrations;
}

}  // namespace broadsheet::sqlite
