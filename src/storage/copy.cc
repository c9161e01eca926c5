#include "storage/copy.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace broadsheet::storage {

namespace {

// Tables not copied: those the schema's triggers fill as the rows they follow are inserted
// (comment_counts; change_log, which the copy's inserts fill anew), each database's own record
// of its migrations, the change log's state (the copy is another log, with a generation of its
// own, so that a search index made from the source is rebuilt rather than followed on from a
// position in the source's log; for the same reason the source's search index snapshot), and
// the leases of the processes working on the source (they mean nothing to the copy's; a claim on
// an outbox row whose holder has no lease there is free to take).
bool Skipped(std::string_view table) {
  // Rate limits' windows are not copied either: they close within the hour, and forgetting one
  // only forgives.
  return table == "comment_counts" || table == "change_log" || table == "change_log_state" ||
         table == "broadsheet_schema" || table == "rate_windows" || table == "leases" ||
         table == "search_snapshots";
}

struct Column {
  std::string name;
  bool integer = false;   // bound as an integer (else as text)
  bool identity = false;  // PostgreSQL: an identity column, whose sequence follows the copy
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::string> key;        // primary key columns, in order (empty: none)
  std::set<std::string> parents;       // other tables its foreign keys name
  std::set<std::string> self_columns;  // its columns that name its own rows
};

using Catalog = std::map<std::string, Table>;

// A name from the catalog as a quoted identifier, which both dialects accept.
std::string Quoted(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// The catalog queries are the one place where the dialects differ beyond dialect.h: each
// database describes its own tables.
Result<Catalog> ReadCatalog(Connection& c) {
  const bool sqlite = c.dialect() == Dialect::kSqlite;
  auto names =
      c.All(sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                     "LIKE 'sqlite_%' ORDER BY name"
                   : "SELECT relname FROM pg_class WHERE relnamespace = "
                     "to_regnamespace(current_schema()) AND relkind = 'r' ORDER BY relname",
            [](const Row& row) { return row.Text(0); });
  if (!names) return tl::unexpected(names.error());
  Catalog catalog;
  for (const auto& name : *names) {
    if (Skipped(name)) continue;
    Table table;
    table.name = name;
    auto columns =
        sqlite ? c.All(
                     "SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid",
                     [](const Row& row) {
                       return std::pair(
                           Column{row.Text(0), row.Text(1).find("INT") != std::string::npos},
                           row.Int(2));
                     },
                     name)
               : c.All(
                     "SELECT column_name, data_type, is_identity FROM information_schema.columns "
                     "WHERE table_schema = current_schema() AND table_name = CAST(? AS text) "
                     "ORDER BY ordinal_position",
                     [](const Row& row) {
                       const std::string type = row.Text(1);
                       return std::pair(
                           Column{row.Text(0),
                                  type == "bigint" || type == "integer" || type == "smallint",
                                  row.Text(2) == "YES"},
                           std::int64_t{0});
                     },
                     name);
    if (!columns) return tl::unexpected(columns.error());
    std::vector<std::pair<std::int64_t, std::string>> key;
    for (auto& [column, position] : *columns) {
      if (position > 0) key.emplace_back(position, column.name);
      table.columns.push_back(std::move(column));
    }
    if (!sqlite) {
      auto primary = c.All(
          "SELECT array_position(i.indkey::int2[], a.attnum), a.attname FROM pg_index i "
          "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
          "WHERE i.indrelid = to_regclass(CAST(? AS text)) AND i.indisprimary",
          [](const Row& row) { return std::pair(row.Int(0), row.Text(1)); }, name);
      if (!primary) return tl::unexpected(primary.error());
      key = std::move(*primary);
    }
    std::sort(key.begin(), key.end());
    for (auto& [position, column] : key) table.key.push_back(std::move(column));
    auto references =
        sqlite ? c.All(
                     "SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?)",
                     [](const Row& row) { return std::pair(row.Text(0), row.Text(1)); }, name)
               : c.All(
                     "SELECT p.relname, a.attname FROM pg_constraint k "
                     "JOIN pg_class p ON p.oid = k.confrelid "
                     "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey) "
                     "WHERE k.contype = 'f' AND k.conrelid = to_regclass(CAST(? AS text))",
                     [](const Row& row) { return std::pair(row.Text(0), row.Text(1)); }, name);
    if (!references) return tl::unexpected(references.error());
    for (auto& [parent, column] : *references) {
      if (parent == name) {
        table.self_columns.insert(column);
      } else {
        table.parents.insert(parent);
      }
    }
    catalog.emplace(name, std::move(table));
  }
  return catalog;
}

// The same tables with the same columns on both sides; the error names the first difference.
Result<void> SameShape(const Catalog& from, const Catalog& to) {
  const auto names = [](const Table& table) {
    std::set<std::string> set;
    for (const auto& column : table.columns) set.insert(column.name);
    return set;
  };
  for (const auto& [name, table] : from) {
    auto there = to.find(name);
    if (there == to.end() || names(table) != names(there->second)) {
      return Fail(ErrorCode::kConflict, "the two databases' schemas differ (table " + name +
                                            "): both must be opened by this version of Broadsheet");
    }
  }
  for (const auto& [name, table] : to) {
    if (!from.contains(name)) {
      return Fail(ErrorCode::kConflict, "the two databases' schemas differ (table " + name +
                                            "): both must be opened by this version of Broadsheet");
    }
  }
  return {};
}

// Parents before children, and otherwise by name.
Result<std::vector<const Table*>> CopyOrder(const Catalog& catalog) {
  std::vector<const Table*> order;
  std::set<std::string> placed;
  while (order.size() < catalog.size()) {
    const size_t before = order.size();
    for (const auto& [name, table] : catalog) {
      if (placed.contains(name)) continue;
      const bool ready =
          std::all_of(table.parents.begin(), table.parents.end(), [&](const std::string& parent) {
            return placed.contains(parent) || !catalog.contains(parent);
          });
      if (!ready) continue;
      order.push_back(&table);
      placed.insert(name);
    }
    if (order.size() == before) {
      return Fail(ErrorCode::kInternal, "the tables' foreign keys form a cycle");
    }
  }
  return order;
}

// One row as it was read: each column's text, or its integer, or NULL.
struct Cell {
  std::optional<std::string> text;
  std::optional<std::int64_t> integer;
};

Result<std::int64_t> CopyTable(Connection& source, Connection& target, const Table& table,
                               const Table& target_table) {
  std::map<std::string, bool> integer;
  for (const auto& column : target_table.columns) integer[column.name] = column.integer;
  std::string list, marks, order;
  for (const auto& column : table.columns) {
    list += (list.empty() ? "" : ", ") + Quoted(column.name);
    marks += marks.empty() ? "?" : ", ?";
  }
  for (const auto& column : table.key) order += (order.empty() ? "" : ", ") + Quoted(column);
  if (order.empty()) order = list;  // no key: every column orders the rows
  // Pages after the last key read when the key is integers (every table that grows large), so
  // each page costs the same; else by position, in tables of a few rows per post or account.
  std::vector<size_t> key_columns;
  for (const auto& key : table.key) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i].name == key && integer[key]) key_columns.push_back(i);
    }
  }
  const bool by_key = !table.key.empty() && key_columns.size() == table.key.size();
  constexpr int kPage = 256;
  std::string after_key;  // " WHERE (a, b) > (?, ?)"
  if (by_key) {
    std::string key_marks;
    for (size_t k = 0; k < table.key.size(); ++k) key_marks += k == 0 ? "?" : ", ?";
    after_key = " WHERE (" + order + ") > (" + key_marks + ")";
  }
  const std::string head = "SELECT " + list + " FROM " + Quoted(table.name);
  const std::string tail = " ORDER BY " + order + " LIMIT " + std::to_string(kPage);
  const std::string first_page = head + tail + (by_key ? "" : " OFFSET ?");
  const std::string next_page = by_key ? head + after_key + tail : first_page;
  const std::string insert =
      "INSERT INTO " + Quoted(table.name) + " (" + list + ") VALUES (" + marks + ")";

  // The row's key, for messages and for the second pass.
  const auto describe = [&](const std::vector<Cell>& cells) {
    std::string text;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (std::find(table.key.begin(), table.key.end(), table.columns[i].name) == table.key.end()) {
        continue;
      }
      text +=
          (text.empty() ? "" : ", ") + table.columns[i].name + " " +
          (cells[i].integer ? std::to_string(*cells[i].integer) : cells[i].text.value_or("NULL"));
    }
    return text.empty() ? std::string("without a key") : text;
  };
  const auto bind = [](const Cell& cell) -> Value {
    if (cell.integer) return *cell.integer;
    if (cell.text) return std::string_view(*cell.text);
    return nullptr;
  };

  std::vector<std::vector<Cell>> references;  // rows whose columns name rows of this table
  std::int64_t copied = 0;
  std::vector<std::int64_t> after;  // by_key: the last key read
  for (std::int64_t offset = 0;; offset += kPage) {
    std::vector<std::vector<Cell>> page;
    std::vector<Value> position;
    if (!by_key) position.emplace_back(offset);
    for (std::int64_t value : after) position.emplace_back(value);
    auto read = source.Run(after.empty() ? first_page : next_page, position,
                           [&](const Row& row) -> Result<void> {
                             std::vector<Cell> cells(table.columns.size());
                             for (size_t i = 0; i < table.columns.size(); ++i) {
                               const int at = static_cast<int>(i);
                               if (row.IsNull(at)) continue;
                               if (integer[table.columns[i].name]) {
                                 cells[i].integer = row.Int(at);
                               } else {
                                 cells[i].text = row.Text(at);
                               }
                             }
                             page.push_back(std::move(cells));
                             return {};
                           });
    if (!read) return tl::unexpected(read.error());
    if (by_key && !page.empty()) {
      after.clear();
      for (size_t column : key_columns) after.push_back(page.back()[column].integer.value_or(0));
    }
    for (auto& cells : page) {
      std::vector<Value> values;
      bool refers = false;
      for (size_t i = 0; i < cells.size(); ++i) {
        const bool self = table.self_columns.contains(table.columns[i].name);
        refers = refers || (self && (cells[i].integer || cells[i].text));
        values.push_back(self ? Value(nullptr) : bind(cells[i]));
      }
      if (auto done = target.Run(insert, values, nullptr); !done) {
        // The database's own reason, after the statement the driver names in the detail: the
        // operator needs it to put the row right.
        Error error = done.error();
        std::string reason = error.detail;
        if (reason.starts_with(insert + ": ")) reason.erase(0, insert.size() + 2);
        error.message = "could not copy the row of " + table.name + " with " + describe(cells) +
                        ": " + error.message + (reason.empty() ? "" : " (" + reason + ")");
        return tl::unexpected(error);
      }
      ++copied;
      if (!refers) continue;
      // Only what the second pass needs: the key and the references.
      for (size_t i = 0; i < cells.size(); ++i) {
        const std::string& name = table.columns[i].name;
        if (!table.self_columns.contains(name) &&
            std::find(table.key.begin(), table.key.end(), name) == table.key.end()) {
          cells[i] = Cell{};
        }
      }
      references.push_back(std::move(cells));
    }
    if (page.size() < static_cast<size_t>(kPage)) break;
  }

  // Second pass: references to rows of the same table, now that all of them are there.
  for (const auto& column : table.self_columns) {
    std::string update = "UPDATE " + Quoted(table.name) + " SET " + Quoted(column) + " = ? WHERE ";
    for (size_t k = 0; k < table.key.size(); ++k) {
      update += (k == 0 ? "" : " AND ") + Quoted(table.key[k]) + " = ?";
    }
    for (const auto& cells : references) {
      std::vector<Value> values;
      for (size_t i = 0; i < cells.size(); ++i) {
        if (table.columns[i].name == column) values.insert(values.begin(), bind(cells[i]));
      }
      if (values.empty() || values.front().kind() == Value::Kind::kNull) continue;
      for (const auto& key : table.key) {
        for (size_t i = 0; i < cells.size(); ++i) {
          if (table.columns[i].name == key) values.push_back(bind(cells[i]));
        }
      }
      if (auto done = target.Run(update, values, nullptr); !done) {
        Error error = done.error();
        error.message = "could not link the row of " + table.name + " with " + describe(cells) +
                        ": " + error.message;
        return tl::unexpected(error);
      }
    }
  }
  return copied;
}

}  // namespace

