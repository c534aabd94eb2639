#include "sim_server.hpp"

#include <random>

#include "gaterouter/openai/json_access.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"

namespace gaterouter::sim {
namespace {

using nlohmann::json;
using http::bhttp::field;

http::Response json_response(http::Status status, std::string body) {
    http::Response res{status, 11};
    res.set(field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

awaitable<void> pause(int ms) {
    if (ms <= 0) co_return;
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
    error_code ec;
    co_await timer.async_wait(with_ec(ec));
}

std::string next_id() {
    thread_local const unsigned prefix = std::random_device{}() & 0xFFFFFF;
    thread_local std::uint64_t counter = 0;
    return std::to_string(prefix) + "-" + std::to_string(++counter);
}

bool draw(double rate) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    return rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < rate;
}

// Cuts the connection with a TCP reset, as a crashing provider would.
void reset(beast::tcp_stream& stream) {
    error_code ignored;
    stream.socket().set_option(net::socket_base::linger(true, 0), ignored);
    stream.socket().close(ignored);
}

Answer make_answer(const ChatCall& call, const Knobs& k) {
    Answer a;
    a.id = next_id();
    a.model = call.model;
    int n = k.tokens;
    if (call.max_tokens && *call.max_tokens < n) {
        n = std::max(1, *call.max_tokens);
        a.truncated = true;
    }
    a.words.reserve(static_cast<std::size_t>(n));
    for (int i = 1; i <= n; ++i) a.words.push_back("tok" + std::to_string(i));
    if (!call.tool_name.empty() && !call.after_tool_result) a.tool_name = call.tool_name;
    a.include_usage = call.include_usage;
    a.prompt_tokens = call.prompt_tokens;
    a.completion_tokens = n;
    return a;
}

// A deterministic 8-dimensional embedding of a text, so tests can compare what they get.
std::vector<float> embed(const std::string& text, std::size_t dims) {
    std::vector<float> v(dims);
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    for (std::size_t i = 0; i < dims; ++i) {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = static_cast<float>(static_cast<double>(h >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    return v;
}

}  // namespace

SimServer::SimServer(KnobStore& knobs, std::function<std::pair<std::size_t, std::uint64_t>()> connections)
    : knobs_(knobs),
      connections_(std::move(connections)),
      openai_(make_openai_dialect()),
      anthropic_(make_anthropic_dialect()),
      gemini_(make_gemini_dialect()) {}

void SimServer::add_routes(http::Router& router) {
    using http::Verb;
    const auto chat = [this](const Dialect& d) {
        return [this, &d](http::Request& req, http::ResponseWriter& out) { return serve_chat(d, req, out); };
    };
    router.add(Verb::post, "/v1/chat/completions", chat(*openai_));
    router.add(Verb::post, "/chat/completions", chat(*openai_));
    router.add(Verb::post, "/v1/messages", chat(*anthropic_));
    router.add(Verb::post, "/v1/embeddings", [this](http::Request& req, http::ResponseWriter& out) {
        return serve_embeddings(req, out, false);
    });
    // Gemini puts the method in the path: .../models/<model>:generateContent, :batchEmbedContents, ...
    const auto gemini = [this](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
        if (req.target().find("EmbedContents") != std::string_view::npos ||
            req.target().find(":embedContent") != std::string_view::npos) {
            co_await serve_embeddings(req, out, true);
            co_return;
        }
        co_await serve_chat(*gemini_, req, out);
    };
    router.add_prefix(Verb::post, "/v1beta/models/", gemini);
    router.add_prefix(Verb::post, "/v1/models/", gemini);

    router.add(Verb::get, "/v1/models", [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
        json data = json::array();
        for (const auto& model : knobs_.snapshot()->models) {
            data.push_back({{"id", model.first}, {"object", "model"}, {"created", 0}, {"owned_by", "gaterouter-sim"}});
        }
        // Built before the co_await: GCC 12 mishandles brace-initialised temporaries that span one.
        std::string body = json{{"object", "list"}, {"data", data}}.dump();
        co_await out.send(json_response(http::Status::ok, std::move(body)));
    });
    router.add_prefix(Verb::put, "/_sim/models/", [this](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
        const std::string model(http::path_of(req.target()).substr(std::string_view("/_sim/models/").size()));
        const json knobs = json::parse(req.body(), nullptr, false);
        std::string error;
        try {
            knobs_.set_model(model, knobs);
        } catch (const std::invalid_argument& e) {
            error = e.what();
        }
        if (!error.empty()) {
            co_await out.send(json_response(http::Status::bad_request, openai_->error_body(400, error)));
            co_return;
        }
        co_await out.send(json_response(http::Status::ok, knobs_.snapshot()->of(model).to_json().dump()));
    });
    router.add_prefix(Verb::delete_, "/_sim/models/", [this](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
        knobs_.reset_model(std::string(http::path_of(req.target()).substr(std::string_view("/_sim/models/").size())));
        co_await out.send(json_response(http::Status::ok, R"({"reset":true})"));
    });
    router.add(Verb::post, "/_sim/reset", [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
        knobs_.reset_all();
        {
            std::lock_guard lock(stats_.mutex);
            stats_.requests_by_model.clear();
            stats_.recent_by_model.clear();
            stats_.last_request = json::object();
        }
        for (auto* counter : {&stats_.requests_total, &stats_.errors_injected, &stats_.rate_limited,
                              &stats_.streams_completed, &stats_.streams_aborted}) {
            counter->store(0);
        }
        co_await out.send(json_response(http::Status::ok, R"({"reset":true})"));
    });
    router.add(Verb::get, "/_sim/stats", [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
        co_await out.send(json_response(http::Status::ok, stats_json().dump()));
    });
    router.add(Verb::get, "/_sim/last_request", [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
        std::string body;
        {
            std::lock_guard lock(stats_.mutex);
            body = stats_.last_request.dump();
        }
        co_await out.send(json_response(http::Status::ok, std::move(body)));
    });
}

json SimServer::stats_json() {
    const auto [open, accepted] = connections_();
    std::lock_guard lock(stats_.mutex);
    return {{"requests_total", stats_.requests_total.load()},
            {"requests_by_model", stats_.requests_by_model},
            {"errors_injected", stats_.errors_injected.load()},
            {"rate_limited", stats_.rate_limited.load()},
            {"open_connections", open},
            {"accepted_connections", accepted},
            {"active_streams", stats_.active_streams.load()},
            {"streams_completed", stats_.streams_completed.load()},
            {"streams_aborted", stats_.streams_aborted.load()}};
}

void SimServer::record(const http::Request& request, const std::string& model) {
    stats_.requests_total.fetch_add(1, std::memory_order_relaxed);
    json headers = json::object();
    for (const auto& f : request) headers[std::string(f.name_string())] = std::string(f.value());
    std::lock_guard lock(stats_.mutex);
    ++stats_.requests_by_model[model];
    stats_.last_request = {{"path", std::string(request.target())}, {"headers", std::move(headers)}, {"body", request.body()}};
}

bool SimServer::admit(const std::string& model, int rpm_limit) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(stats_.mutex);
    auto& recent = stats_.recent_by_model[model];
    while (!recent.empty() && now - recent.front() >= std::chrono::minutes(1)) recent.pop_front();
    if (static_cast<int>(recent.size()) >= rpm_limit) return false;
    recent.push_back(now);
    return true;
}

awaitable<void> SimServer::serve_chat(const Dialect& dialect, http::Request& request, http::ResponseWriter& out) {
    ChatCall call;
    std::string error;
    if (!dialect.read(request, call, error)) {
        co_await out.send(json_response(http::Status::bad_request, dialect.error_body(400, error)));
        co_return;
    }
    record(request, call.model);
    const auto snapshot = knobs_.snapshot();
    const Knobs& k = snapshot->of(call.model);

    if (k.rpm_limit > 0 && !admit(call.model, k.rpm_limit)) {
        stats_.rate_limited.fetch_add(1, std::memory_order_relaxed);
        auto res = json_response(http::Status::too_many_requests, dialect.error_body(429, "simulated rate limit"));
        res.set(field::retry_after, "1");
        co_await out.send(std::move(res));
        co_return;
    }
    if (draw(k.error_rate)) {
        stats_.errors_injected.fetch_add(1, std::memory_order_relaxed);
        auto res = json_response(static_cast<http::Status>(k.error_status),
                                 dialect.error_body(static_cast<unsigned>(k.error_status), "simulated failure"));
        if (k.error_status == 429 || k.error_status == 503) res.set(field::retry_after, "1");
        co_await out.send(std::move(res));
        co_return;
    }
    if (k.hang) {
        // Never answer; end when the client sends more or goes away.
        error_code ec;
        co_await out.stream().socket().async_wait(tcp::socket::wait_read, with_ec(ec));
        out.close_after();
        co_return;
    }
    const Answer answer = make_answer(call, k);
    if (call.stream) {
        co_await stream_answer(dialect, answer, k, out);
        co_return;
    }
    co_await pause(k.latency_ms);
    auto res = json_response(http::Status::ok, dialect.whole(answer));
    res.set("x-sim-model", call.model);
    co_await out.send(std::move(res));
}

awaitable<void> SimServer::serve_embeddings(http::Request& request, http::ResponseWriter& out, bool gemini) {
    const json body = json::parse(request.body(), nullptr, false);
    std::vector<std::string> texts;
    std::string model;
    std::size_t dims = 8;
    if (gemini) {
        const std::string_view path = http::path_of(request.target());
        const auto at = path.find("/models/"), colon = path.rfind(':');
        if (at != std::string_view::npos && colon != std::string_view::npos && colon > at + 8) {
            model = std::string(path.substr(at + 8, colon - at - 8));
        }
        const json requests = body.is_object() && body.contains("requests") ? body["requests"] : json::array({body});
        for (const auto& r : requests) {
            for (const auto& part : openai::field(openai::field(r, "content"), "parts")) {
                texts.push_back(openai::get_or(part, "text", ""));
            }
            if (r.contains("outputDimensionality")) dims = r["outputDimensionality"].get<std::size_t>();
        }
    } else if (body.is_object()) {
        model = openai::get_or(body, "model", "");
        const json& input = openai::field(body, "input");
        if (input.is_string()) texts.push_back(input.get<std::string>());
        if (input.is_array()) {
            for (const auto& i : input) texts.push_back(i.is_string() ? i.get<std::string>() : i.dump());
        }
        if (body.contains("dimensions") && body["dimensions"].is_number_integer()) dims = body["dimensions"].get<std::size_t>();
    }
    if (model.empty() || texts.empty() || dims == 0 || dims > 4096) {
        co_await out.send(json_response(http::Status::bad_request,
                                        (gemini ? gemini_ : openai_)->error_body(400, "expected a model and some input")));
        co_return;
    }
    record(request, model);
    json result;
    if (gemini) {
        json embeddings = json::array();
        for (const auto& t : texts) embeddings.push_back({{"values", embed(t, dims)}});
        result = {{"embeddings", std::move(embeddings)}};
    } else {
        json data = json::array();
        int tokens = 0;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            const std::vector<float> values = embed(texts[i], dims);
            const bool base64 = openai::get_or(body, "encoding_format", "float") == "base64";
            data.push_back({{"object", "embedding"},
                            {"index", i},
                            {"embedding", base64 ? json(providers::encode_embedding_base64(values)) : json(values)}});
            tokens += std::max(1, static_cast<int>(texts[i].size() / 4));
        }
        result = {{"object", "list"}, {"data", std::move(data)}, {"model", model},
                  {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
    }
    std::string text = result.dump();
    co_await out.send(json_response(http::Status::ok, std::move(text)));
}

awaitable<void> SimServer::stream_answer(const Dialect& dialect, const Answer& answer, const Knobs& k,
                                         http::ResponseWriter& out) {
    const StreamPlan plan = dialect.stream(answer);
    stats_.active_streams.fetch_add(1, std::memory_order_relaxed);
    struct Active {
        std::atomic<std::int64_t>& n;
        ~Active() { n.fetch_sub(1, std::memory_order_relaxed); }
    } active{stats_.active_streams};

    http::bhttp::response<http::bhttp::empty_body> head{http::Status::ok, 11};
    head.set(field::content_type, "text/event-stream");
    head.set(field::cache_control, "no-cache");
    head.set("x-sim-model", answer.model);
    // What comes before the first content chunk goes with it, and what follows the last goes with the last, as
    // real providers send them.
    std::string lead;
    for (std::size_t i = 0; i < plan.first_content; ++i) lead += plan.events[i];
    std::string tail;
    for (std::size_t i = plan.first_content + plan.content_count; i < plan.events.size(); ++i) tail += plan.events[i];

    co_await pause(k.ttft_ms);
    error_code ec = co_await out.start_stream(std::move(head));
    if (ec) {
        stats_.streams_aborted.fetch_add(1, std::memory_order_relaxed);
        co_return;
    }
    for (std::size_t i = 0; i < plan.content_count || i == 0; ++i) {
        if (i > 0) co_await pause(k.token_interval_ms);
        if (k.reset_after_chunks >= 0 && static_cast<int>(i) == k.reset_after_chunks) {
            reset(out.stream());
            out.close_after();
            stats_.streams_aborted.fetch_add(1, std::memory_order_relaxed);
            co_return;
        }
        std::string chunk = i == 0 ? std::move(lead) : std::string();
        if (i < plan.content_count) chunk += plan.events[plan.first_content + i];
        if (i + 1 >= plan.content_count) chunk += tail;
        ec = co_await out.write_chunk(chunk);
        if (ec) {
            stats_.streams_aborted.fetch_add(1, std::memory_order_relaxed);
            co_return;
        }
    }
    ec = co_await out.finish_stream();
    if (ec) {
        stats_.streams_aborted.fetch_add(1, std::memory_order_relaxed);
        co_return;
    }
    stats_.streams_completed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gaterouter::sim
