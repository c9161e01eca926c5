#include "storage/database.h"

#include "storage/postgres_database.h"
#include "storage/sqlite_database.h"

namespace broadsheet::storage {

std::string_view DialectName(Dialect dialect) {
  return dialect == Dialect::kPostgres ? "postgresql" : "sqlite";
}

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  if (IsPostgresUrl(options.url)) return PostgresDatabase::Open(options);
  return SqliteDatabase::Open(options);
}

Result<void> CheckStorable(std::span<const Value> params, std::string_view sql) {
  for (const Value& value : params) {
    if (value.kind() == Value::Kind::kText && value.text().find('\0') != std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "text with a NUL byte cannot be stored",
                  std::string(sql));
    }
  }
  return {};
}

std::string NumberParameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  size_t i = 0;
  // Copies from `i` up to and including the closing `quote` (a doubled quote is an escaped one).
  auto copy_quoted = [&](char quote) {
    out += sql[i++];
    while (i < sql.size()) {
      const char c = sql[i++];
      out += c;
      if (c != quote) continue;
      if (i < sql.size() && sql[i] == quote) {
        out += sql[i++];
        continue;
      }
      return;
    }
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      copy_quoted(c);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next++);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace broadsheet::storage