Result<Contents> Inspect(Database& database) {
  return database.Read([](Connection& c) -> Result<Contents> {
    const bool sqlite = c.dialect() == Dialect::kSqlite;
    auto tables = c.Integer(sqlite ? "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE "
                                     "'sqlite_%'"
                                   : "SELECT count(*) FROM pg_class WHERE relnamespace = "
                                     "to_regnamespace(current_schema())");
    if (!tables) return tl::unexpected(tables.error());
    if (tables->value_or(0) == 0) return Contents::kEmpty;
    // SQLite's files are marked with Broadsheet's application id; PostgreSQL's schema keeps its
    // version in broadsheet_schema.
    auto marked = c.Integer(sqlite ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                     "AND name = 'posts'"
                                   : "SELECT count(*) FROM pg_class WHERE relnamespace = "
                                     "to_regnamespace(current_schema()) AND relname = "
                                     "'broadsheet_schema'");
    if (!marked) return tl::unexpected(marked.error());
    return marked->value_or(0) > 0 ? Contents::kBroadsheet : Contents::kForeign;
  });
}

Result<CopyReport> CopyDatabase(Database& from, Database& to) {
  return to.Transact([&](Connection& target) -> Result<CopyReport> {
    return from.Read([&](Connection& source) -> Result<CopyReport> {
      auto source_catalog = ReadCatalog(source);
      if (!source_catalog) return tl::unexpected(source_catalog.error());
      auto target_catalog = ReadCatalog(target);
      if (!target_catalog) return tl::unexpected(target_catalog.error());
      if (auto same = SameShape(*source_catalog, *target_catalog); !same) {
        return tl::unexpected(same.error());
      }
      for (const auto& [name, table] : *target_catalog) {
        auto any = target.Integer("SELECT 1 FROM " + Quoted(name) + " LIMIT 1");
        if (!any) return tl::unexpected(any.error());
        if (*any) {
          return Fail(ErrorCode::kConflict, "the target database is not empty (table " + name +
                                                " has rows): copy into a new, empty database");
        }
      }
      auto order = CopyOrder(*source_catalog);
      if (!order) return tl::unexpected(order.error());
      CopyReport report;
      for (const Table* table : *order) {
        const Table& target_table = target_catalog->at(table->name);
        auto copied = CopyTable(source, target, *table, target_table);
        if (!copied) return tl::unexpected(copied.error());
        report.tables.push_back({table->name, *copied});
        report.rows += *copied;
        for (const auto& column : target_table.columns) {
          if (!column.identity || *copied == 0) continue;
          // The next row made on the target takes an id after every copied one.
          auto moved = target.Exec("SELECT setval(pg_get_serial_sequence(?, ?), (SELECT max(" +
                                       Quoted(column.name) + ") FROM " + Quoted(table->name) + "))",
                                   table->name, column.name);
          if (!moved) return tl::unexpected(moved.error());
        }
      }
      return report;
    });
  });
}

}  // namespace broadsheet::storage
