#include "gaterouter/classify/request_text.hpp"

#include <algorithm>
#include <string_view>

namespace gaterouter::classify {
namespace {

using openai::JsonType;
using openai::JsonValue;

bool is_continuation(char b) {
    return (static_cast<unsigned char>(b) & 0xC0) == 0x80;
}

bool read_hex4(std::string_view s, std::size_t at, char32_t& cp) {
    if (at + 4 > s.size()) return false;
    cp = 0;
    for (std::size_t i = at; i < at + 4; ++i) {
        const char c = s[i];
        int h;
        if (c >= '0' && c <= '9') {
            h = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            h = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            h = c - 'A' + 10;
        } else {
            return false;
        }
        cp = cp * 16 + static_cast<char32_t>(h);
    }
    return true;
}

bool is_high_surrogate(char32_t cp) {
    return cp >= 0xD800 && cp <= 0xDBFF;
}
bool is_low_surrogate(char32_t cp) {
    return cp >= 0xDC00 && cp <= 0xDFFF;
}

std::size_t encode_utf8(char32_t cp, char* out) {
    if (cp < 0x80) return out[0] = static_cast<char>(cp), 1;
    if (cp < 0x800) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (cp >> 12));
        out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = static_cast<char>(0xF0 | (cp >> 18));
    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
}

// Decodes one escape sequence at raw[i] (a backslash) into `cp`; returns its length in raw bytes. Lone
// surrogates and anything malformed (a tail may start at an odd place) read as U+FFFD.
std::size_t decode_escape(std::string_view raw, std::size_t i, char32_t& cp) {
    if (i + 1 >= raw.size()) return cp = 0xFFFD, 1;
    switch (raw[i + 1]) {
        case 'n':
            cp = '\n';
            return 2;
        case 't':
            cp = '\t';
            return 2;
        case 'r':
            cp = '\r';
            return 2;
        case 'b':
            cp = '\b';
            return 2;
        case 'f':
            cp = '\f';
            return 2;
        case 'u':
            break;
        default:
            cp = static_cast<unsigned char>(raw[i + 1]);
            return cp < 0x80 ? 2 : (cp = 0xFFFD, 1);
    }
    if (!read_hex4(raw, i + 2, cp)) return cp = 0xFFFD, 2;
    if (is_high_surrogate(cp)) {
        char32_t low = 0;
        if (raw.substr(i + 6, 2) == "\\u" && read_hex4(raw, i + 8, low) && is_low_surrogate(low)) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            return 12;
        }
        cp = 0xFFFD;
    } else if (is_low_surrogate(cp)) {
        cp = 0xFFFD;
    }
    return 6;
}

