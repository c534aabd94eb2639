#pragma once
// A response being read from an upstream, head first, then the body piece by piece as it arrives (for
// streams) or whole. When it is destroyed its connection goes back to the pool if the body was read to the
// end and the upstream allows keep-alive; otherwise the connection is closed.

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "gaterouter/http/message.hpp"

namespace gaterouter::upstream {

// Where an exchange with the upstream failed; decides the client's status (502 or 504) and, later, failover.
enum class Failure {
    none,
    resolve,             // DNS
    connect,             // TCP connect refused or timed out
    tls,                 // handshake or certificate
    write,               // sending the request
    first_byte_timeout,  // no response head in time
    idle_timeout,        // the response stalled between two reads
    total_timeout,       // the whole exchange took too long
    closed,              // the upstream closed or reset the connection
    protocol,            // not valid HTTP, or a body larger than allowed
    cancelled,           // the gateway gave up on it (a hedged request that lost its race)
    out_of_descriptors,  // the gateway itself hit its open-files limit: no fault of the upstream's
};

const char* describe(Failure f);
bool is_timeout(Failure f);
// Failures that say nothing about the upstream's health (the gateway cancelled, or ran out of its own
// resources): they must not count against a provider.
bool is_gateways_own(Failure f);

class ConnectionPool;
class Exchange;

class Response {
  public:
    Response();
    ~Response();
    Response(Response&&) noexcept;
    Response& operator=(Response&&) noexcept;

    explicit operator bool() const { return exchange_ != nullptr; }
    unsigned status() const;
    const http::bhttp::fields& headers() const;

    // Reads the next piece of the body as soon as the upstream sends it. An empty view with Failure::none
    // means the body is complete. The view stays valid until the next call.
    awaitable<Failure> read_some(std::string_view& piece);
    // Reads the rest of the body into `body`, at most `limit` bytes.
    awaitable<Failure> read_all(std::string& body, std::size_t limit);

    // Gives up on the body (the client went away): the connection is closed, not pooled.
    void abandon();

    // Made by Client::send once the response head arrived.
    Response(std::unique_ptr<Exchange> exchange, const std::shared_ptr<ConnectionPool>& pool);

  private:
    void release();

    std::unique_ptr<Exchange> exchange_;
    std::weak_ptr<ConnectionPool> pool_;  // the worker's pool may be gone when a response outlives it
};

}  // namespace gaterouter::upstream
