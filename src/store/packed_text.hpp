#pragma once
// Text fields of a record in a mapped file (reservation slots, the request journal): their bytes one after
// the other in a fixed area, with a length per field.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <numeric>
#include <string>
#include <string_view>

namespace gaterouter::store {

template <std::size_t N>
std::size_t packed_size(const std::array<std::string_view, N>& fields) {
    return std::accumulate(fields.begin(), fields.end(), std::size_t{0},
                           [](std::size_t total, std::string_view f) { return total + f.size(); });
}

// Writes the fields; the caller has checked packed_size() against the area's size.
template <std::size_t N>
void pack_text(const std::array<std::string_view, N>& fields, std::uint16_t (&lengths)[N], char* text) {
    for (std::size_t f = 0; f < N; ++f) {
        lengths[f] = static_cast<std::uint16_t>(fields[f].size());
        if (fields[f].empty()) continue;  // an empty view's data() may be null, which memcpy must not get
        std::memcpy(text, fields[f].data(), fields[f].size());
        text += fields[f].size();
    }
}

// Reads the fields back, as copies (std::string) or as views of the area (std::string_view); false (and
// nothing read) when the lengths overrun the area: not written by this code.
template <class Text, std::size_t N>
bool unpack_text(const std::uint16_t (&lengths)[N], const char* text, std::size_t capacity,
                 const std::array<Text*, N>& fields) {
    if (std::accumulate(std::begin(lengths), std::end(lengths), std::size_t{0}) > capacity) return false;
    for (std::size_t f = 0; f < N; ++f) {
        *fields[f] = Text(text, lengths[f]);
        text += lengths[f];
    }
    return true;
}

}  // namespace gaterouter::store
