#include "gaterouter/http/net.hpp"  // first: it includes <utility> before any Asio header (see the file)

// gaterouter_ttft_probe: measures time to first token (TTFT) of streaming chat completions, as a client sees it.
// It runs R rounds; in each, N coroutines on one io_context thread each send one streaming
// POST /v1/chat/completions through gaterouter::upstream::Client (the gateway's own keep-alive upstream client)
// and read the stream to its end. TTFT is the time from the start of send() to the first body piece that
// completes a "data:" event with non-empty delta content (a role-only first chunk does not count).
// Warm-up rounds (connections opening) are run first and not counted.
//
//   gaterouter_ttft_probe --url http://127.0.0.1:8080/v1/chat/completions [--concurrency 200] [--rounds 5]
//                         [--warmup-rounds 1] [--model gpt-4o-mini] [--label NAME] [--timeout-ms 30000]
//
// Prints a summary on stderr and one JSON line on stdout; exits 1 if any counted request failed, 2 on bad usage.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaterouter/http/message.hpp"
#include "gaterouter/upstream/client.hpp"
#include "gaterouter/upstream/response.hpp"

namespace {

using namespace gaterouter;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string url;
    unsigned concurrency = 200;
    unsigned rounds = 5;
    unsigned warmup_rounds = 1;
    std::string model = "gpt-4o-mini";
    std::string label;
    unsigned timeout_ms = 30'000;
};

struct Target {
    upstream::Origin origin;
    std::string path;
    std::string body;
};

struct Sample {
    bool ok = false;
    double ttft_ms = 0;
    double total_ms = 0;
    std::string error;
};

constexpr std::string_view kUsage =
    "usage: gaterouter_ttft_probe --url http://HOST:PORT/v1/chat/completions [--concurrency N] [--rounds N]\n"
    "                             [--warmup-rounds N] [--model ID] [--label NAME] [--timeout-ms N]\n";

std::optional<Target> parse_url(std::string_view url) {
    Target t;
    if (url.starts_with("http://")) {
        url.remove_prefix(7);
        t.origin.port = 80;
    } else if (url.starts_with("https://")) {
        url.remove_prefix(8);
        t.origin.tls = true;
        t.origin.port = 443;
    } else {
        return std::nullopt;
    }
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    t.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
        const std::string port(authority.substr(colon + 1));
        char* end = nullptr;
        const long p = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end != '\0' || p <= 0 || p > 65535) return std::nullopt;
        t.origin.port = static_cast<std::uint16_t>(p);
        authority = authority.substr(0, colon);
    }
    if (authority.empty()) return std::nullopt;
    t.origin.host = std::string(authority);
    return t;
}

// True once `stream` holds a "data:" event whose delta carries non-empty content.
bool has_content_event(std::string_view stream) {
    std::size_t pos = stream.find("data:");
    while (pos != std::string_view::npos) {
        const std::size_t line_end = stream.find('\n', pos);
        if (line_end == std::string_view::npos) return false;  // the event is not complete yet
        const std::string_view line = stream.substr(pos, line_end - pos);
        for (std::size_t c = line.find("\"content\""); c != std::string_view::npos;
             c = line.find("\"content\"", c + 9)) {
            std::size_t v = c + 9;
            while (v < line.size() && (line[v] == ' ' || line[v] == ':')) ++v;
            if (v + 1 < line.size() && line[v] == '"' && line[v + 1] != '"') return true;
        }
        pos = stream.find("data:", line_end);
    }
    return false;
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

awaitable<void> one_stream(upstream::Client& client, const Target& target, const upstream::Timeouts& timeouts,
                           Sample& out) {
    http::Request request{http::Verb::post, target.path, 11};
    request.set(http::bhttp::field::content_type, "application/json");
    request.set(http::bhttp::field::accept, "text/event-stream");
    request.set(http::bhttp::field::authorization, "Bearer sk-bench-not-a-real-key");
    request.body() = target.body;

    upstream::Response response;
    const auto start = Clock::now();
    upstream::Failure f = co_await client.send(target.origin, request, timeouts, response);
    if (f != upstream::Failure::none) {
        out.error = upstream::describe(f);
        co_return;
    }
    if (response.status() != 200) {
        std::string body;
        co_await response.read_all(body, 4096);
        out.error = "HTTP " + std::to_string(response.status()) + ": " + body.substr(0, 200);
        co_return;
    }
    std::string seen;  // the stream up to the first content event
    bool first = false;
    for (;;) {
        std::string_view piece;
        f = co_await response.read_some(piece);
        if (f != upstream::Failure::none) {
            out.error = upstream::describe(f);
            co_return;
        }
        if (piece.empty()) break;
        if (!first) {
            seen.append(piece);
            if (has_content_event(seen)) {
                out.ttft_ms = ms_since(start);
                first = true;
                seen.clear();
            }
        }
    }
    out.total_ms = ms_since(start);
    if (!first) {
        out.error = "the stream ended without a content event";
        co_return;
    }
    out.ok = true;
}

// Runs one round: `concurrency` streams at once; returns when all have finished.
awaitable<void> run_round(net::io_context& io, upstream::Client& client, const Target& target,
                          const upstream::Timeouts& timeouts, std::vector<Sample>& samples) {
    std::size_t remaining = samples.size();
    net::steady_timer all_done(io, Clock::time_point::max());
    for (auto& sample : samples) {
        net::co_spawn(io, one_stream(client, target, timeouts, sample), [&](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    sample.error = std::string("exception: ") + ex.what();
                }
            }
            if (--remaining == 0) all_done.cancel();
        });
    }
    error_code ec;
    if (remaining > 0) co_await all_done.async_wait(with_ec(ec));
}

