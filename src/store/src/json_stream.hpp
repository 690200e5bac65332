#pragma once
// Cuts a byte stream (the etcd gateway's streamed answers) into top-level JSON objects,
// whatever separates them and however the bytes are chunked.
#include <string>
#include <string_view>

namespace podnet::store::etcd {

class JsonSplitter {
 public:
  // A message longer than max_bytes stops the splitter (feed() returns false from then on).
  explicit JsonSplitter(size_t max_bytes = size_t{64} << 20) : max_(max_bytes) {}

  // Calls emit(const std::string&) for every object completed by `data`; false once a message
  // outgrew the limit (the stream must be dropped).
  template <typename F>
  bool feed(std::string_view data, F&& emit) {
    if (overflow_) return false;
    for (char c : data) {
      if (depth_ == 0 && c != '{') continue;  // separators between messages
      if (cur_.size() >= max_) {
        overflow_ = true;
        cur_.clear();
        return false;
      }
      cur_ += c;
      if (in_string_) {
        if (escape_) escape_ = false;
        else if (c == '\\') escape_ = true;
        else if (c == '"') in_string_ = false;
      } else if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if (c == '}' || c == ']') {
        if (--depth_ == 0) {
          emit(cur_);
          cur_.clear();
        }
      }
    }
    return true;
  }

 private:
  size_t max_;
  bool overflow_ = false;
  std::string cur_;
  long depth_ = 0;
  bool in_string_ = false, escape_ = false;
};

}  // namespace podnet::store::etcd
