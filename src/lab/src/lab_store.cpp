#include "podnet/lab/lab_store.hpp"

namespace podnet::lab {

std::string store_client_netns(const LabState& s) {
  return s.spec.store == StoreKind::etcd ? netns_ext(s.spec.name) : std::string{};
}

}  // namespace podnet::lab
