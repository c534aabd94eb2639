#include "gaterouter/openai/json_scan.hpp"

#include <algorithm>
#include <charconv>

#include "gaterouter/obs/json_text.hpp"

#include <cstdint>
#include <cstring>

namespace gaterouter::openai {
namespace {

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Recursive-descent validator over [pos, end). Each scan_* returns false with `error` set on bad input.
class Scanner {
  public:
    Scanner(std::string_view doc, JsonSyntaxError& error) : doc_(doc), error_(error) {}

    std::optional<JsonValue> document() {
        skip_ws();
        JsonValue v;
        if (!value(0, v)) return std::nullopt;
        skip_ws();
        if (pos_ != doc_.size()) return fail("unexpected data after the JSON value");
        return v;
    }

    // Scans one value starting at the current position (no leading whitespace).
    bool value(int depth, JsonValue& out) {
        if (pos_ >= doc_.size()) return fail("unexpected end of JSON"), false;
        const std::size_t start = pos_;
        bool ok = false;
        switch (doc_[pos_]) {
            case '{':
                out.type = JsonType::object, ok = object(depth + 1);
                break;
            case '[':
                out.type = JsonType::array, ok = array(depth + 1);
                break;
            case '"':
                out.type = JsonType::string, ok = string();
                break;
            case 't':
                out.type = JsonType::boolean, ok = literal("true");
                break;
            case 'f':
                out.type = JsonType::boolean, ok = literal("false");
                break;
            case 'n':
                out.type = JsonType::null, ok = literal("null");
                break;
            default:
                out.type = JsonType::number, ok = number();
                break;
        }
        if (ok) out.raw = doc_.substr(start, pos_ - start);
        return ok;
    }

    void skip_ws() {
        while (pos_ < doc_.size() && is_ws(doc_[pos_])) ++pos_;
    }

    // Walks the items of the (valid) object or array this scanner was made on: the next member's key and
    // value, or the next element when `key` is null. False after the last one.
    bool next_item(JsonValue* key, JsonValue& item) {
        pos_ = pos_ == 0 ? 1 : pos_;
        skip_ws();
        if (pos_ >= doc_.size() || doc_[pos_] == '}' || doc_[pos_] == ']') return false;
        if (doc_[pos_] == ',') ++pos_, skip_ws();
        if (key != nullptr) {
            value(0, *key);
            skip_ws();
            ++pos_;  // ':'
            skip_ws();
        }
        return value(0, item);
    }

  private:
    std::nullopt_t fail(const char* message) {
        error_ = {pos_, message};
        return std::nullopt;
    }
    bool fail_b(const char* message) {
        fail(message);
        return false;
    }

    bool object(int depth) {
        if (depth > kMaxJsonDepth) return fail_b("JSON nested too deeply");
        ++pos_;
        skip_ws();
        if (pos_ < doc_.size() && doc_[pos_] == '}') return ++pos_, true;
        for (;;) {
            skip_ws();
            if (pos_ >= doc_.size() || doc_[pos_] != '"') return fail_b("expected a string key");
            if (!string()) return false;
            skip_ws();
            if (pos_ >= doc_.size() || doc_[pos_] != ':') return fail_b("expected ':' after a key");
            ++pos_;
            skip_ws();
            JsonValue member;
            if (!value(depth, member)) return false;
            skip_ws();
            if (pos_ >= doc_.size()) return fail_b("unexpected end of JSON in an object");
            if (doc_[pos_] == '}') return ++pos_, true;
            if (doc_[pos_] != ',') return fail_b("expected ',' or '}' in an object");
            ++pos_;
        }
    }

    bool array(int depth) {
        if (depth > kMaxJsonDepth) return fail_b("JSON nested too deeply");
        ++pos_;
        skip_ws();
        if (pos_ < doc_.size() && doc_[pos_] == ']') return ++pos_, true;
        for (;;) {
            skip_ws();
            JsonValue element;
            if (!value(depth, element)) return false;
            skip_ws();
            if (pos_ >= doc_.size()) return fail_b("unexpected end of JSON in an array");
            if (doc_[pos_] == ']') return ++pos_, true;
            if (doc_[pos_] != ',') return fail_b("expected ',' or ']' in an array");
            ++pos_;
        }
    }

