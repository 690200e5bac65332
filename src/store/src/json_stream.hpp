#pragma once
// Cuts a byte stream (the etcd gateway's streamed answers) into top-level JSON objects,
// whatever separates them and however the bytes are chunked.
#include <string>
#include <string_view>

namespace podnet::store::etcd {

class JsonSplitter {
 public:
  // Calls emit(const std::string&) for every object completed by `data`.
  template <typename F>
  void feed(std::string_view data, F&& emit) {
    for (char c : data) {
      if (depth_ == 0 && c != '{') continue;  // separators between messages
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
  }

 private:
  std::string cur_;
  int depth_ = 0;
  bool in_string_ = false, escape_ = false;
};

}  // namespace podnet::store::etcd
