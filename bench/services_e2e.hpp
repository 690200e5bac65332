#pragma once
// bench_services --e2e: Services end to end on a real lab. One `podnetctl apply -f` of N
// Services until the last one answers through its ClusterIP, against kube-proxy's iptables
// layout restoring the same number of rules in the same run; then a one-Service change until
// it answers (a series of `changes`, with podnetd's programming-latency histogram read before and
// after), against kube-proxy's partial sync.
#include <string>
#include <vector>

namespace podnet::bench {

// `podnetctl`: the binary; `ipt_restore`: kube-proxy's iptables-restore invocation. Prints the
// table; returns false when the lab part failed (the reason printed).
bool run_e2e_lab(const std::string& podnetctl, const std::vector<std::string>& ipt_restore, int n,
                 int changes);

}  // namespace podnet::bench
