#pragma once
// The real probe of `podnetctl trace`: one packet (TCP SYN, UDP datagram or ICMP echo) sent from
// a source namespace with nftables tracing switched on for it alone in every namespace it may
// cross, and the trace events read back hook by hook through the netlink trace monitor.
//
// In each namespace of ProbeSpec::namespaces run_probe adds the podnet-owned table
// `inet podnet-trace` (trace_rules.hpp) in one transaction, replacing a stale one of a crashed
// run, and opens an NFNLGRP_NFTRACE socket there. The tables are deleted when the probe ends,
// fails, or the process gets SIGINT/SIGTERM meanwhile: run_probe then cleans up and re-raises
// the signal with the caller's previous disposition. (SIGKILL leaves the table: the next probe in
// that namespace removes it.) Probes on one machine run one at a time (probe_lock.hpp): a
// second waits for the first's tables to be gone, up to its timeout + 10 s.
#include <chrono>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/probe/report.hpp"

namespace podnet::probe {

struct ProbeNamespace {
  std::string label;  // shown in the report, e.g. "pod default/a", "node n1", "ext"
  std::string netns;  // a path (/var/run/netns/x, /proc/PID/ns/net) or a name under /var/run/netns
};

struct ProbeSpec {
  ProbeNamespace source;       // where the packet is sent from (traced too, listed or not)
  std::string source_address;  // bound before sending; "" lets the kernel choose
  std::string destination;     // IPv4 or IPv6 address
  uint16_t port = 0;           // TCP/UDP destination port (ignored for ICMP)
  Protocol protocol = Protocol::tcp;
  // The namespaces the packet may cross, in path order (the source may be left out).
  std::vector<ProbeNamespace> namespaces;
  // How long to wait for an answer. The probe ends earlier on an answer or a traced drop.
  std::chrono::milliseconds timeout{2000};
};

// Checks a spec without touching the system (addresses, port, family agreement, labels).
Result<> validate(const ProbeSpec& spec);

// Runs the probe. An error means the probe could not be run (namespace missing, tables
// refused, ...); a probe that was not delivered is a report with verdict.delivered == false.
Result<ProbeReport> run_probe(const ProbeSpec& spec);

// Deletes a podnet-trace table left in a namespace (by a killed probe). Not an error when none.
Result<> remove_stale_trace_table(const std::string& netns);

}  // namespace podnet::probe
