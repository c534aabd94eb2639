#pragma once
// The provider and model the protocol targets translate for (as tests/unit/providers/protocol_fixture.hpp):
// an upstream name unlike any a client sends, so the OpenAI protocol splices it in.

#include <string>

#include "gaterouter/catalog/catalog.hpp"

namespace gaterouter::fuzz {

struct FuzzModel {
    catalog::Provider provider;
    catalog::Model model;

    explicit FuzzModel(const std::string& kind) {
        provider.name = kind + "-fuzz";
        provider.kind = kind;
        provider.endpoint = {true, "api.example.com", 443, "/v1"};
        provider.api_key = "sk-fuzz";
        model.id = "public-model";
        model.provider = &provider;
        model.upstream_model = "upstream-model";
    }
};

}  // namespace gaterouter::fuzz
