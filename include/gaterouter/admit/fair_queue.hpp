#pragma once
// Deficit round robin over flows of waiting items: one flow per client key, each with a share. Whenever a
// place frees up, the flows take turns: in one round a flow may take up to `share` places, so a key with
// share 4 gets four times the places of a key with share 1 while both wait, and a key that floods the queue
// only lengthens its own flow. Within a flow, first come first served.
//
// pop() takes the next item, in that order, that can use the place on offer (a waiting request can only use
// a deployment among its candidates); items that cannot are passed over without losing their turn.
// Not thread-safe: the admission queue guards it.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gaterouter::admit {

template <class T>
class FairQueue {
  public:
    // Appends to the flow's end. `share` (≥ 1) is taken from the flow's first item while it waits.
    void push_back(std::string_view flow, unsigned share, T item) {
        join(flow, share).items.push_back(std::move(item));
    }
    // Puts an item back at its flow's head: it was served out of turn and found nothing after all.
    void push_front(std::string_view flow, unsigned share, T item) {
        join(flow, share).items.push_front(std::move(item));
    }

    // The next item in turn for which wants(item) holds, taken out of the queue.
    template <class Wants>
    std::optional<T> pop(Wants&& wants) {
        // Two rounds at most: the first may only top up deficits; by the second every flow has a place.
        for (std::size_t visits = 0; visits < 2 * active_.size(); ++visits) {
            Flow& flow = *active_[cursor_];
            if (flow.deficit < 1) flow.deficit += flow.share;
            const auto it = std::find_if(flow.items.begin(), flow.items.end(), wants);
            if (it == flow.items.end()) {
                advance();
                continue;
            }
            T item = std::move(*it);
            flow.items.erase(it);
            --size_;
            flow.deficit -= 1;
            if (flow.items.empty()) {
                leave(cursor_);
            } else if (flow.deficit < 1) {
                advance();
            }
            return item;
        }
        return std::nullopt;
    }

    // Takes out the first item of `flow` equal to `item`; false when it is not there.
    bool remove(std::string_view flow, const T& item) {
        for (std::size_t i = 0; i < active_.size(); ++i) {
            Flow& f = *active_[i];
            if (f.name != flow) continue;
            const auto it = std::find(f.items.begin(), f.items.end(), item);
            if (it == f.items.end()) return false;
            f.items.erase(it);
            --size_;
            if (f.items.empty()) leave(i);
            return true;
        }
        return false;
    }

    std::size_t size() const { return size_; }
    std::size_t size(std::string_view flow) const {
        const Flow* f = find(flow);
        return f == nullptr ? 0 : f->items.size();
    }

    // How many items would be served before one more of `flow` joining at its end: its own flow, and what the
    // other flows take in the rounds that flow needs.
    std::size_t ahead_of_new(std::string_view flow, unsigned share) const {
        const Flow* own = find(flow);
        const std::size_t mine = own == nullptr ? 0 : own->items.size();
        const unsigned own_share = own == nullptr ? std::max(share, 1U) : own->share;
        const std::size_t rounds = mine / own_share + 1;
        return std::accumulate(active_.begin(), active_.end(), mine, [&](std::size_t sum, const Flow* f) {
            return f == own ? sum : sum + std::min(f->items.size(), rounds * f->share);
        });
    }

    // Calls fn(flow name, waiting items) for every flow with items.
    template <class Fn>
    void for_each_flow(Fn&& fn) const {
        for (const Flow* f : active_) fn(std::string_view(f->name), f->items.size());
    }

  private:
    struct Flow {
        std::string name;
        unsigned share = 1;
        double deficit = 0;
        std::deque<T> items;
    };

    Flow* find(std::string_view name) const {
        const auto it =
            std::find_if(active_.begin(), active_.end(), [name](const Flow* f) { return f->name == name; });
        return it == active_.end() ? nullptr : *it;
    }

    Flow& join(std::string_view name, unsigned share) {
        ++size_;
        if (Flow* f = find(name)) return *f;
        std::unique_ptr<Flow>& slot = flows_[std::string(name)];
        if (!slot) {
            slot = std::make_unique<Flow>();
            slot->name = std::string(name);
        }
        slot->share = std::max(share, 1U);
        slot->deficit = 0;
        // A flow that starts waiting joins just before the cursor: it has its turn after everyone waiting.
        active_.insert(active_.begin() + static_cast<std::ptrdiff_t>(cursor_), slot.get());
        if (active_.size() > 1) ++cursor_;
        return *slot;
    }

    // The flow at `index` has nothing waiting: out of the rotation, the cursor staying on the flow after it.
    void leave(std::size_t index) {
        active_[index]->deficit = 0;
        active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(index));
        if (index < cursor_) --cursor_;
        if (cursor_ >= active_.size()) cursor_ = 0;
    }

    void advance() { cursor_ = active_.empty() ? 0 : (cursor_ + 1) % active_.size(); }

    std::unordered_map<std::string, std::unique_ptr<Flow>> flows_;  // every flow seen; few (one per key)
    std::vector<Flow*> active_;                                     // flows with items, in turn order
    std::size_t cursor_ = 0;
    std::size_t size_ = 0;
};

}  // namespace gaterouter::admit
