#include "sim_server.hpp"

#include <random>

#include "gaterouter/openai/json_access.hpp"
#include "gaterouter/providers/embeddings_protocol.hpp"

namespace gaterouter::sim {
namespace {

using http::bhttp::field;
using nlohmann::json;

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

// The <model> of /_sim/models/<model> (it may hold slashes: "openai/gpt-oss-20b"); empty when missing.
std::string control_model(const http::Request& req) {
    return std::string(http::path_of(req.target()).substr(std::string_view("/_sim/models/").size()));
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

Answer make_answer(const ChatCall& call, int tokens) {
    Answer a;
    a.id = next_id();
    a.model = call.model;
    int n = tokens;
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

SimServer::SimServer(KnobStore& knobs, Correctness* correctness,
                     std::function<std::pair<std::size_t, std::uint64_t>()> connections)
    : knobs_(knobs),
      correctness_(correctness),
      connections_(std::move(connections)),
      openai_(make_openai_dialect()),
      anthropic_(make_anthropic_dialect()),
      gemini_(make_gemini_dialect()) {}

void SimServer::add_routes(http::Router& router) {
    using http::Verb;
    // Each router belongs to one worker thread; its routes count into that worker's own shard.
    StatsShard* shard = nullptr;
    {
        std::lock_guard lock(shards_mutex_);
        shard = shards_.emplace_back(std::make_unique<StatsShard>()).get();
    }
    StatsShard& stats = *shard;
    const auto chat = [this, &stats](const Dialect& d) {
        return [this, &stats, &d](http::Request& req, http::ResponseWriter& out) {
            return serve_chat(stats, d, req, out);
        };
    };
    router.add(Verb::post, "/v1/chat/completions", chat(*openai_));
    router.add(Verb::post, "/chat/completions", chat(*openai_));
    router.add(Verb::post, "/v1/messages", chat(*anthropic_));
    router.add(Verb::post, "/v1/embeddings", [this, &stats](http::Request& req, http::ResponseWriter& out) {
        return serve_embeddings(stats, req, out, false);
    });
    // Gemini puts the method in the path: .../models/<model>:generateContent, :batchEmbedContents, ...
    const auto gemini = [this, &stats](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
        if (req.target().find("EmbedContents") != std::string_view::npos ||
            req.target().find(":embedContent") != std::string_view::npos) {
            co_await serve_embeddings(stats, req, out, true);
            co_return;
        }
        co_await serve_chat(stats, *gemini_, req, out);
    };
    router.add_prefix(Verb::post, "/v1beta/models/", gemini);
    router.add_prefix(Verb::post, "/v1/models/", gemini);

    router.add(Verb::get, "/v1/models", [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
        json data = json::array();
        for (const auto& model : knobs_.snapshot()->models) {
            data.push_back(
                {{"id", model.first}, {"object", "model"}, {"created", 0}, {"owned_by", "gaterouter-sim"}});
        }
        // Built before the co_await: GCC 12 mishandles brace-initialised temporaries that span one.
        std::string body = json{{"object", "list"}, {"data", data}}.dump();
        co_await out.send(json_response(http::Status::ok, std::move(body)));
    });
    router.add_prefix(
        Verb::put, "/_sim/models/", [this](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
            const std::string model = control_model(req);
            const json knobs = json::parse(req.body(), nullptr, false);
            std::string error = model.empty() ? "expected /_sim/models/<model>" : "";
            try {
                if (error.empty()) knobs_.set_model(model, knobs);
            } catch (const std::invalid_argument& e) {
                error = e.what();
            }
            if (!error.empty()) {
                co_await out.send(json_response(http::Status::bad_request, openai_->error_body(400, error)));
                co_return;
            }
            co_await out.send(json_response(http::Status::ok, knobs_.snapshot()->of(model).to_json().dump()));
        });
    router.add_prefix(
        Verb::delete_, "/_sim/models/",
        [this](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
            const std::string model = control_model(req);
            if (model.empty()) {
                co_await out.send(json_response(http::Status::bad_request,
                                                openai_->error_body(400, "expected /_sim/models/<model>")));
                co_return;
            }
            knobs_.reset_model(model);
            co_await out.send(json_response(http::Status::ok, R"({"reset":true})"));
        });
    router.add(Verb::post, "/_sim/reset",
               [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
                   knobs_.reset_all();
                   reset_stats();
                   if (correctness_ != nullptr) correctness_->clear_verdicts();
                   co_await out.send(json_response(http::Status::ok, R"({"reset":true})"));
               });
    router.add(Verb::get, "/_sim/stats",
               [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
                   co_await out.send(json_response(http::Status::ok, stats_json().dump()));
               });
    router.add(Verb::get, "/_sim/last_request",
               [this](http::Request&, http::ResponseWriter& out) -> awaitable<void> {
                   co_await out.send(json_response(http::Status::ok, last_request_json()));
               });
    router.add_prefix(
        Verb::get, "/_sim/verdicts/",
        [this](http::Request& req, http::ResponseWriter& out) -> awaitable<void> {
            const std::string_view id =
                http::path_of(req.target()).substr(std::string_view("/_sim/verdicts/").size());
            const std::optional<Verdict> v =
                correctness_ == nullptr ? std::nullopt : correctness_->verdict(id);
            if (!v) {
                const char* why = correctness_ == nullptr ? "correctness is not configured"
                                                          : "no verdict for this request id";
                co_await out.send(json_response(http::Status::not_found, openai_->error_body(404, why)));
                co_return;
            }
            std::string body = json{{"model", v->model}, {"task", v->task}, {"correct", v->correct}}.dump();
            co_await out.send(json_response(http::Status::ok, std::move(body)));
        });
}

json SimServer::stats_json() {
    const auto [open, accepted] = connections_();
    std::uint64_t requests = 0, errors = 0, limited = 0, completed = 0, aborted = 0;
    std::int64_t active = 0;
    json by_model = json::object();
    std::lock_guard list_lock(shards_mutex_);
    for (const auto& shard : shards_) {
        requests += shard->requests_total.load(std::memory_order_relaxed);
        errors += shard->errors_injected.load(std::memory_order_relaxed);
        limited += shard->rate_limited.load(std::memory_order_relaxed);
        active += shard->active_streams.load(std::memory_order_relaxed);
        completed += shard->streams_completed.load(std::memory_order_relaxed);
        aborted += shard->streams_aborted.load(std::memory_order_relaxed);
        std::lock_guard lock(shard->mutex);
        for (const auto& [model, n] : shard->requests_by_model) {
            by_model[model] = by_model.value(model, std::uint64_t{0}) + n;
        }
    }
    return {{"requests_total", requests}, {"requests_by_model", std::move(by_model)},
            {"errors_injected", errors},  {"rate_limited", limited},
            {"open_connections", open},   {"accepted_connections", accepted},
            {"active_streams", active},   {"streams_completed", completed},
            {"streams_aborted", aborted}};
}

std::string SimServer::last_request_json() {
    json last = json::object();
    std::chrono::steady_clock::time_point newest{};
    std::lock_guard list_lock(shards_mutex_);
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        const StatsShard::LastRequest& r = shard->last;
        if (r.at <= newest) continue;
        newest = r.at;
        json headers = json::object();
        for (std::size_t i = 0; i < r.header_count; ++i) headers[r.headers[i].first] = r.headers[i].second;
        last = {{"path", r.path}, {"headers", std::move(headers)}, {"body", r.body}};
    }
    return last.dump();
}

void SimServer::reset_stats() {
    {
        std::lock_guard lock(rpm_mutex_);
        recent_by_model_.clear();
    }
    std::lock_guard list_lock(shards_mutex_);
    for (const auto& shard : shards_) {
        // active_streams stays: those streams are still running.
        for (auto* counter : {&shard->requests_total, &shard->errors_injected, &shard->rate_limited,
                              &shard->streams_completed, &shard->streams_aborted}) {
            counter->store(0, std::memory_order_relaxed);
        }
        std::lock_guard lock(shard->mutex);
        shard->requests_by_model.clear();
        shard->last.at = {};
    }
}

// On every request: no allocation once the shard's strings have grown to the usual sizes (a new model name
// aside), and a lock only the stats readers ever contend for.
void SimServer::record(StatsShard& stats, const http::Request& request, std::string_view model) {
    stats.requests_total.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(stats.mutex);
    auto it = stats.requests_by_model.find(model);
    if (it == stats.requests_by_model.end()) {
        it = stats.requests_by_model.emplace(std::string(model), 0).first;
    }
    ++it->second;
    StatsShard::LastRequest& last = stats.last;
    last.at = std::chrono::steady_clock::now();
    last.path.assign(request.target());
    last.body.assign(request.body());
    std::size_t n = 0;
    for (const auto& f : request) {
        if (n == last.headers.size()) last.headers.emplace_back();
        last.headers[n].first.assign(f.name_string());
        last.headers[n].second.assign(f.value());
        ++n;
    }
    last.header_count = n;
}

bool SimServer::admit(const std::string& model, int rpm_limit) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(rpm_mutex_);
    auto& recent = recent_by_model_[model];
    while (!recent.empty() && now - recent.front() >= std::chrono::minutes(1)) recent.pop_front();
    if (static_cast<int>(recent.size()) >= rpm_limit) return false;
    recent.push_back(now);
    return true;
}

awaitable<void> SimServer::serve_chat(StatsShard& stats, const Dialect& dialect, http::Request& request,
                                      http::ResponseWriter& out) {
    ChatCall call;
    std::string error;
    if (!dialect.read(request, call, error)) {
        co_await out.send(json_response(http::Status::bad_request, dialect.error_body(400, error)));
        co_return;
    }
    record(stats, request, call.model);
    const auto snapshot = knobs_.snapshot();
    const Knobs& k = snapshot->of(call.model);

    if (k.rpm_limit > 0 && !admit(call.model, k.rpm_limit)) {
        stats.rate_limited.fetch_add(1, std::memory_order_relaxed);
        auto res =
            json_response(http::Status::too_many_requests, dialect.error_body(429, "simulated rate limit"));
        res.set(field::retry_after, "1");
        res.set("x-sim-model", call.model);
        co_await out.send(std::move(res));
        co_return;
    }
    if (draw(k.error_rate)) {
        stats.errors_injected.fetch_add(1, std::memory_order_relaxed);
        auto res =
            json_response(static_cast<http::Status>(k.error_status),
                          dialect.error_body(static_cast<unsigned>(k.error_status), "simulated failure"));
        if (k.error_status == 429 || k.error_status == 503) res.set(field::retry_after, "1");
        res.set("x-sim-model", call.model);
        co_await out.send(std::move(res));
        co_return;
    }
    if (k.stall_ms > 0 && draw(k.stall_rate)) co_await pause(k.stall_ms);
    if (k.hang) {
        // Never answer; end when the client sends more or goes away.
        error_code ec;
        co_await out.stream().socket().async_wait(tcp::socket::wait_read, with_ec(ec));
        out.close_after();
        co_return;
    }
    int tokens = k.tokens;
    std::optional<bool> correct;
    if (correctness_ != nullptr) {
        const std::string prompt = dialect.last_user_text(request);
        if (const WorkloadPrompt* known = correctness_->find(prompt)) {
            // Usage as a provider would bill it, and the same for every model, so that costs compare fairly.
            tokens = known->output_tokens;
            call.prompt_tokens = std::max(1, static_cast<int>(prompt.size() / 4));
            const auto id = request.find("x-request-id");
            correct = correctness_->judge(id == request.end() ? std::string_view() : id->value(), call.model,
                                          *known);
        }
    }
    Answer answer = make_answer(call, tokens);
    answer.correct = correct;
    if (call.stream) {
        co_await stream_answer(stats, dialect, answer, k, out);
        co_return;
    }
    co_await pause(k.latency_ms);
    auto res = json_response(http::Status::ok, dialect.whole(answer));
    res.set("x-sim-model", call.model);
    if (answer.correct) res.set("x-sim-correct", *answer.correct ? "1" : "0");
    co_await out.send(std::move(res));
}

awaitable<void> SimServer::serve_embeddings(StatsShard& stats, http::Request& request,
                                            http::ResponseWriter& out, bool gemini) {
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
        const json requests =
            body.is_object() && body.contains("requests") ? body["requests"] : json::array({body});
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
        if (body.contains("dimensions") && body["dimensions"].is_number_integer())
            dims = body["dimensions"].get<std::size_t>();
    }
    if (model.empty() || texts.empty() || dims == 0 || dims > 4096) {
        co_await out.send(
            json_response(http::Status::bad_request,
                          (gemini ? gemini_ : openai_)->error_body(400, "expected a model and some input")));
        co_return;
    }
    record(stats, request, model);
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
            data.push_back(
                {{"object", "embedding"},
                 {"index", i},
                 {"embedding", base64 ? json(providers::encode_embedding_base64(values)) : json(values)}});
            tokens += std::max(1, static_cast<int>(texts[i].size() / 4));
        }
        result = {{"object", "list"},
                  {"data", std::move(data)},
                  {"model", model},
                  {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
    }
    std::string text = result.dump();
    co_await out.send(json_response(http::Status::ok, std::move(text)));
}

awaitable<void> SimServer::stream_answer(StatsShard& stats, const Dialect& dialect, const Answer& answer,
                                         const Knobs& k, http::ResponseWriter& out) {
    const StreamPlan plan = dialect.stream(answer);
    stats.active_streams.fetch_add(1, std::memory_order_relaxed);
    struct Active {
        std::atomic<std::int64_t>& n;
        ~Active() { n.fetch_sub(1, std::memory_order_relaxed); }
    } active{stats.active_streams};

    http::bhttp::response<http::bhttp::empty_body> head{http::Status::ok, 11};
    head.set(field::content_type, "text/event-stream");
    head.set(field::cache_control, "no-cache");
    head.set("x-sim-model", answer.model);
    if (answer.correct) head.set("x-sim-correct", *answer.correct ? "1" : "0");
    // What comes before the first content chunk goes with it, and what follows the last goes with the last,
    // as real providers send them.
    std::string lead;
    for (std::size_t i = 0; i < plan.first_content; ++i) lead += plan.events[i];
    std::string tail;
    for (std::size_t i = plan.first_content + plan.content_count; i < plan.events.size(); ++i)
        tail += plan.events[i];

    co_await pause(k.ttft_ms);
    error_code ec = co_await out.start_stream(std::move(head));
    if (ec) {
        stats.streams_aborted.fetch_add(1, std::memory_order_relaxed);
        co_return;
    }
    for (std::size_t i = 0; i < plan.content_count || i == 0; ++i) {
        if (i > 0) co_await pause(k.token_interval_ms);
        if (k.reset_after_chunks >= 0 && static_cast<int>(i) == k.reset_after_chunks) {
            reset(out.stream());
            out.close_after();
            stats.streams_aborted.fetch_add(1, std::memory_order_relaxed);
            co_return;
        }
        std::string chunk = i == 0 ? std::move(lead) : std::string();
        if (i < plan.content_count) chunk += plan.events[plan.first_content + i];
        if (i + 1 >= plan.content_count) chunk += tail;
        ec = co_await out.write_chunk(chunk);
        if (ec) {
            stats.streams_aborted.fetch_add(1, std::memory_order_relaxed);
            co_return;
        }
    }
    ec = co_await out.finish_stream();
    if (ec) {
        stats.streams_aborted.fetch_add(1, std::memory_order_relaxed);
        co_return;
    }
    stats.streams_completed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gaterouter::sim
