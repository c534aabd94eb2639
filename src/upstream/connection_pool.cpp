#include <sys/socket.h>

#include "connection.hpp"

namespace gaterouter::upstream {

bool Connection::looks_reusable() {
    char byte;
    const auto n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && buffer.size() == 0;
}

void Connection::close() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
}

std::unique_ptr<Connection> ConnectionPool::take(const std::string& origin_key) {
    const auto it = idle_.find(origin_key);
    if (it == idle_.end()) return nullptr;
    auto& stack = it->second;
    const auto now = Clock::now();
    while (!stack.empty()) {
        std::unique_ptr<Connection> c = std::move(stack.back());
        stack.pop_back();
        if (now - c->idle_since < limits_.idle_ttl && c->looks_reusable()) {
            c->reused = true;
            return c;
        }
        c->close();
    }
    return nullptr;
}

void ConnectionPool::put(std::unique_ptr<Connection> connection) {
    auto& stack = idle_[connection->origin_key];
    if (stack.size() >= limits_.max_idle_per_origin) {
        // Keep the most recently used ones: the oldest are the likeliest to be closed by the upstream soon.
        stack.front()->close();
        stack.erase(stack.begin());
    }
    connection->idle_since = Clock::now();
    stack.push_back(std::move(connection));
}

void ConnectionPool::close_all() {
    for (auto& [key, stack] : idle_) {
        for (auto& c : stack) c->close();
    }
    idle_.clear();
}

const tcp::resolver::results_type* ConnectionPool::cached_address(const std::string& host_port) {
    const auto it = addresses_.find(host_port);
    if (it == addresses_.end() || Clock::now() >= it->second.expires) return nullptr;
    return &it->second.results;
}

void ConnectionPool::cache_address(const std::string& host_port, tcp::resolver::results_type results) {
    addresses_[host_port] = Address{std::move(results), Clock::now() + limits_.dns_ttl};
}

}  // namespace gaterouter::upstream