    bool literal(std::string_view word) {
        if (doc_.substr(pos_, word.size()) != word) return fail_b("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool digits() {
        const std::size_t start = pos_;
        while (pos_ < doc_.size() && is_digit(doc_[pos_])) ++pos_;
        return pos_ > start;
    }

    bool number() {
        const std::size_t start = pos_;
        if (pos_ < doc_.size() && doc_[pos_] == '-') ++pos_;
        if (pos_ >= doc_.size() || !is_digit(doc_[pos_])) return fail_b("invalid value");
        const std::size_t integer_start = pos_;
        if (doc_[pos_] == '0') {
            ++pos_;
        } else {
            digits();
        }
        const std::size_t integer_digits = pos_ - integer_start;
        if (pos_ < doc_.size() && doc_[pos_] == '.') {
            ++pos_;
            if (!digits()) return fail_b("invalid number");
        }
        bool exponent = false;
        if (pos_ < doc_.size() && (doc_[pos_] == 'e' || doc_[pos_] == 'E')) {
            exponent = true;
            ++pos_;
            if (pos_ < doc_.size() && (doc_[pos_] == '+' || doc_[pos_] == '-')) ++pos_;
            if (!digits()) return fail_b("invalid number");
        }
        // Only an exponent or as many integer digits as DBL_MAX has (309) can take a number past a double's
        // range: the check stays off the path of the numbers requests carry.
        if ((exponent || integer_digits >= 309) && beyond_double(doc_.substr(start, pos_ - start)))
            return fail_b("number out of range");
        return true;
    }

    // True for a number too large in magnitude for a double. openai::parse_json (nlohmann) refuses those, and
    // the scanner must refuse them too: a body it accepts is parsed into a tree by the protocols that
    // translate it, and `"temperature": 1e400` would otherwise leave them no request to translate. A number
    // too small for a double reads as 0 in both.
    static bool beyond_double(std::string_view number) {
        double ignored = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), ignored);
        if (ec != std::errc::result_out_of_range) return false;
        // Out of range one way or the other: too large when the number is at least 1 in magnitude, which its
        // first significant digit's power of ten tells.
        if (number.front() == '-') number.remove_prefix(1);
        const std::size_t point = number.find_first_of(".eE");
        const std::string_view integer = number.substr(0, point);
        std::int64_t power = 0;
        if (integer != "0") {
            power = static_cast<std::int64_t>(integer.size()) - 1;
        } else if (point < number.size() && number[point] == '.') {
            const std::size_t first = number.find_first_not_of('0', point + 1);
            power = -static_cast<std::int64_t>(first - point);  // first is a digit: the number is not zero
        }
        std::string_view e = number.substr(std::min(number.find_first_of("eE"), number.size()));
        if (e.empty()) return power >= 0;
        e.remove_prefix(1);
        const bool negative = e.front() == '-';
        if (e.front() == '+' || e.front() == '-') e.remove_prefix(1);
        std::int64_t exponent = 0;  // saturated: past a million it is out of range whatever the digits
        for (const char c : e) exponent = std::min<std::int64_t>(exponent * 10 + (c - '0'), 1'000'000);
        return power + (negative ? -exponent : exponent) >= 0;
    }

    bool hex4(std::uint32_t& cp) {
        if (pos_ + 4 > doc_.size()) return fail_b("truncated \\u escape");
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hex_value(doc_[pos_++]);
            if (h < 0) return fail_b("invalid \\u escape");
            cp = cp * 16 + static_cast<std::uint32_t>(h);
        }
        return true;
    }

