#include "gaterouter/catalog/catalog.hpp"

#include <map>

namespace gaterouter::catalog {

namespace {
struct CapabilityName {
    Capability bit;
    const char* name;
    const char* missing;  // how a refusal says the model lacks it
};
constexpr CapabilityName kCapabilityNames[] = {
    {kTools, "tools", "does not support tools (function calling)"},
    {kVision, "vision", "does not accept image inputs"},
    {kJson, "json", "does not support JSON mode (response_format)"},
    {kStreaming, "streaming", "does not support streaming"},
    {kReasoning, "reasoning", "is not a reasoning model"},
    {kEmbeddings, "embeddings", "is not an embeddings model"},
};
}  // namespace

unsigned capability_bits(const std::vector<std::string>& names) {
    unsigned bits = 0;
    for (const auto& n : names) {
        for (const auto& c : kCapabilityNames) {
            if (n == c.name) bits |= c.bit;
        }
    }
    return bits;
}

std::vector<std::string> capability_names(unsigned bits) {
    std::vector<std::string> names;
    for (const auto& c : kCapabilityNames) {
        if ((bits & c.bit) != 0) names.emplace_back(c.name);
    }
    return names;
}

namespace {
constexpr unsigned kMisfitContext = 1u << 30;
constexpr unsigned kMisfitOutput = 1u << 31;

// 0 when the model fits; else the capability bits it lacks, or one of the kMisfit values.
unsigned misfit(const Model& m, const Needs& needs) {
    if (m.has(kEmbeddings) && (needs.capabilities & kEmbeddings) == 0) return kEmbeddings;
    if (const unsigned missing = needs.capabilities & ~m.capabilities; missing != 0) return missing;
    const std::uint64_t wanted = std::uint64_t{needs.prompt_tokens} + needs.max_output_tokens;
    if (m.context_window != 0 && wanted > m.context_window) return kMisfitContext;
    if (m.max_output_tokens != 0 && needs.max_output_tokens > m.max_output_tokens) return kMisfitOutput;
    return 0;
}
}  // namespace

bool Model::fits(const Needs& needs) const {
    return misfit(*this, needs) == 0;
}

std::string Model::unfit_for(const Needs& needs) const {
    const unsigned why = misfit(*this, needs);
    if (why == 0) return {};
    if (why == kEmbeddings && has(kEmbeddings))
        return "model '" + id + "' is an embeddings model; use POST /v1/embeddings";
    for (const auto& c : kCapabilityNames) {
        if ((why & c.bit) != 0) return "model '" + id + "' " + c.missing;
    }
    if (why == kMisfitContext) {
        return "model '" + id + "' has a context window of " + std::to_string(context_window) +
               " tokens, and this request needs about " + std::to_string(needs.prompt_tokens) +
               " for the prompt" +
               (needs.max_output_tokens != 0
                    ? " plus " + std::to_string(needs.max_output_tokens) + " to answer"
                    : std::string());
    }
    return "model '" + id + "' writes at most " + std::to_string(max_output_tokens) +
           " tokens, and the request asks for " + std::to_string(needs.max_output_tokens);
}

namespace {
std::array<double, kTaskCount> quality_priors(const std::map<std::string, double>& declared) {
    double sum = 0;
    for (const auto& [task, q] : declared) sum += q;
    const double fill = declared.empty() ? 0.5 : sum / static_cast<double>(declared.size());
    std::array<double, kTaskCount> out;
    for (std::size_t t = 0; t < kTaskCount; ++t) {
        const auto it = declared.find(std::string(task_name(static_cast<TaskType>(t))));
        out[t] = it == declared.end() ? fill : it->second;
    }
    return out;
}
}  // namespace

Catalog::Catalog(const config::Config& config) {
    std::unordered_map<std::string, const Provider*> provider_by_name;
    for (const auto& pc : config.providers) {
        auto p = std::make_unique<Provider>();
        p->name = pc.name;
        p->kind = pc.kind;
        config::parse_base_url(pc.base_url, p->endpoint);  // validated with the config
        p->api_key = pc.api_key;
        p->insecure_skip_verify = pc.insecure_skip_verify;
        p->api_version = pc.api_version;
        p->headers.assign(pc.headers.begin(), pc.headers.end());
        provider_by_name[p->name] = p.get();
        providers_.push_back(std::move(p));
    }
    for (const auto& mc : config.models) {
        auto m = std::make_unique<Model>();
        m->index = models_.size();
        m->id = mc.id;
        m->provider = provider_by_name.at(mc.provider);  // validated with the config
        m->upstream_model = mc.upstream_model.empty() ? mc.id : mc.upstream_model;
        m->input_price_per_mtok = mc.input_price_per_mtok;
        m->output_price_per_mtok = mc.output_price_per_mtok;
        m->context_window = mc.context_window;
        m->max_output_tokens = mc.max_output_tokens;
        m->capabilities = capability_bits(mc.capabilities);
        m->quality = quality_priors(mc.quality);
        m->fallbacks = mc.fallbacks;
        m->limits = mc.limits;
        by_id_.emplace(m->id, m.get());
        models_.push_back(std::move(m));
    }
}

const Model* Catalog::find_model(std::string_view id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace gaterouter::catalog
