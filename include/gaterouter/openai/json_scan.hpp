#pragma once
// A validating, allocation-free JSON scanner. The gateway reads only the few fields a decision needs from a
// request body and splices changed values into the original bytes, instead of building a tree and serialising
// it again (DESIGN.md, "The hot path"). Scanning validates the whole document: RFC 8259 grammar, UTF-8 in
// strings, escapes, and a nesting limit so hostile input cannot exhaust the stack.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace gaterouter::openai {

enum class JsonType { object, array, string, number, boolean, null };

struct JsonValue {
    JsonType type = JsonType::null;
    std::string_view raw;  // the value's bytes in the document (strings keep their quotes)
};

struct JsonSyntaxError {
    std::size_t offset = 0;
    std::string message;
};

constexpr int kMaxJsonDepth = 128;

// Validates `doc` as exactly one JSON value (surrounding whitespace allowed) and returns it.
std::optional<JsonValue> scan_json(std::string_view doc, JsonSyntaxError& error);

// Visits the members of an object value from scan_json (already valid). `key` is the raw key without quotes:
// compare with key_equals, which copes with escapes. The visitor returns false to stop early.
void for_each_member(const JsonValue& object,
                     const std::function<bool(std::string_view key, const JsonValue& value)>& visit);
// Visits the elements of an array value; the visitor returns false to stop early.
void for_each_element(const JsonValue& array, const std::function<bool(const JsonValue& value)>& visit);

// The keys of one object, met one by one as a walk over its members reads them, so that a repeated key is
// found in the walk the reader makes anyway. RFC 8259 leaves duplicate names to each reader, so a body with
// one would mean one thing to the gateway (which decides on it) and maybe another to the upstream (which
// answers it).
class KeyTracker {
  public:
    // True when an earlier key decodes to the same name as `raw_key` (raw, still escaped); `raw_key` must
    // stay valid while the tracker is used.
    bool repeats(std::string_view raw_key);

  private:
    // Requests have a dozen members or so: a linear search of the ones seen beats hashing, on the stack.
    boost::container::small_vector<std::string_view, 24> seen_;
};

// The first key of an object value that an earlier member already has (raw, as written where it came
// again), if any: for readers with no walk of their own.
std::optional<std::string_view> repeated_key(const JsonValue& object);

// True when the raw (still escaped) key decodes to `name`.
bool key_equals(std::string_view raw_key, std::string_view name);
// Decodes a string value (raw, with quotes) into UTF-8.
std::string decode_string(const JsonValue& string_value);
// Encodes text as a JSON string literal, quotes included.
std::string quote_json(std::string_view text);

// `doc` without the member `name` of `object` (a value from scan_json of doc) and its separating comma;
// `doc` unchanged when the object has no such member.
std::string without_member(std::string_view doc, const JsonValue& object, std::string_view name);

// `doc` with the bytes of `part` (a view into doc) replaced by `replacement`.
std::string splice(std::string_view doc, std::string_view part, std::string_view replacement);

// One replacement for splice_all: `part` views the document (empty: an insertion at its position).
struct Splice {
    std::string_view part;
    std::string replacement;
};
// `doc` with every part replaced; parts must not overlap (any order).
std::string splice_all(std::string_view doc, std::vector<Splice> splices);

}  // namespace gaterouter::openai
