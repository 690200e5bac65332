// The store contract against a real etcd: a fresh single-member etcd per test, in its own
// network namespace; the test thread (and the watch threads it starts) join that namespace.
#include <optional>

#include "contract/store_contract.hpp"
#include "etcd_cluster.hpp"

namespace podnet::store::testing {
namespace {

class EtcdBackend : public Backend {
 public:
  EtcdBackend() : cluster_(EtcdCluster::Options{}) {}
  Result<> start() {
    PODNET_TRY_VOID(cluster_.start_all());
    in_.emplace(cluster_.netns_path());
    return {};
  }
  std::string url() const override { return cluster_.url(); }
  std::string log() const { return cluster_.log_tail(0); }

 private:
  EtcdCluster cluster_;
  std::optional<InNetns> in_;  // left before the cluster goes
};

std::unique_ptr<Backend> make_etcd(std::string* why) {
  *why = etcd_unavailable();
  if (!why->empty()) return nullptr;
  try {
    auto b = std::make_unique<EtcdBackend>();
    if (auto r = b->start(); !r) {
      ADD_FAILURE() << r.error().message << "\netcd log:\n" << b->log();
      return nullptr;
    }
    return b;
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
    return nullptr;
  }
}

INSTANTIATE_TEST_SUITE_P(Etcd, StoreContract, ::testing::Values(BackendFactory{"etcd", make_etcd}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace podnet::store::testing
