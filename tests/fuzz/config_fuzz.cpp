// The config loader (config/config.hpp) on YAML text: whatever the file holds, loading either gives a config
// or throws ConfigError listing the problems, with no other exception and no crash. Runs from the
// repository's config/ folder (scripts/fuzz.sh), so a `catalog: models.yaml` in the input loads the shipped
// catalog.

#include <cstddef>
#include <cstdint>
#include <string>

#include "gaterouter/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string yaml(reinterpret_cast<const char*>(data), size);
    try {
        (void)gaterouter::config::load_config_text(yaml, "fuzz.yaml");
    } catch (const gaterouter::config::ConfigError&) {
        // A refused config: what an operator is told about, not a failure of the loader.
    }
    return 0;
}
