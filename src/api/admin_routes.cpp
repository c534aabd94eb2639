#include "gaterouter/api/handlers.hpp"

namespace gaterouter::api {

void add_admin_routes(http::Router& router, const Services& services, const config::Config& config) {
    (void)router;
    (void)services;
    (void)config;
}

}  // namespace gaterouter::api
