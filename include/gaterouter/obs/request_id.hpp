#pragma once
// Request ids: the client's own x-request-id when it is a sane token, otherwise a fresh one.

#include <string>
#include <string_view>

namespace gaterouter::obs {

// A new id, unique across threads and restarts with overwhelming probability ("req_" + 24 hex digits).
std::string new_request_id();
// The client's id if it is 1..128 characters of [A-Za-z0-9._:-], else a new one (ids end up in logs and
// headers, so nothing else gets through).
std::string request_id_from(std::string_view client_value);

}  // namespace gaterouter::obs
