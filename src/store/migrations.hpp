#pragma once
// The schema's history: migration N (counting from 1) brings user_version N-1 to N. Append only; a migration
// that shipped is never edited.

#include <span>

namespace gaterouter::store {

std::span<const char* const> schema_migrations();

}  // namespace gaterouter::store
