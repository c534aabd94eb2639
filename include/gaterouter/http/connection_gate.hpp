#pragma once
// How many client connections one listener holds at once, in all and per client address, shared by the
// acceptors of all its workers. Every connection holds a descriptor from its accept on, and a client that
// opens connections and sends nothing costs nothing to run: without caps, enough of them exhaust the
// process's descriptors, and the gateway can then neither accept nor reach a provider. A connection over a
// cap is refused at once; the refusals are counted and reported at most once per interval, so that a flood of
// them cannot become a flood of log lines.
//
// The total is one atomic; the per-address counts are a map under a mutex, taken once when a connection is
// accepted and once when it closes, never per request.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "gaterouter/http/net.hpp"

namespace gaterouter::http {

struct ConnectionCaps {
    std::size_t max_total = 0;  // 0: no cap
    std::size_t max_per_address =
        0;  // 0: no cap. An IPv6 client counts by its /64, the least it usually has.
};

// Refusals not reported yet, by the cap that refused them.
struct ConnectionRefusals {
    std::uint64_t over_total = 0;
    std::uint64_t over_per_address = 0;
};

class ConnectionGate {
  public:
    using Clock = std::chrono::steady_clock;
    // Called on the thread of whichever worker finds a report due.
    using Report = std::function<void(const ConnectionRefusals&)>;

    ConnectionGate(ConnectionCaps caps, Report report,
                   Clock::duration report_interval = std::chrono::seconds(5));
    ConnectionGate(const ConnectionGate&) = delete;
    ConnectionGate& operator=(const ConnectionGate&) = delete;

    enum class Verdict { admitted, over_total, over_per_address };

  private:
    struct AddressKey {
        std::uint64_t bits = 0;  // an IPv4 address, or the first 64 bits of an IPv6 one
        bool v6 = false;
        bool operator==(const AddressKey&) const = default;
    };
    struct AddressHash {
        std::size_t operator()(const AddressKey& k) const {
            return std::hash<std::uint64_t>{}(k.bits) ^ (k.v6 ? 0x9e3779b97f4a7c15ULL : 0);
        }
    };

  public:
    // A connection's place under the caps, given back when it is destroyed. A refused one holds no place.
    class Place {
      public:
        Place(Place&& other) noexcept;
        Place& operator=(Place&&) = delete;
        ~Place();
        Verdict verdict() const { return verdict_; }
        bool admitted() const { return verdict_ == Verdict::admitted; }

      private:
        friend class ConnectionGate;
        Place(ConnectionGate* gate, AddressKey key, Verdict verdict)
            : gate_(gate), key_(key), verdict_(verdict) {}
        ConnectionGate* gate_;  // null when refused or moved from
        AddressKey key_;
        Verdict verdict_;
    };

    // A place for a new connection from `peer`. A refusal is counted, and reported if a report is due at
    // `now`.
    Place enter(const net::ip::address& peer, Clock::time_point now);
    // Reports the refusals not reported yet, if a report is due at `now`. True while some still wait for one.
    bool report_due(Clock::time_point now);
    bool unreported() const;
    Clock::duration report_interval() const { return report_interval_; }
    std::size_t open() const { return total_.load(std::memory_order_relaxed); }

  private:
    static AddressKey key_of(const net::ip::address& peer);
    Place refuse(Verdict verdict, Clock::time_point now);
    void leave(const AddressKey& key);

    const ConnectionCaps caps_;
    const Report report_;
    const Clock::duration report_interval_;
    std::atomic<std::size_t> total_{0};
    std::mutex mutex_;
    std::unordered_map<AddressKey, std::size_t, AddressHash> per_address_;  // guarded by mutex_
    std::atomic<std::uint64_t> unreported_total_{0};
    std::atomic<std::uint64_t> unreported_per_address_{0};
    std::atomic<Clock::rep> next_report_;  // in Clock ticks: the earliest time the next report may be made
};

}  // namespace gaterouter::http
