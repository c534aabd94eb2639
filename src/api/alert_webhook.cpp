#include "gaterouter/api/alert_webhook.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <limits>
#include <stdexcept>

#include "gaterouter/api/admin_codec.hpp"
#include "gaterouter/http/message.hpp"

namespace gaterouter::api {
namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

// Each step of an exchange is bounded by the stream's timer (sync calls would ignore it), and the whole
// by AlertWebhook::post's run_for.
constexpr auto kWholeExchange = std::chrono::seconds(15);

template <class Stream>
awaitable<std::string> exchange(Stream& stream, http::Request& request) {
    co_await http::bhttp::async_write(stream, request, net::use_awaitable);
    beast::flat_buffer buffer;
    http::Response response;
    co_await http::bhttp::async_read(stream, buffer, response, net::use_awaitable);
    const unsigned status = response.result_int();
    if (status < 200 || status >= 300) co_return "the webhook answered HTTP " + std::to_string(status);
    co_return std::string{};
}

// By value: a coroutine's arguments must not refer to its caller's temporaries.
awaitable<std::string> post_once(config::BaseUrl url, http::Request request) {
    auto executor = co_await net::this_coro::executor;
    tcp::resolver resolver(executor);
    const auto endpoints =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), net::use_awaitable);
    if (!url.tls) {
        beast::tcp_stream stream(executor);
        stream.expires_after(kTimeout);
        co_await stream.async_connect(endpoints, net::use_awaitable);
        stream.expires_after(kTimeout);
        std::string result = co_await exchange(stream, request);
        co_return result;
    }
    net::ssl::context tls(net::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(net::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
        co_return std::string("could not set the TLS server name");
    stream.set_verify_callback(net::ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(kTimeout);
    co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::use_awaitable);
    co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
    beast::get_lowest_layer(stream).expires_after(kTimeout);
    std::string result = co_await exchange(stream, request);
    co_return result;
}

}  // namespace

std::string alert_json(const budget::BudgetAlert& alert) {
    const auto when = [&](std::int64_t ms, bool present) -> nlohmann::json {
        return present ? nlohmann::json(admin::format_utc(ms)) : nlohmann::json(nullptr);
    };
    const bool starts = alert.window.start_unix_ms != std::numeric_limits<std::int64_t>::min();
    return nlohmann::json{
        {"budget", alert.budget},
        {"threshold", alert.threshold},
        {"spent_usd", admin::to_usd(alert.spent)},
        {"limit_usd", admin::to_usd(alert.limit)},
        {"window_start", when(alert.window.start_unix_ms, starts)},
        {"window_end", when(alert.window.end_unix_ms, alert.window.ends())},
        {"hard", alert.hard},
    }
        .dump();
}

AlertWebhook::AlertWebhook(const std::string& url, std::size_t max_queued) : max_queued_(max_queued) {
    if (!config::parse_base_url(url, url_)) throw std::invalid_argument("not an http(s) URL: " + url);
    target_ = url_.base_path.empty() ? "/" : url_.base_path;
    // parse_base_url keeps the path; a query string, if any, rides along in it.
    thread_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "gr-webhook");
        run();
    });
}

AlertWebhook::~AlertWebhook() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    thread_.join();
}

void AlertWebhook::send(const budget::BudgetAlert& alert) {
    std::string body = alert_json(alert);
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_queued_) {
            queue_.pop_front();
            ++dropped_;
        }
        queue_.push_back(std::move(body));
    }
    ready_.notify_one();
}

std::uint64_t AlertWebhook::sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
}

std::uint64_t AlertWebhook::failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
}

void AlertWebhook::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything was sent
        if (dropped_ > 0) {
            spdlog::warn("alerts: {} budget alert(s) dropped, the webhook could not keep up", dropped_);
            dropped_ = 0;
        }
        std::string body = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        const std::string error = post(body);
        lock.lock();
        if (error.empty()) {
            ++sent_;
        } else {
            ++failed_;
            spdlog::error("alerts: posting a budget alert to the webhook at {}:{} failed: {}", url_.host,
                          url_.port, error);
        }
    }
}

std::string AlertWebhook::post(const std::string& body) const {
    net::io_context io;
    http::Request request{http::Verb::post, target_, 11};
    request.set(http::bhttp::field::host, url_.host);
    request.set(http::bhttp::field::content_type, "application/json");
    request.set(http::bhttp::field::user_agent, "gaterouter/" GATEROUTER_VERSION);
    request.set(http::bhttp::field::connection, "close");
    request.body() = body;
    request.prepare_payload();
    std::string result = "no answer within 15 s";
    net::co_spawn(io, post_once(url_, std::move(request)), [&result](std::exception_ptr e, std::string r) {
        if (!e) {
            result = std::move(r);
            return;
        }
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            result = x.what();
        }
    });
    io.run_for(kWholeExchange);
    return result;
}

}  // namespace gaterouter::api
