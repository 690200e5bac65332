#pragma once
// Error policy: functions at system boundaries return Result<T>; an Error carries the errno
// (0 when none applies) and a message naming what failed and on which object. Exceptions are
// only caught at the top of a main. Callers that must react to a particular failure (retry a
// busy database, ignore an already revoked lease) test `kind`, set where the failure is
// detected, never the message text.
#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace podnet {

enum class ErrorKind {
  other,            // nothing a caller acts on
  not_found,        // the object does not exist
  conflict,         // a condition on the object's state did not hold
  busy,             // the resource is locked by someone else (sqlite SQLITE_BUSY/LOCKED)
  lease_not_found,  // the lease expired or was revoked
  compacted,        // the requested revision was compacted away
  unavailable,      // the service cannot answer now (no leader, shutting down): try later/elsewhere
  unauthenticated,  // credentials missing, wrong or expired
  invalid_answer,   // the peer answered something malformed, oversized or of the wrong type
};

struct Error {
  int sys_errno = 0;     // errno of the failed call, 0 if not a system error
  std::string message;   // "what failed: object: reason"
  ErrorKind kind = ErrorKind::other;

  static Error from_errno(int err, std::string what) {
    return Error{err, fmt::format("{}: {}", what, std::strerror(err))};
  }
  static Error msg(std::string what) { return Error{0, std::move(what)}; }
  static Error of(ErrorKind kind, std::string what) { return Error{0, std::move(what), kind}; }

  // Prefixes context ("while doing X") to the message, keeping errno and kind.
  Error context(std::string_view what) const& {
    return Error{sys_errno, fmt::format("{}: {}", what, message), kind};
  }
  bool is(ErrorKind k) const { return kind == k; }
};

template <typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string what) { return std::unexpected(Error::msg(std::move(what))); }
inline std::unexpected<Error> fail_errno(std::string what, int err = errno) {
  return std::unexpected(Error::from_errno(err, std::move(what)));
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected(std::move(e)); }
inline std::unexpected<Error> fail(ErrorKind kind, std::string what) {
  return std::unexpected(Error::of(kind, std::move(what)));
}

}  // namespace podnet

// Propagates an error from an expression yielding Result<T>; evaluates to the value.
#define PODNET_TRY(expr)                                          \
  ({                                                              \
    auto&& podnet_try_r_ = (expr);                                \
    if (!podnet_try_r_) return std::unexpected(std::move(podnet_try_r_).error()); \
    std::move(podnet_try_r_).value();                             \
  })
#define PODNET_TRY_VOID(expr)                                     \
  do {                                                            \
    auto&& podnet_try_r_ = (expr);                                \
    if (!podnet_try_r_) return std::unexpected(std::move(podnet_try_r_).error()); \
  } while (0)
