#include "migrations.hpp"

namespace gaterouter::store {

namespace {

// Times are unix milliseconds, money nano-USD (1e-9 USD), both INTEGER. Empty text means "none" where a value
// is optional (a request without a key), so sums and groups never meet NULL.
constexpr const char* kInitialSchema = R"sql(
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    team TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL UNIQUE,            -- hex of the key's SHA-256; the key itself is never stored
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER,                     -- NULL: never expires
    revoked_ms INTEGER,                     -- NULL: not revoked
    allowed_models TEXT NOT NULL DEFAULT '',-- comma-separated model ids; empty: every model
    policy TEXT NOT NULL DEFAULT ''
);

CREATE TABLE budgets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('global', 'team', 'key', 'model', 'task', 'key_model')),
    scope_value TEXT NOT NULL DEFAULT '',   -- the team, key, model or task; the key of a key_model scope
    scope_model TEXT NOT NULL DEFAULT '',   -- the model of a key_model scope
    period TEXT NOT NULL CHECK (period IN ('day', 'month', 'total')),
    limit_nano_usd INTEGER NOT NULL CHECK (limit_nano_usd >= 0),
    hard INTEGER NOT NULL CHECK (hard IN (0, 1)),
    alert_thresholds TEXT NOT NULL DEFAULT '', -- comma-separated fractions of the limit
    utc_offset_minutes INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    key_name TEXT NOT NULL,
    team TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    task TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    status INTEGER NOT NULL,                -- HTTP status sent; 0: none (charged by crash recovery)
    attempts INTEGER NOT NULL,
    flags TEXT NOT NULL                     -- comma-separated, e.g. 'charged_reservation'
);
CREATE INDEX requests_by_time ON requests (time_ms);

-- A request in flight: its maximum cost, held until its row in requests is written (in the same transaction
-- that deletes this one).
CREATE TABLE reservations (
    request_id TEXT PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    key_name TEXT NOT NULL,
    team TEXT NOT NULL,
    model TEXT NOT NULL,
    task TEXT NOT NULL,
    amount_nano_usd INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// How far the ledger has imported the request journal (a file beside it): one row, updated in the same
// transaction as the rows imported.
constexpr const char* kJournalMark = R"sql(
CREATE TABLE journal_mark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL,
    next_position INTEGER NOT NULL
);
INSERT INTO journal_mark (id, epoch, next_position) VALUES (1, 0, 0);
)sql";

// Request rows kept in time order by their id, so that a time range is a range of ids and the table needs no
// index on time (which cost the writer a fifth of its time per row): a row's id is its time in ms × 2^20 plus
// its place among the rows of that millisecond, or one more than the highest id when that is higher (a wall
// clock stepped back). `lead` is the most any id has run ahead of its time (id − time × 2^20): a query for
// times below T looks at ids up to T × 2^20 + lead. Existing rows are renumbered into that order.
constexpr const char* kRequestsInTimeOrder = R"sql(
CREATE TABLE requests_in_time_order (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    key_name TEXT NOT NULL,
    team TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    task TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_nano_usd INTEGER NOT NULL,
    status INTEGER NOT NULL,                -- HTTP status sent; 0: none (charged by crash recovery)
    attempts INTEGER NOT NULL,
    flags TEXT NOT NULL                     -- comma-separated, e.g. 'charged_reservation'
);
INSERT INTO requests_in_time_order
    SELECT time_ms * 1048576 + row_number() OVER (PARTITION BY time_ms ORDER BY id) - 1, time_ms, request_id,
           key_name, team, model, provider, task, prompt_tokens, completion_tokens, cached_tokens,
           reasoning_tokens, cost_nano_usd, status, attempts, flags
    FROM requests;
DROP TABLE requests;
ALTER TABLE requests_in_time_order RENAME TO requests;
CREATE TABLE request_order (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    lead INTEGER NOT NULL
);
INSERT INTO request_order (id, lead)
    SELECT 1, COALESCE(MAX(id - time_ms * 1048576), 0) FROM requests;
)sql";

// Keys issued at run time take the limits, time limits and queue settings that config keys take: a column per
// value, named section_name after the YAML's section.name; NULL: not set. And a count that every change to
// api_keys moves on, in whichever process made it (the CLI writes keys too), so that a running gateway learns
// of key changes by reading one row (PRAGMA data_version would move with every request row it commits as
// well).
constexpr const char* kKeySettings = R"sql(
ALTER TABLE api_keys ADD COLUMN limits_rpm INTEGER;
ALTER TABLE api_keys ADD COLUMN limits_tpm INTEGER;
ALTER TABLE api_keys ADD COLUMN limits_max_in_flight INTEGER;
ALTER TABLE api_keys ADD COLUMN timeouts_total_ms INTEGER;
ALTER TABLE api_keys ADD COLUMN timeouts_first_token_ms INTEGER;
ALTER TABLE api_keys ADD COLUMN queue_share INTEGER;
ALTER TABLE api_keys ADD COLUMN queue_max_depth INTEGER;
ALTER TABLE api_keys ADD COLUMN queue_max_wait_ms INTEGER;
CREATE TABLE key_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO key_changes (id, generation) VALUES (1, 0);
CREATE TRIGGER api_key_inserted AFTER INSERT ON api_keys
BEGIN UPDATE key_changes SET generation = generation + 1; END;
CREATE TRIGGER api_key_updated AFTER UPDATE ON api_keys
BEGIN UPDATE key_changes SET generation = generation + 1; END;
CREATE TRIGGER api_key_deleted AFTER DELETE ON api_keys
BEGIN UPDATE key_changes SET generation = generation + 1; END;
)sql";

constexpr const char* kMigrations[] = {kInitialSchema, kJournalMark, kRequestsInTimeOrder, kKeySettings};

}  // namespace

std::span<const char* const> schema_migrations() {
    return kMigrations;
}

}  // namespace gaterouter::store
