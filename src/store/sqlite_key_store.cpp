#include "gaterouter/store/sqlite_stores.hpp"

#include <array>
#include <cstddef>
#include <optional>

#include "sqlite_connection.hpp"
#include "text_list.hpp"

namespace gaterouter::store {

namespace {

// The settings' columns, limits_rpm through queue_max_wait_ms, in the order both statements name them (from
// parameter and column kFirstSettingColumn on).
constexpr std::array<std::optional<std::int64_t> KeySettingsRecord::*, 8> kSettingColumns{
    &KeySettingsRecord::limits_rpm,
    &KeySettingsRecord::limits_tpm,
    &KeySettingsRecord::limits_max_in_flight,
    &KeySettingsRecord::timeouts_total_ms,
    &KeySettingsRecord::timeouts_first_token_ms,
    &KeySettingsRecord::queue_share,
    &KeySettingsRecord::queue_max_depth,
    &KeySettingsRecord::queue_max_wait_ms};
constexpr int kFirstSettingColumn = 9;  // the upsert's parameter ?9, the select's column 9 (after id)

}  // namespace

std::int64_t SqliteKeyStore::put_api_key(const ApiKeyRecord& key) {
    SqliteConnection& connection = database_.writer();
    std::lock_guard lock(connection.mutex());
    Statement upsert(
        connection,
        "INSERT INTO api_keys (name, team, sha256, created_ms, expires_ms, revoked_ms, "
        "allowed_models, policy, limits_rpm, limits_tpm, limits_max_in_flight, timeouts_total_ms, "
        "timeouts_first_token_ms, queue_share, queue_max_depth, queue_max_wait_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
        "ON CONFLICT (name) DO UPDATE SET team = ?2, sha256 = ?3, created_ms = ?4, "
        "expires_ms = ?5, revoked_ms = ?6, allowed_models = ?7, policy = ?8, limits_rpm = ?9, "
        "limits_tpm = ?10, limits_max_in_flight = ?11, timeouts_total_ms = ?12, "
        "timeouts_first_token_ms = ?13, queue_share = ?14, queue_max_depth = ?15, "
        "queue_max_wait_ms = ?16 RETURNING id");
    upsert.bind(1, key.name);
    upsert.bind(2, key.team);
    upsert.bind(3, key.sha256_hex);
    upsert.bind(4, key.created_unix_ms);
    upsert.bind(5, key.expires_unix_ms);
    upsert.bind(6, key.revoked_unix_ms);
    upsert.bind(7, join_list(key.allowed_models));
    upsert.bind(8, key.policy);
    for (std::size_t i = 0; i < kSettingColumns.size(); ++i)
        upsert.bind(kFirstSettingColumn + static_cast<int>(i), key.settings.*kSettingColumns[i]);
    upsert.step();
    const std::int64_t id = upsert.int64_at(0);
    return id;
}

std::vector<ApiKeyRecord> SqliteKeyStore::api_keys() const {
    SqliteConnection& connection = database_.reader();
    std::lock_guard lock(connection.mutex());
    Statement select(
        connection,
        "SELECT id, name, team, sha256, created_ms, expires_ms, revoked_ms, allowed_models, policy, "
        "limits_rpm, limits_tpm, limits_max_in_flight, timeouts_total_ms, timeouts_first_token_ms, "
        "queue_share, queue_max_depth, queue_max_wait_ms FROM api_keys ORDER BY name");
    std::vector<ApiKeyRecord> keys;
    while (select.step()) {
        ApiKeyRecord key;
        key.id = select.int64_at(0);
        key.name = select.text_at(1);
        key.team = select.text_at(2);
        key.sha256_hex = select.text_at(3);
        key.created_unix_ms = select.int64_at(4);
        key.expires_unix_ms = select.optional_int64_at(5);
        key.revoked_unix_ms = select.optional_int64_at(6);
        key.allowed_models = split_list(select.text_at(7));
        key.policy = select.text_at(8);
        for (std::size_t i = 0; i < kSettingColumns.size(); ++i)
            key.settings.*kSettingColumns[i] =
                select.optional_int64_at(kFirstSettingColumn + static_cast<int>(i));
        keys.push_back(std::move(key));
    }
    return keys;
}

bool SqliteKeyStore::revoke_api_key(std::string_view name, std::int64_t at_unix_ms) {
    SqliteConnection& connection = database_.writer();
    std::lock_guard lock(connection.mutex());
    Statement update(connection, "UPDATE api_keys SET revoked_ms = ?2 WHERE name = ?1");
    update.bind(1, name);
    update.bind(2, at_unix_ms);
    update.step();
    return sqlite3_changes(connection.handle()) > 0;
}

std::int64_t SqliteKeyStore::key_generation() const {
    SqliteConnection& connection = database_.reader();
    std::lock_guard lock(connection.mutex());
    Statement select(connection, "SELECT generation FROM key_changes");
    select.step();
    return select.int64_at(0);
}

}  // namespace gaterouter::store