    bool escape() {
        ++pos_;  // the backslash
        if (pos_ >= doc_.size()) return fail_b("truncated escape");
        const char c = doc_[pos_++];
        if (c != 'u') {
            switch (c) {
                case '"':
                case '\\':
                case '/':
                case 'b':
                case 'f':
                case 'n':
                case 'r':
                case 't':
                    return true;
                default:
                    return fail_b("invalid escape");
            }
        }
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail_b("lone low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (doc_.substr(pos_, 2) != "\\u") return fail_b("lone high surrogate in \\u escape");
            pos_ += 2;
            std::uint32_t low = 0;
            if (!hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail_b("invalid surrogate pair in \\u escape");
        }
        return true;
    }

    // One UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
    bool utf8() {
        const auto b0 = static_cast<unsigned char>(doc_[pos_]);
        int extra;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            extra = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            extra = 2;
            if (b0 == 0xE0) lo = 0xA0;
            if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            extra = 3;
            if (b0 == 0xF0) lo = 0x90;
            if (b0 == 0xF4) hi = 0x8F;
        } else {
            return fail_b("invalid UTF-8 in a string");
        }
        if (pos_ + static_cast<std::size_t>(extra) >= doc_.size())
            return fail_b("truncated UTF-8 in a string");
        for (int i = 1; i <= extra; ++i) {
            const auto b = static_cast<unsigned char>(doc_[pos_ + static_cast<std::size_t>(i)]);
            if (b < lo || b > hi) return fail_b("invalid UTF-8 in a string");
            lo = 0x80, hi = 0xBF;
        }
        pos_ += static_cast<std::size_t>(extra) + 1;
        return true;
    }

    // Skips plain ASCII (no quote, backslash, control or non-ASCII byte) eight bytes at a time: most of a
    // prompt's text. A false alarm only hands the next bytes to the byte-by-byte loop.
    void skip_plain_ascii() {
        constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
        constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
        const auto has_zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
        while (pos_ + 8 <= doc_.size()) {
            std::uint64_t x = 0;
            std::memcpy(&x, doc_.data() + pos_, sizeof x);
            const std::uint64_t special = has_zero_byte(x ^ (kOnes * '"')) |
                                          has_zero_byte(x ^ (kOnes * '\\')) |
                                          ((x - kOnes * 0x20) & ~x & kHighs) | (x & kHighs);
            if (special != 0) return;
            pos_ += 8;
        }
    }

    bool string() {
        ++pos_;  // opening quote
        while (pos_ < doc_.size()) {
            skip_plain_ascii();
            if (pos_ >= doc_.size()) break;
            const auto c = static_cast<unsigned char>(doc_[pos_]);
            if (c == '"') return ++pos_, true;
            if (c == '\\') {
                if (!escape()) return false;
            } else if (c < 0x20) {
                return fail_b("control character in a string");
            } else if (c < 0x80) {
                ++pos_;
            } else if (!utf8()) {
                return false;
            }
        }
        return fail_b("unterminated string");
    }

    std::string_view doc_;
    JsonSyntaxError& error_;
    std::size_t pos_ = 0;
};

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::uint32_t read_hex4(std::string_view s, std::size_t at) {
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < 4; ++i) cp = cp * 16 + static_cast<std::uint32_t>(hex_value(s[at + i]));
    return cp;
}

// Decodes the inside of an already validated string literal.
std::string decode_inner(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out.push_back(s[i]);
            continue;
        }
        const char c = s[++i];
        switch (c) {
            case 'b':
                out.push_back('\b');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'u': {
                std::uint32_t cp = read_hex4(s, i + 1);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    const std::uint32_t low = read_hex4(s, i + 3);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                }
                append_utf8(out, cp);
                break;
            }
            default:
                out.push_back(c);
                break;  // " \ /
        }
    }
    return out;
}

}  // namespace

std::optional<JsonValue> scan_json(std::string_view doc, JsonSyntaxError& error) {
    return Scanner(doc, error).document();
}

void for_each_member(const JsonValue& object,
                     const std::function<bool(std::string_view key, const JsonValue& value)>& visit) {
    if (object.type != JsonType::object) return;
    JsonSyntaxError ignored;
    Scanner s(object.raw, ignored);
    JsonValue key, value;
    while (s.next_item(&key, value)) {
        if (!visit(key.raw.substr(1, key.raw.size() - 2), value)) return;
    }
}

