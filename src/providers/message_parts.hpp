#pragma once
// Private to the providers area: pieces of the OpenAI message shape that every translating protocol reads the
// same way.

#include <string>

#include <nlohmann/json.hpp>

namespace gaterouter::providers {

// The text of an OpenAI message's content: the string itself, or its text parts joined by newlines.
std::string text_of(const nlohmann::json& content);

// The URL of an image_url content part ({"image_url": {"url": ...}}, or the older bare string form).
std::string image_url_of(const nlohmann::json& part);

// "data:image/png;base64,AAAA" → {"image/png", "AAAA"}; false for any other URL.
bool split_data_url(const std::string& url, std::string& media_type, std::string& data);

// Appends a turn {role, <items_key>: items}, merged into the previous turn when the role repeats: the vendors
// want turns to alternate, and several OpenAI tool messages in a row are one turn of results to them.
void push_turn(nlohmann::json& turns, const std::string& role, nlohmann::json items, const char* items_key);

}  // namespace gaterouter::providers
