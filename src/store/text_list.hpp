#pragma once
// Lists kept in one TEXT column as comma-separated items (model ids, alert thresholds): short, read whole,
// never queried by item, so a side table would buy nothing.

#include <string>
#include <string_view>
#include <vector>

namespace gaterouter::store {

std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(std::string_view text);
std::string join_fractions(const std::vector<double>& values);
// Throws StoreError on an item that is not a number.
std::vector<double> split_fractions(std::string_view text);

}  // namespace gaterouter::store