struct Stats {
    double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

Stats stats_of(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) {
        std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
        rank = std::clamp<std::size_t>(rank, 1, v.size());
        return v[rank - 1];
    };
    double sum = 0;
    for (double x : v) sum += x;
    s.min = v.front();
    s.max = v.back();
    s.p50 = pct(50);
    s.p90 = pct(90);
    s.p99 = pct(99);
    s.mean = sum / static_cast<double>(v.size());
    return s;
}

std::string json_stats(const Stats& s) {
    char buf[256];
    std::snprintf(buf, sizeof buf, R"({"min":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f})", s.min,
                  s.p50, s.p90, s.p99, s.max, s.mean);
    return buf;
}

std::string json_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<Options> parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
        if (i + 1 >= argc) return std::nullopt;
        const std::string value = argv[++i];
        auto number = [&](unsigned& field) {
            char* end = nullptr;
            const unsigned long n = std::strtoul(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || n > 1'000'000) return false;
            field = static_cast<unsigned>(n);
            return true;
        };
        bool good = true;
        if (arg == "--url") o.url = value;
        else if (arg == "--concurrency") good = number(o.concurrency) && o.concurrency > 0;
        else if (arg == "--rounds") good = number(o.rounds) && o.rounds > 0;
        else if (arg == "--warmup-rounds") good = number(o.warmup_rounds);
        else if (arg == "--model") o.model = value;
        else if (arg == "--label") o.label = value;
        else if (arg == "--timeout-ms") good = number(o.timeout_ms) && o.timeout_ms > 0;
        else good = false;
        if (!good) return std::nullopt;
    }
    if (o.url.empty()) return std::nullopt;
    if (o.label.empty()) o.label = o.url;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse_args(argc, argv);
    if (!options) {
        std::cerr << kUsage;
        return 2;
    }
    auto target = parse_url(options->url);
    if (!target) {
        std::cerr << "gaterouter_ttft_probe: cannot parse --url " << options->url << "\n" << kUsage;
        return 2;
    }
    target->body = R"({"model":")" + options->model +
                   R"(","messages":[{"role":"user","content":"Write a short haiku about waiting for the first )"
                   R"(token."}],"max_tokens":64,"stream":true})";

    upstream::Timeouts timeouts;
    timeouts.connect = upstream::Millis{5'000};
    timeouts.first_byte = upstream::Millis{options->timeout_ms};
    timeouts.idle = upstream::Millis{options->timeout_ms};
    timeouts.total = upstream::Millis{options->timeout_ms};
    upstream::PoolLimits limits;
    limits.max_idle_per_origin = options->concurrency + 16;
    limits.idle_ttl = upstream::Millis{600'000};

    net::io_context io{1};
    upstream::Client client(io, limits);
    std::vector<Sample> counted;
    std::size_t warmup_failed = 0;
    double counted_wall_ms = 0;

    net::co_spawn(
        io,
        [&]() -> awaitable<void> {
            const unsigned total_rounds = options->warmup_rounds + options->rounds;
            for (unsigned round = 0; round < total_rounds; ++round) {
                std::vector<Sample> samples(options->concurrency);
                const auto start = Clock::now();
                co_await run_round(io, client, *target, timeouts, samples);
                if (round < options->warmup_rounds) {
                    for (const auto& s : samples) warmup_failed += s.ok ? 0 : 1;
                    continue;
                }
                counted_wall_ms += ms_since(start);
                counted.insert(counted.end(), samples.begin(), samples.end());
            }
            client.close_idle();
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    io.run();

    std::vector<double> ttft;
    std::vector<double> total;
    std::size_t failed = 0;
    std::string first_error;
    for (const auto& s : counted) {
        if (s.ok) {
            ttft.push_back(s.ttft_ms);
            total.push_back(s.total_ms);
        } else {
            ++failed;
            if (first_error.empty()) first_error = s.error;
        }
    }
    const Stats t = stats_of(ttft);
    const Stats w = stats_of(total);

    std::fprintf(stderr,
                 "%s: %zu streams (%u x %u, %u warm-up round(s)), %zu ok, %zu failed; TTFT p50 %.2f ms, p99 %.2f ms, "
                 "max %.2f ms; whole stream p50 %.2f ms\n",
                 options->label.c_str(), counted.size(), options->rounds, options->concurrency,
                 options->warmup_rounds, ttft.size(), failed, t.p50, t.p99, t.max, w.p50);
    if (failed > 0) std::fprintf(stderr, "  first failure: %s\n", first_error.c_str());
    std::printf(
        R"({"label":"%s","url":"%s","concurrency":%u,"rounds":%u,"warmup_rounds":%u,"requests":%zu,"ok":%zu,)"
        R"("failed":%zu,"warmup_failed":%zu,"first_error":"%s","wall_ms":%.1f,"connections_opened":%llu,)"
        R"("ttft_ms":%s,"stream_ms":%s})"
        "\n",
        json_escape(options->label).c_str(), json_escape(options->url).c_str(), options->concurrency,
        options->rounds, options->warmup_rounds, counted.size(), ttft.size(), failed, warmup_failed,
        json_escape(first_error).c_str(), counted_wall_ms,
        static_cast<unsigned long long>(client.connections_opened()), json_stats(t).c_str(), json_stats(w).c_str());
    return failed > 0 ? 1 : 0;
}
