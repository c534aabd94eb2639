#pragma once
// A provider's wire protocol for chat: how an OpenAI-shaped request becomes the upstream's request, and how
// the upstream's answer, whole or streamed, becomes OpenAI's shape again. One class per protocol ("kind" in
// the config); a vendor that speaks an existing protocol is configuration only.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gaterouter/catalog/catalog.hpp"
#include "gaterouter/http/message.hpp"
#include "gaterouter/http/sse.hpp"
#include "gaterouter/openai/chat_request.hpp"
#include "gaterouter/openai/completion.hpp"

namespace gaterouter::providers {

// What a stream translator must know of the client's request.
struct StreamOptions {
    bool include_usage = false;  // the client asked for the usage chunk
};

// Turns the upstream's stream, event by event, into OpenAI `chat.completion.chunk` SSE bytes.
class StreamTranslator {
  public:
    virtual ~StreamTranslator() = default;
    // Appends the client-bound SSE bytes for one upstream event to `out`. False when the event cannot be read
    // (not JSON, or not an object): the upstream failed, and the stream must not go on as if it had not.
    virtual bool on_event(const http::SseEvent& event, std::string& out) = 0;
    // The upstream's body ended cleanly; protocols without an explicit last event end the stream here.
    virtual void on_end(std::string& out) { (void)out; }
    // True once the stream reached its end: [DONE] was written, or an error event that ends it. A stream that
    // stops before that was cut short.
    virtual bool finished() const = 0;
    // The usage the upstream reported, once it did (every protocol asks for it, whether or not the client
    // did).
    const std::optional<openai::Usage>& usage() const { return usage_; }

  protected:
    std::optional<openai::Usage> usage_;
};

class ChatProtocol {
  public:
    virtual ~ChatProtocol() = default;

    // The upstream request (target, headers, body) for `request` served by `model`. `body` is the client's
    // body, which the protocol may move from when it can forward it unchanged. A stream always asks the
    // upstream for its usage, so that every answer can be accounted for.
    virtual http::Request build_request(const openai::ChatRequest& request, std::string& body,
                                        const catalog::Model& model) const = 0;
    // A successful non-streaming upstream body as an OpenAI `chat.completion` body; nothing when the body is
    // not an answer it can translate, which is the upstream's failure, not an empty answer. What it returns
    // may still not be a JSON object (a body relayed as it came): the caller checks, with the one scan that
    // reads its usage (openai::read_answer_usage).
    virtual std::optional<std::string> translate_response(std::string body,
                                                          const catalog::Model& model) const = 0;
    virtual std::unique_ptr<StreamTranslator> stream_translator(const catalog::Model& model,
                                                                const StreamOptions& options) const = 0;
    // An upstream error response as the error the client gets.
    virtual openai::ApiError translate_error(unsigned status, std::string_view body,
                                             const catalog::Model& model) const = 0;
};

// The protocol for a provider (by its `kind`); null for a kind no class speaks.
std::unique_ptr<ChatProtocol> make_chat_protocol(const catalog::Provider& provider);

}  // namespace gaterouter::providers
