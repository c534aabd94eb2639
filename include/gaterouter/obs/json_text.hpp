#pragma once
// Writing JSON text by hand on hot paths (access log lines, small response bodies) without building a tree.

#include <string>
#include <string_view>

namespace gaterouter::obs {

// Appends `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

}  // namespace gaterouter::obs
