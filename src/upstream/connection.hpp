#pragma once
// Private to the upstream area: one connection to an origin, and the per-worker pool of idle ones.

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gaterouter/upstream/client.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace gaterouter::upstream {

using Clock = std::chrono::steady_clock;

class Connection {
  public:
    explicit Connection(net::io_context& io) : plain_(std::in_place, io) {}
    Connection(net::io_context& io, net::ssl::context& tls) : tls_(std::in_place, io, tls) {}

    beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
    beast::ssl_stream<beast::tcp_stream>* tls() { return tls_ ? &*tls_ : nullptr; }

    // Runs an operation on whichever stream this connection speaks through.
    template <class Op>
    auto with_stream(Op&& op) {
        return tls_ ? op(*tls_) : op(*plain_);
    }

    // An idle pooled connection must have nothing to read: data or EOF there means the upstream closed it or
    // broke protocol, and it must not carry the next request.
    bool looks_reusable();
    void close();

    std::string origin_key;
    Clock::time_point idle_since{};
    bool reused = false;
    beast::flat_buffer buffer;           // kept across exchanges on this connection
    std::array<char, 4 * 1024> chunk{};  // body pieces land here

  private:
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

class ConnectionPool {
  public:
    explicit ConnectionPool(PoolLimits limits) : limits_(limits) {}

    std::unique_ptr<Connection> take(const std::string& origin_key);
    void put(std::unique_ptr<Connection> connection);
    void close_all();

    // DNS results by "host:port", each kept for dns_ttl.
    const tcp::resolver::results_type* cached_address(const std::string& host_port);
    void cache_address(const std::string& host_port, tcp::resolver::results_type results);

    std::uint64_t opened = 0;

  private:
    PoolLimits limits_;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
    struct Address {
        tcp::resolver::results_type results;
        Clock::time_point expires;
    };
    std::unordered_map<std::string, Address> addresses_;
};

}  // namespace gaterouter::upstream
