#include "gaterouter/catalog/catalog.hpp"

namespace gaterouter::catalog {

Catalog::Catalog(const config::Config& config) {
    std::unordered_map<std::string, const Provider*> provider_by_name;
    for (const auto& pc : config.providers) {
        auto p = std::make_unique<Provider>();
        p->name = pc.name;
        p->kind = pc.kind;
        config::parse_base_url(pc.base_url, p->endpoint);  // validated with the config
        p->api_key = pc.api_key;
        p->insecure_skip_verify = pc.insecure_skip_verify;
        p->headers.assign(pc.headers.begin(), pc.headers.end());
        provider_by_name[p->name] = p.get();
        providers_.push_back(std::move(p));
    }
    for (const auto& mc : config.models) {
        auto m = std::make_unique<Model>();
        m->id = mc.id;
        m->provider = provider_by_name.at(mc.provider);  // validated with the config
        m->upstream_model = mc.upstream_model.empty() ? mc.id : mc.upstream_model;
        m->input_price_per_mtok = mc.input_price_per_mtok;
        m->output_price_per_mtok = mc.output_price_per_mtok;
        m->context_window = mc.context_window;
        by_id_.emplace(m->id, m.get());
        models_.push_back(std::move(m));
    }
}

const Model* Catalog::find_model(std::string_view id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace gaterouter::catalog
