// The one table from error codes to HTTP statuses, and reason phrases.
#pragma once

#include <string_view>

#include "core/error.h"

namespace broadsheet::http {

int StatusFor(ErrorCode code);
std::string_view ReasonPhrase(int status);

}  // namespace broadsheet::http
