#pragma once
// The store contract: one test suite every backend must pass. A test binary provides backends
// by instantiating StoreContract with BackendFactory values (see sqlite_contract_test.cpp and
// store_integration/etcd_contract_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "podnet/store/store.hpp"

namespace podnet::store::testing {

// A fresh, empty store for one test; removed (process killed, files deleted) on destruction.
class Backend {
 public:
  virtual ~Backend() = default;
  // Each open_store(url()) is another independent client of the same store.
  virtual std::string url() const = 0;
};

struct BackendFactory {
  std::string name;
  // nullptr with *why set: the backend cannot run here (the test is skipped with that reason).
  std::function<std::unique_ptr<Backend>(std::string* why)> make;
};

inline void PrintTo(const BackendFactory& f, std::ostream* os) { *os << f.name; }

class StoreContract : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<Store> client();  // another client of the same store

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Store> store_;
};

// Pulls events from `w` until `n` have arrived or `timeout` passed (then returns fewer).
std::vector<Event> collect(Watcher& w, size_t n, std::chrono::milliseconds timeout);

}  // namespace podnet::store::testing
