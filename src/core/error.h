// Errors are values. Every fallible function in Broadsheet returns Result<T>, which holds either
// a T or an Error. An Error carries a stable code (what callers branch on and tests assert), a
// message that is safe to show a person, and an optional detail for logs only.
//
// Exceptions thrown by libraries are caught at the adapter that calls the library and turned into
// an Error there; they never cross a folder boundary.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace broadsheet {

enum class ErrorCode {
  kInvalidArgument,  // the input is malformed or breaks a rule; the message says which
  kNotFound,
  kGone,             // existed once, deliberately removed
  kConflict,         // clashes with existing state (a taken slug, a foreign site directory)
  kUnauthenticated,  // needs a signed-in person, or the credentials were wrong
  kForbidden,        // signed in, but not allowed; or a form without a valid CSRF token
  kRateLimited,      // too many attempts; try again later
  kTooLarge,
  kUnavailable,  // not implemented yet, or a dependency is down
  kStorageFull,  // the disk (or quota) is full: nothing was saved; the person's input must survive
  kBusy,         // the database stayed locked past its timeout: nothing was saved; try again soon
  kIo,           // the file system or network failed
  kCorrupt,      // stored data is not what Broadsheet wrote
  kInternal,     // a bug
};

// A short stable name for the code, e.g. "not_found", for logs and JSON.
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // safe to show a reader or operator
  std::string detail;   // for logs only; may name files, SQL, library messages
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message, std::string detail = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(detail)});
}

// A one-line description for logs: "not_found: message (detail)".
std::string Describe(const Error& error);

}  // namespace broadsheet