void for_each_element(const JsonValue& array, const std::function<bool(const JsonValue& value)>& visit) {
    if (array.type != JsonType::array) return;
    JsonSyntaxError ignored;
    Scanner s(array.raw, ignored);
    JsonValue value;
    while (s.next_item(nullptr, value)) {
        if (!visit(value)) return;
    }
}

bool KeyTracker::repeats(std::string_view raw_key) {
    const bool escaped = raw_key.find('\\') != std::string_view::npos;
    for (const std::string_view earlier : seen_) {
        const bool same = !escaped && earlier.find('\\') == std::string_view::npos
                              ? earlier == raw_key
                              : decode_inner(earlier) == decode_inner(raw_key);
        if (same) return true;
    }
    seen_.push_back(raw_key);
    return false;
}

std::optional<std::string_view> repeated_key(const JsonValue& object) {
    KeyTracker keys;
    std::optional<std::string_view> repeated;
    for_each_member(object, [&](std::string_view key, const JsonValue&) {
        if (keys.repeats(key)) repeated = key;
        return !repeated;
    });
    return repeated;
}

bool key_equals(std::string_view raw_key, std::string_view name) {
    if (raw_key.find('\\') == std::string_view::npos) return raw_key == name;
    return decode_inner(raw_key) == name;
}

std::string decode_string(const JsonValue& string_value) {
    if (string_value.type != JsonType::string || string_value.raw.size() < 2) return {};
    return decode_inner(string_value.raw.substr(1, string_value.raw.size() - 2));
}

std::string quote_json(std::string_view text) {
    std::string out;
    obs::append_json_string(out, text);
    return out;
}

std::string splice(std::string_view doc, std::string_view part, std::string_view replacement) {
    const auto offset = static_cast<std::size_t>(part.data() - doc.data());
    std::string out;
    out.reserve(doc.size() - part.size() + replacement.size());
    out.append(doc.substr(0, offset)).append(replacement).append(doc.substr(offset + part.size()));
    return out;
}

std::string splice_all(std::string_view doc, std::vector<Splice> splices) {
    std::sort(splices.begin(), splices.end(),
              [](const Splice& a, const Splice& b) { return a.part.data() < b.part.data(); });
    std::string out;
    out.reserve(doc.size() + 64);
    std::size_t at = 0;
    for (const Splice& s : splices) {
        const auto offset = static_cast<std::size_t>(s.part.data() - doc.data());
        out.append(doc.substr(at, offset - at)).append(s.replacement);
        at = offset + s.part.size();
    }
    out.append(doc.substr(at));
    return out;
}

std::string without_member(std::string_view doc, const JsonValue& object, std::string_view name) {
    std::size_t begin = std::string_view::npos, end = 0;
    for_each_member(object, [&](std::string_view key, const JsonValue& value) {
        if (!key_equals(key, name)) return true;
        begin = static_cast<std::size_t>(key.data() - doc.data()) - 1;  // the key's opening quote
        end = static_cast<std::size_t>(value.raw.data() + value.raw.size() - doc.data());
        return false;
    });
    if (begin == std::string_view::npos) return std::string(doc);
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    std::size_t after = end;
    while (after < doc.size() && is_space(doc[after])) ++after;
    if (after < doc.size() && doc[after] == ',') {
        end = after + 1;  // "a": 1, <member>, "b": 2  or  { <member>, "b": 2 }
    } else {
        std::size_t before = begin;
        while (before > 0 && is_space(doc[before - 1])) --before;
        if (before > 0 && doc[before - 1] == ',')
            begin = before - 1;  // the last member: drop the comma before
    }
    std::string out;
    out.reserve(doc.size() - (end - begin));
    out.append(doc.substr(0, begin)).append(doc.substr(end));
    return out;
}

}  // namespace gaterouter::openai