// Appends the decoded content of a JSON string (`raw`: escaped, without its quotes) to `out` while `out`
// stays within `limit` bytes, never splitting a character. Returns whether all of it fit.
bool append_decoded(std::string_view raw, std::size_t limit, std::string& out) {
    std::size_t i = 0;
    while (i < raw.size()) {
        if (out.size() >= limit) return false;
        const std::size_t room = limit - out.size();
        if (raw[i] != '\\') {
            // A run of plain bytes, searched for its end only as far as there is room for it.
            const std::size_t backslash = raw.substr(i, room + 1).find('\\');
            std::size_t n = backslash == std::string_view::npos ? raw.size() - i : backslash;
            if (n > room) {
                n = room;
                while (n > 0 && is_continuation(raw[i + n])) --n;
                out.append(raw.substr(i, n));
                return false;
            }
            out.append(raw.substr(i, n));
            i += n;
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decode_escape(raw, i, cp);
        char utf8[4];
        const std::size_t n = encode_utf8(cp, utf8);
        if (n > room) return false;
        out.append(utf8, n);
        i += len;
    }
    return true;
}

// Where to start decoding the last `want` raw bytes: moved forward past an escape sequence or a character
// that the cut would split. Raw bytes are never fewer than the bytes they decode to, so the decoded tail is
// at most `want` bytes.
std::size_t tail_start(std::string_view raw, std::size_t want) {
    if (raw.size() <= want) return 0;
    std::size_t start = raw.size() - want;
    // The nearest backslash before `start` that begins an escape (one preceded by an even run of backslashes)
    // may cover it; escapes are at most six bytes.
    for (std::size_t back = 1; back <= 5 && back <= start; ++back) {
        const std::size_t at = start - back;
        if (raw[at] != '\\') continue;
        std::size_t run = 0;
        while (run < at && run < 64 && raw[at - 1 - run] == '\\') ++run;
        if (run % 2 == 1) continue;  // this backslash is itself escaped
        const std::size_t len = at + 1 < raw.size() && raw[at + 1] == 'u' ? 6 : 2;
        if (at + len > start) start = std::min(at + len, raw.size());
        break;
    }
    // A low surrogate whose high half is cut off would only decode to U+FFFD: skip it.
    char32_t cp = 0;
    if (raw.substr(start, 2) == "\\u" && read_hex4(raw, start + 2, cp) && is_low_surrogate(cp)) start += 6;
    while (start < raw.size() && is_continuation(raw[start])) ++start;
    return start;
}

std::string_view string_content(const JsonValue& s) {
    return s.raw.substr(1, s.raw.size() - 2);
}

// The text strings of a message's content, in order: the content itself, or the "text" of each part.
template <class Visit>
void for_each_text(const JsonValue& content, Visit&& visit) {
    if (content.type == JsonType::string) {
        visit(content);
        return;
    }
    if (content.type != JsonType::array) return;
    openai::for_each_element(content, [&](const JsonValue& part) {
        if (part.type != JsonType::object) return true;
        bool more = true;
        openai::for_each_member(part, [&](std::string_view key, const JsonValue& v) {
            if (openai::key_equals(key, "text") && v.type == JsonType::string) more = visit(v);
            return more;
        });
        return more;
    });
}

// Appends a message's text to the head; returns whether all of it fit.
bool append_head(const JsonValue& content, std::string& text) {
    bool complete = true;
    for_each_text(content, [&](const JsonValue& s) {
        const std::string_view raw = string_content(s);
        if (raw.empty()) return true;
        if (!text.empty()) {
            if (text.size() >= kPromptHeadBytes) return complete = false;
            text.push_back('\n');
        }
        complete = append_decoded(raw, kPromptHeadBytes, text);
        return complete;
    });
    return complete;
}

}  // namespace

ClassifierInput classifier_input(const openai::ChatRequest& request, std::string& text) {
    text.clear();
    JsonValue last_user;
    bool last_user_complete = true;
    if (request.messages.type == JsonType::array) {
        openai::for_each_element(request.messages, [&](const JsonValue& message) {
            if (message.type != JsonType::object) return true;
            JsonValue role, content;
            openai::for_each_member(message, [&](std::string_view key, const JsonValue& v) {
                if (openai::key_equals(key, "role")) role = v;
                if (openai::key_equals(key, "content")) content = v;
                return true;
            });
            const bool user = role.raw == "\"user\"";
            if (!user && role.raw != "\"system\"" && role.raw != "\"developer\"") return true;
            const bool complete = append_head(content, text);
            if (user) {
                last_user = content;
                last_user_complete = complete;
            }
            return true;
        });
    }
    if (!last_user_complete) {
        // The tail of the last user message's last text.
        JsonValue last_text;
        for_each_text(last_user, [&](const JsonValue& s) {
            last_text = s;
            return true;
        });
        const std::string_view raw = last_text.type == JsonType::string ? string_content(last_text) : "";
        const std::size_t limit = text.size() + 1 + kPromptTailBytes;
        text.push_back('\n');
        append_decoded(raw.substr(tail_start(raw, kPromptTailBytes)), limit, text);
    }

    ClassifierInput input;
    input.text = text;
    input.has_tools = request.wants_tools;
    input.json_output = request.json_mode;
    input.max_tokens = request.max_tokens;
    input.prompt_tokens = request.estimated_prompt_tokens;
    return input;
}

}  // namespace gaterouter::classify
