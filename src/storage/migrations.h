// The SQLite schema as an ordered list of migrations. Migration i (0-based) takes the database
// from PRAGMA user_version i to i + 1. Never edit a migration that has shipped: append one.
#pragma once

#include <string_view>
#include <vector>

namespace broadsheet::sqlite {

const std::vector<std::string_view>& Migrations();

// Written to PRAGMA application_id so that a foreign SQLite file is recognised ("BRDS").
inline constexpr int kApplicationId = 0x42524453;

}  // namespace broadsheet::sqlite
