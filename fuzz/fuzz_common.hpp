#pragma once
// Shared helpers for the libFuzzer targets: a property check that aborts with a message
// (libFuzzer saves the input), and byte-to-text views.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#define FUZZ_CHECK(cond, ...)                                                       \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, \
                   #cond);                                                          \
      ::podnet_fuzz::detail(__VA_ARGS__);                                           \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace podnet_fuzz {

inline void detail() {}
inline void detail(std::string_view what) {
  std::fprintf(stderr, "  %.*s\n", static_cast<int>(what.size()), what.data());
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A dump that never throws on invalid UTF-8 (for messages only).
inline std::string show(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace podnet_fuzz
