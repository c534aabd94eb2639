#pragma once
// The model pool as the gateway uses it: providers with their parsed endpoints and resolved credentials, and
// models with their prices and limits. Built once from the config and then shared read-only by all workers.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gaterouter/catalog/task.hpp"
#include "gaterouter/config/base_url.hpp"
#include "gaterouter/config/config.hpp"

namespace gaterouter::catalog {

struct Provider {
    std::string name;
    std::string kind;
    config::BaseUrl endpoint;
    std::string api_key;  // never logged
    bool insecure_skip_verify = false;
    std::string api_version;  // Azure OpenAI
    std::vector<std::pair<std::string, std::string>> headers;
};

enum Capability : unsigned {
    kTools = 1u << 0,
    kVision = 1u << 1,
    kJson = 1u << 2,
    kStreaming = 1u << 3,
    kReasoning = 1u << 4,
    kEmbeddings = 1u << 5,
};

// What one request asks of a model.
struct Needs {
    unsigned capabilities = 0;  // Capability bits
    std::uint32_t prompt_tokens = 0;
    std::uint32_t max_output_tokens = 0;  // 0: the client set no limit
};

struct Model {
    std::size_t index = 0;  // position in Catalog::models(), for tables indexed by model
    std::string id;
    const Provider* provider = nullptr;
    std::string upstream_model;
    double input_price_per_mtok = 0.0;
    double output_price_per_mtok = 0.0;
    std::uint32_t context_window = 0;     // 0: unknown, not checked
    std::uint32_t max_output_tokens = 0;  // 0: unknown
    unsigned capabilities = 0;
    // Quality prior per task type (index_of(TaskType)); a task the catalog gives no prior for gets the mean
    // of the model's other priors, or 0.5 when it has none.
    std::array<double, kTaskCount> quality{};
    std::vector<std::string> fallbacks;  // model ids tried, in order, when this one fails
    config::LimitsConfig limits;         // the provider's limits for it

    double quality_for(TaskType task) const { return quality[index_of(task)]; }
    // Price of a request of this many tokens, in USD.
    double cost_usd(double prompt_tokens, double output_tokens) const {
        return (prompt_tokens * input_price_per_mtok + output_tokens * output_price_per_mtok) / 1e6;
    }

    bool has(Capability c) const { return (capabilities & c) != 0; }
    // Whether it can serve a request with these needs (no allocation: the scheduler asks it of every model).
    bool fits(const Needs& needs) const;
    // Why this model cannot serve a request with these needs; empty when it can.
    std::string unfit_for(const Needs& needs) const;
};

// Capability names as in the catalog ("tools", "vision", ...), and back.
unsigned capability_bits(const std::vector<std::string>& names);
std::vector<std::string> capability_names(unsigned bits);

class Catalog {
  public:
    explicit Catalog(const config::Config& config);
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    const Model* find_model(std::string_view id) const;
    const std::vector<std::unique_ptr<Model>>& models() const { return models_; }
    const std::vector<std::unique_ptr<Provider>>& providers() const { return providers_; }

  private:
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    // unique_ptr keeps addresses stable: models point at their provider.
    std::vector<std::unique_ptr<Provider>> providers_;
    std::vector<std::unique_ptr<Model>> models_;
    std::unordered_map<std::string, const Model*, StringHash, std::equal_to<>> by_id_;
};

}  // namespace gaterouter::catalog
