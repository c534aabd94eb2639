#include "text_list.hpp"

#include <array>
#include <charconv>

#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

std::string join_list(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) {
        if (item.find(',') != std::string::npos) throw StoreError("a list item holds a comma: " + item);
        if (!text.empty()) text += ',';
        text += item;
    }
    return text;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    while (!text.empty()) {
        const auto comma = text.find(',');
        items.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return items;
}

std::string join_fractions(const std::vector<double>& values) {
    std::string text;
    std::array<char, 32> buffer{};
    for (const double value : values) {
        if (!text.empty()) text += ',';
        // Shortest form that reads back as the same double.
        const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
        text.append(buffer.data(), end);
    }
    return text;
}

std::vector<double> split_fractions(std::string_view text) {
    std::vector<double> values;
    for (const auto& item : split_list(text)) {
        double value = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (ec != std::errc() || end != item.data() + item.size()) throw StoreError("not a number: " + item);
        values.push_back(value);
    }
    return values;
}

}  // namespace gaterouter::store
