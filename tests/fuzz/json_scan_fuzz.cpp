// The request JSON scanner (openai/json_scan.hpp) against nlohmann's parser, which the gateway also uses on
// the same bytes (openai::parse_json): the two must agree on what a document is, member by member, or a
// request would mean one thing to the gateway's checks and another to the translation that builds the
// upstream body.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gaterouter/openai/json_access.hpp"
#include "gaterouter/openai/json_scan.hpp"

using namespace gaterouter::openai;

namespace {

// A raw key from for_each_member, decoded: it views the document between its quotes.
std::string decoded_key(std::string_view key) {
    return decode_string(JsonValue{JsonType::string, {key.data() - 1, key.size() + 2}});
}

bool same_type(JsonType scanned, const nlohmann::json& tree) {
    switch (scanned) {
        case JsonType::object:
            return tree.is_object();
        case JsonType::array:
            return tree.is_array();
        case JsonType::string:
            return tree.is_string();
        case JsonType::number:
            return tree.is_number();
        case JsonType::boolean:
            return tree.is_boolean();
        case JsonType::null:
            return tree.is_null();
    }
    return false;
}

void compare(const JsonValue& value, const nlohmann::json& tree) {
    FUZZ_CHECK(same_type(value.type, tree));
    if (value.type == JsonType::string) {
        FUZZ_CHECK(decode_string(value) == tree.get<std::string>());
    } else if (value.type == JsonType::array) {
        std::size_t i = 0;
        for_each_element(value, [&](const JsonValue& element) {
            FUZZ_CHECK(i < tree.size());
            compare(element, tree[i++]);
            return true;
        });
        FUZZ_CHECK(i == tree.size());
    } else if (value.type == JsonType::object) {
        // nlohmann keeps one member per name: with a repeated key the counts differ, and which one it kept is
        // its own choice, so only a document without repeats is compared member by member.
        const bool repeats = repeated_key(value).has_value();
        std::size_t members = 0;
        for_each_member(value, [&](std::string_view key, const JsonValue& member) {
            ++members;
            const std::string name = decoded_key(key);
            FUZZ_CHECK(key_equals(key, name));
            FUZZ_CHECK(tree.contains(name));
            if (!repeats) compare(member, tree[name]);
            return true;
        });
        FUZZ_CHECK(repeats ? members > tree.size() : members == tree.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view doc(reinterpret_cast<const char*>(data), size);
    JsonSyntaxError error;
    const auto root = scan_json(doc, error);
    const nlohmann::json tree = parse_json(doc);
    if (!root) {
        FUZZ_CHECK(error.offset <= doc.size());
        FUZZ_CHECK(tree.is_discarded());
        return 0;
    }
    FUZZ_CHECK(!tree.is_discarded());
    compare(*root, tree);

    if (root->type == JsonType::object && !repeated_key(*root)) {
        // What the chat endpoint does to take the `gaterouter` extension out: the rest stays a valid
        // document.
        std::string first;
        for_each_member(*root, [&](std::string_view key, const JsonValue&) {
            first = decoded_key(key);
            return false;
        });
        const std::string rest = without_member(doc, *root, first);
        nlohmann::json expected = tree;
        expected.erase(first);
        FUZZ_CHECK(parse_json(rest) == expected);
    }
    return 0;
}
