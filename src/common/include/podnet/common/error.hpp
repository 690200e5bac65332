#pragma once
// Error policy: functions at system boundaries return Result<T>; an Error carries the errno
// (0 when none applies) and a message naming what failed and on which object. Exceptions are
// only caught at the top of a main.
#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace podnet {

struct Error {
  int sys_errno = 0;     // errno of the failed call, 0 if not a system error
  std::string message;   // "what failed: object: reason"

  static Error from_errno(int err, std::string what) {
    return Error{err, fmt::format("{}: {}", what, std::strerror(err))};
  }
  static Error msg(std::string what) { return Error{0, std::move(what)}; }

  // Prefixes context ("while doing X") to the message, keeping errno.
  Error context(std::string_view what) const& {
    return Error{sys_errno, fmt::format("{}: {}", what, message)};
  }
};

template <typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string what) { return std::unexpected(Error::msg(std::move(what))); }
inline std::unexpected<Error> fail_errno(std::string what, int err = errno) {
  return std::unexpected(Error::from_errno(err, std::move(what)));
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected(std::move(e)); }

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
