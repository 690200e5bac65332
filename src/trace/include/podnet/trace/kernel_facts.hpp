#pragma once
// The system half of `podnetctl trace`: fetches the facts path assembly asks for from the
// kernel of each namespace: links and addresses, RTM_GETROUTE answers (with the packet's real
// source and input link), veth peers, the VXLAN device's neighbour and FDB entries, the
// Service map elements of podnet-svc and podnetd's masquerade chain. Netlink sockets are
// opened in the namespaces; nftables is read from a thread inside each (run_in), so the
// caller's thread never moves.
#include <map>
#include <memory>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/trace/facts.hpp"
#include "podnet/trace/path.hpp"

namespace podnet::trace {

struct ReaderOptions {
  // Every namespace the path may cross, named and placed (links are read from the kernel).
  std::map<std::string, Namespace> namespaces;
  std::map<net::IpAddress, std::string> service_names;  // ClusterIP -> "ns/name"
  std::map<uint16_t, std::string> node_port_names;      // nodePort -> "ns/name"
};

class KernelReader {
 public:
  explicit KernelReader(ReaderOptions o);
  KernelReader(KernelReader&&) noexcept;
  ~KernelReader();
  // Reads the fact `r` names into `f`.
  Result<> fetch(const FactRequest& r, Facts& f);

  struct State;

 private:
  std::unique_ptr<State> st_;
};

// assemble() until it has every fact it needs, fetching each from the kernel.
Result<Path> predict(const TraceQuery& q, Facts& f, KernelReader& reader);

}  // namespace podnet::trace
