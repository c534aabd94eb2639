#include "gaterouter/api/key_admission.hpp"

namespace gaterouter::api {

KeyAdmission::~KeyAdmission() {
    if (admitted_)
        limiter_->release(*admitted_, scope_.usage().prompt_tokens + scope_.usage().completion_tokens);
}

std::optional<openai::ApiError> KeyAdmission::admit(std::int64_t tokens) {
    if (limiter_ == nullptr) return std::nullopt;
    scope_.set_limits(limiter_);
    if (auto refusal = limiter_->admit(tokens)) {
        scope_.set_retry_after(refusal->retry_after);
        return openai::rate_limited(std::move(refusal->message));
    }
    admitted_ = tokens;
    return std::nullopt;
}

}  // namespace gaterouter::api
