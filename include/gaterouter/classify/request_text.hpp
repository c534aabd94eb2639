#pragma once
// The classifier's view of a Chat Completions request: the text of its system, developer and user messages,
// bounded in bytes, with the request fields the weight class depends on.

#include <cstddef>
#include <string>

#include "gaterouter/classify/task_classifier.hpp"
#include "gaterouter/openai/chat_request.hpp"

namespace gaterouter::classify {

// The first kPromptHeadBytes of the system, developer and user text (in message order, a newline between
// messages and between text parts), and, when the last user message did not fit whole, its last
// kPromptTailBytes: the question at the end of a long document is often what tells the task.
inline constexpr std::size_t kPromptHeadBytes = 4096;
inline constexpr std::size_t kPromptTailBytes = 1024;

// Fills `text` (cleared first; its capacity is reused) from a request parsed by openai::parse_chat_request
// and returns the classifier input over it: `text` and the request's body must outlive the result. Decodes at
// most the byte budget above however long the messages are.
ClassifierInput classifier_input(const openai::ChatRequest& request, std::string& text);

}  // namespace gaterouter::classify
