#pragma once
// Key ranges shared by the backends: a prefix is the half-open range [prefix, prefix_end).
#include <string>
#include <string_view>

namespace podnet::store {

// The smallest key greater than every key starting with `prefix`; "" when there is none
// (empty prefix, or all bytes 0xff): the range is then unbounded above.
inline std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace podnet::store
