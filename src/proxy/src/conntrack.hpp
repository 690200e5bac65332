#pragma once
// Deletes conntrack entries matching filters (libnetfilter_conntrack), in the caller's netns.
#include <memory>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/proxy/conntrack_plan.hpp"

struct nfct_handle;

namespace podnet::proxy {

class ConntrackCleaner {
 public:
  static Result<ConntrackCleaner> open();
  // One dump of the IPv4 table, then a delete per matching entry; returns how many went.
  Result<size_t> remove(const std::vector<ConntrackFilter>& filters);
  // Every entry matching one of the filters (for inspection), as conntrack -L prints it.
  Result<std::vector<std::string>> list(const std::vector<ConntrackFilter>& filters);

 private:
  struct Close {
    void operator()(nfct_handle* h) const;
  };
  explicit ConntrackCleaner(nfct_handle* h) : h_(h) {}
  std::unique_ptr<nfct_handle, Close> h_;
};

}  // namespace podnet::proxy
