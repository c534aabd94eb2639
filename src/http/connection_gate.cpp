#include "gaterouter/http/connection_gate.hpp"

#include <limits>

namespace gaterouter::http {

ConnectionGate::ConnectionGate(ConnectionCaps caps, Report report, Clock::duration report_interval)
    : caps_(caps),
      report_(std::move(report)),
      report_interval_(report_interval),
      next_report_(std::numeric_limits<Clock::rep>::min()) {}

ConnectionGate::Place::Place(Place&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)), key_(other.key_), verdict_(other.verdict_) {}

ConnectionGate::Place::~Place() {
    if (gate_ != nullptr) gate_->leave(key_);
}

ConnectionGate::AddressKey ConnectionGate::key_of(const net::ip::address& peer) {
    if (peer.is_v4()) return {peer.to_v4().to_uint(), false};
    const net::ip::address_v6 v6 = peer.to_v6();
    // A client on a dual-stack listener is the same client as on an IPv4 one.
    if (v6.is_v4_mapped()) return {net::ip::make_address_v4(net::ip::v4_mapped, v6).to_uint(), false};
    const auto bytes = v6.to_bytes();
    std::uint64_t prefix = 0;
    for (int i = 0; i < 8; ++i) prefix = (prefix << 8) | bytes[static_cast<std::size_t>(i)];
    return {prefix, true};
}

ConnectionGate::Place ConnectionGate::enter(const net::ip::address& peer, Clock::time_point now) {
    const std::size_t before = total_.fetch_add(1, std::memory_order_relaxed);
    if (caps_.max_total != 0 && before >= caps_.max_total) {
        total_.fetch_sub(1, std::memory_order_relaxed);
        return refuse(Verdict::over_total, now);
    }
    const AddressKey key = key_of(peer);
    if (caps_.max_per_address != 0) {
        const std::lock_guard lock(mutex_);
        std::size_t& count = per_address_[key];
        if (count >= caps_.max_per_address) {
            total_.fetch_sub(1, std::memory_order_relaxed);
            return refuse(Verdict::over_per_address, now);
        }
        ++count;
    }
    return Place(this, key, Verdict::admitted);
}

ConnectionGate::Place ConnectionGate::refuse(Verdict verdict, Clock::time_point now) {
    auto& counter = verdict == Verdict::over_total ? unreported_total_ : unreported_per_address_;
    counter.fetch_add(1, std::memory_order_relaxed);
    report_due(now);
    return Place(nullptr, {}, verdict);
}

void ConnectionGate::leave(const AddressKey& key) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    if (caps_.max_per_address == 0) return;
    const std::lock_guard lock(mutex_);
    const auto it = per_address_.find(key);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

bool ConnectionGate::unreported() const {
    return unreported_total_.load(std::memory_order_relaxed) != 0 ||
           unreported_per_address_.load(std::memory_order_relaxed) != 0;
}

bool ConnectionGate::report_due(Clock::time_point now) {
    if (!unreported()) return false;
    const Clock::rep at = now.time_since_epoch().count();
    Clock::rep due = next_report_.load(std::memory_order_relaxed);
    // Of the workers that find a report due at once, the one that moves the next time on makes it.
    if (at >= due && next_report_.compare_exchange_strong(due, at + report_interval_.count())) {
        const ConnectionRefusals refusals{unreported_total_.exchange(0), unreported_per_address_.exchange(0)};
        if (report_ && (refusals.over_total != 0 || refusals.over_per_address != 0)) report_(refusals);
    }
    return unreported();
}

}  // namespace gaterouter::http
