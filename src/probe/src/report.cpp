// Verdict assembly and the report's text and JSON: pure functions of recorded events.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/probe/report.hpp"
#include "podnet/probe/trace_rules.hpp"

namespace podnet::probe {

std::string_view to_string(Protocol p) {
  switch (p) {
    case Protocol::tcp:
      return "tcp";
    case Protocol::udp:
      return "udp";
    case Protocol::icmp:
      return "icmp";
  }
  return "?";
}

namespace {
constexpr std::pair<Hook, std::string_view> kHooks[] = {{Hook::prerouting, "prerouting"},
                                                        {Hook::input, "input"},
                                                        {Hook::forward, "forward"},
                                                        {Hook::output, "output"},
                                                        {Hook::postrouting, "postrouting"},
                                                        {Hook::ingress, "ingress"},
                                                        {Hook::egress, "egress"}};
}

std::string_view to_string(Hook h) {
  for (auto& [k, name] : kHooks)
    if (k == h) return name;
  return "?";
}

Hook hook_from_name(std::string_view name) {
  for (auto& [k, n] : kHooks)
    if (n == name) return k;
  return Hook::unknown;
}

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::request:
      return "request";
    case Direction::reply:
      return "reply";
    case Direction::icmp_error:
      return "icmp-error";
    case Direction::other:
      return "other";
  }
  return "?";
}

std::string_view to_string(TraceEvent::Kind k) {
  switch (k) {
    case TraceEvent::Kind::rule:
      return "rule";
    case TraceEvent::Kind::return_:
      return "return";
    case TraceEvent::Kind::policy:
      return "policy";
  }
  return "?";
}

std::string_view to_string(Answer::Kind k) {
  switch (k) {
    case Answer::Kind::none:
      return "none";
    case Answer::Kind::syn_ack:
      return "syn-ack";
    case Answer::Kind::rst:
      return "rst";
    case Answer::Kind::udp_reply:
      return "udp-reply";
    case Answer::Kind::echo_reply:
      return "echo-reply";
    case Answer::Kind::icmp_error:
      return "icmp-error";
    case Answer::Kind::local_error:
      return "local-error";
  }
  return "?";
}

std::string verdict_name(int32_t code, std::string_view target) {
  switch (code) {
    case -1:
      return "continue";
    case -2:
      return "break";
    case -3:
      return fmt::format("jump {}", target);
    case -4:
      return fmt::format("goto {}", target);
    case -5:
      return "return";
    default:
      break;
  }
  switch (code & 0xff) {  // NF_VERDICT_MASK: a queue verdict carries its number above
    case 0:
      return "drop";
    case 1:
      return "accept";
    case 2:
      return "stolen";
    case 3:
      return "queue";
    case 4:
      return "repeat";
    case 5:
      return "stop";
  }
  return fmt::format("verdict-{}", code);
}

std::string family_name(uint8_t f) {
  switch (f) {
    case 1:
      return "inet";
    case 2:
      return "ip";
    case 3:
      return "arp";
    case 5:
      return "netdev";
    case 7:
      return "bridge";
    case 10:
      return "ip6";
  }
  return fmt::format("family-{}", f);
}

void infer_hooks(std::vector<TraceEvent>& events) {
  auto same_packet = [](const TraceEvent& a, const TraceEvent& b) {
    return a.ns == b.ns && a.trace_id == b.trace_id;
  };
  for (size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.hook != Hook::unknown) continue;
    // An earlier event of the same chain first, else the chain the packet came from (the jump).
    for (size_t j = i; j-- > 0 && e.hook == Hook::unknown;) {
      const auto& p = events[j];
      if (same_packet(p, e) && p.table == e.table && p.chain == e.chain) e.hook = p.hook;
    }
    for (size_t j = i; j-- > 0 && e.hook == Hook::unknown;)
      if (same_packet(events[j], e)) e.hook = events[j].hook;
    if (e.hook != Hook::unknown) continue;
    if (!e.iif.empty() && !e.oif.empty())
      e.hook = Hook::forward;
    else if (!e.iif.empty())
      e.hook = Hook::prerouting;
    else if (!e.oif.empty())
      e.hook = Hook::postrouting;
  }
}

void complete_events(std::vector<TraceEvent>& events, Protocol proto, uint16_t port) {
  infer_hooks(events);
  for (size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.packet.src.empty()) {
      // The kernel copies the headers once per base chain run (chains jumped to included): the
      // latest event of this packet at this hook in this family has them.
      for (size_t j = i; j-- > 0;) {
        const auto& p = events[j];
        if (p.ns == e.ns && p.trace_id == e.trace_id && p.family == e.family && p.hook == e.hook &&
            !p.packet.src.empty()) {
          e.packet = p.packet;  // interfaces come with the headers
          if (e.iif.empty()) e.iif = p.iif;
          if (e.oif.empty()) e.oif = p.oif;
          break;
        }
      }
    }
    e.direction = classify(e.packet, proto, port);
  }
  // Replies after a masquerade carry the translated port: in a namespace that saw the request
  // as A:a > B:b, a packet B:b > A:a is its reply.
  for (size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.direction != Direction::other || e.packet.src.empty() || !e.packet.sport) continue;
    for (size_t j = i; j-- > 0;) {
      const auto& q = events[j];
      if (q.ns == e.ns && q.direction == Direction::request && q.packet.proto == e.packet.proto &&
          q.packet.src == e.packet.dst && q.packet.dst == e.packet.src &&
          q.packet.sport == e.packet.dport && q.packet.dport == e.packet.sport) {
        e.direction = Direction::reply;
        break;
      }
    }
  }
  // A packet that matched two marking rules at one hook (its port and the probe's DSCP, or its
  // port and its conntrack mark) shows once.
  auto marking = [](const TraceEvent& e) {
    return e.kind == TraceEvent::Kind::rule && e.table == kTraceTableName &&
           e.chain.starts_with("mark-");
  };
  size_t kept = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    bool again = false;
    if (marking(events[i]) && events[i].rule_handle != 0)
      for (size_t j = kept; j-- > 0 && !again;) {
        const auto& p = events[j];
        again = marking(p) && p.rule_handle != 0 && p.ns == events[i].ns &&
                p.trace_id == events[i].trace_id && p.family == events[i].family &&
                p.hook == events[i].hook;
      }
    if (again) continue;
    if (kept != i) events[kept] = std::move(events[i]);
    ++kept;
  }
  events.resize(kept);
  std::erase_if(events, [](const TraceEvent& e) {
    if (e.kind == TraceEvent::Kind::rule && e.rule_handle == 0 && e.verdict == "continue")
      return true;
    // The request passing the conntrack-mark chains (already traced): bookkeeping, not a hop.
    if (e.table == kTraceTableName && e.chain.starts_with(kConntrackMarkChainPrefix) &&
        e.direction == Direction::request)
      return true;
    return e.kind == TraceEvent::Kind::policy && e.table == kTraceTableName &&
           e.chain.starts_with("mark-");
  });
}

namespace {
std::string answer_text(const Answer& a) {
  switch (a.kind) {
    case Answer::Kind::none:
      return "no answer";
    case Answer::Kind::syn_ack:
      return "SYN-ACK";
    case Answer::Kind::rst:
      return "RST";
    case Answer::Kind::udp_reply:
      return "UDP reply";
    case Answer::Kind::echo_reply:
      return "echo reply";
    case Answer::Kind::icmp_error:
      return fmt::format("ICMP {}", a.detail);
    case Answer::Kind::local_error:
      return a.detail;
  }
  return "?";
}

std::string answer_with_origin(const Answer& a) {
  std::string t = answer_text(a);
  if (!a.from.empty()) t += " from " + a.from;
  return t;
}

bool is_drop(const TraceEvent& e) {
  return e.verdict == "drop";
}

std::string decider(const TraceEvent& e) {
  std::string where = fmt::format("{} {} {}", e.family, e.table, e.chain);
  if (e.kind == TraceEvent::Kind::policy) return fmt::format("the policy of chain {}", where);
  std::string s = fmt::format("rule #{} of {}", e.rule_handle, where);
  if (!e.rule_text.empty()) s += fmt::format(" ({})", e.rule_text);
  return s;
}

bool port_unreachable(const Answer& a) {
  return a.kind == Answer::Kind::icmp_error && a.detail.find("port") != std::string::npos;
}
}  // namespace

Verdict assemble_verdict(const std::vector<TraceEvent>& events, const Answer& answer) {
  Verdict v;
  const TraceEvent* req_drop = nullptr;
  const TraceEvent* reply_drop = nullptr;
  const TraceEvent* delivered_at = nullptr;  // last request event at an input hook
  const TraceEvent* last_req = nullptr;
  for (const auto& e : events) {
    if (e.direction == Direction::request) {
      last_req = &e;
      if (is_drop(e) && !req_drop) req_drop = &e;
      if (e.hook == Hook::input && !is_drop(e)) delivered_at = &e;
    } else if (e.direction == Direction::reply && is_drop(e) && !reply_drop) {
      reply_drop = &e;
    }
  }
  // A drop of the request decides, whatever came back: a reject rule drops and answers.
  if (req_drop) {
    v.dropped_by = *req_drop;
    v.where_ns = req_drop->ns;
    v.where_hook = req_drop->hook;
    v.summary = fmt::format("dropped in {} at {} by {}", req_drop->ns, to_string(req_drop->hook),
                            decider(*req_drop));
    if (answer.kind != Answer::Kind::none) v.summary += "; answer: " + answer_with_origin(answer);
    return v;
  }
  bool answered = answer.kind == Answer::Kind::syn_ack || answer.kind == Answer::Kind::rst ||
                  answer.kind == Answer::Kind::udp_reply ||
                  answer.kind == Answer::Kind::echo_reply || port_unreachable(answer);
  if (answered || delivered_at) {
    v.delivered = true;
    v.answered = answered;
    if (delivered_at) {
      v.where_ns = delivered_at->ns;
      v.where_hook = Hook::input;
    }
    std::string to = delivered_at ? " to " + delivered_at->ns : "";
    if (answered) {
      v.summary = fmt::format("delivered{} (answer: {})", to, answer_with_origin(answer));
    } else if (reply_drop) {
      v.dropped_by = *reply_drop;
      v.summary = fmt::format("delivered{}; the answer was dropped in {} at {} by {}", to,
                              reply_drop->ns, to_string(reply_drop->hook), decider(*reply_drop));
    } else {
      v.summary = fmt::format("delivered{}; no answer", to);
    }
    return v;
  }
  if (last_req) {
    v.where_ns = last_req->ns;
    v.where_hook = last_req->hook;
  }
  if (answer.kind == Answer::Kind::local_error) {
    v.summary = fmt::format("not sent: {}", answer.detail);
    return v;
  }
  std::string lost;
  if (!last_req) {
    lost = "not seen in any traced namespace";
  } else if (last_req->hook == Hook::prerouting) {
    lost = fmt::format(
        "last seen in {} at prerouting: neither forwarded nor delivered there (no route?)",
        last_req->ns);
  } else if (last_req->hook == Hook::postrouting || last_req->hook == Hook::output) {
    lost = fmt::format("left {} at {}{}, not seen after", last_req->ns, to_string(last_req->hook),
                       last_req->oif.empty() ? "" : " via " + last_req->oif);
  } else {
    lost = fmt::format("last seen in {} at {}", last_req->ns, to_string(last_req->hook));
  }
  if (answer.kind == Answer::Kind::icmp_error)
    v.summary = fmt::format("not delivered: {}; {}", answer_with_origin(answer), lost);
  else
    v.summary = fmt::format("not delivered: {}", lost);
  return v;
}

std::string format_packet(const PacketView& p) {
  if (p.src.empty()) return "";
  auto ep = [](const std::string& a, uint16_t port) {
    if (port == 0) return a;
    return a.find(':') != std::string::npos ? fmt::format("[{}]:{}", a, port)
                                            : fmt::format("{}:{}", a, port);
  };
  bool ports = p.proto == "tcp" || p.proto == "udp";
  std::string s = fmt::format("{} > {} {}", ep(p.src, ports ? p.sport : 0),
                              ep(p.dst, ports ? p.dport : 0), p.proto);
  if (!p.detail.empty()) s += " " + p.detail;
  if (p.icmp_id) s += fmt::format(" id={}", p.icmp_id);
  if (!p.inner_src.empty())
    s += fmt::format(" [quoting {} > {}]", ep(p.inner_src, p.inner_sport),
                     ep(p.inner_dst, p.inner_dport));
  return s;
}

std::string format_event(const TraceEvent& e) {
  std::string line = fmt::format("{:<11}", to_string(e.hook));
  if (std::string pkt = format_packet(e.packet); !pkt.empty()) line += " " + pkt;
  if (!e.iif.empty()) line += "  iif=" + e.iif;
  if (!e.oif.empty()) line += (e.iif.empty() ? "  oif=" : " oif=") + e.oif;
  // podnet-trace's own chains only say where the packet was; other tables' events say who
  // decided what.
  if (e.table == kTraceTableName) return e.family == "bridge" ? line + "  (bridged)" : line;
  std::string what;
  switch (e.kind) {
    case TraceEvent::Kind::rule:
      what = fmt::format("rule #{}", e.rule_handle);
      if (!e.rule_text.empty()) what += ": " + e.rule_text;
      break;
    case TraceEvent::Kind::return_:
      what = "return";
      break;
    case TraceEvent::Kind::policy:
      what = "policy";
      break;
  }
  return fmt::format("{}  {} {} {} {} -> {}", line, e.family, e.table, e.chain, what, e.verdict);
}

std::string format_report(const ProbeReport& r) {
  std::string out;
  bool ports = r.protocol != Protocol::icmp;
  out += fmt::format(
      "probe {} {}{} -> {}{}\n", to_string(r.protocol), r.source,
      ports ? fmt::format(":{}", r.source_port) : "", r.destination,
      ports ? fmt::format(":{}", r.destination_port) : fmt::format(" (echo id {})", r.source_port));
  // Events in the order they happened, under the namespace they happened in: a packet crossing
  // back and forth shows each crossing.
  const std::string* current = nullptr;
  for (const auto& e : r.events) {
    if (!current || *current != e.ns) {
      out += fmt::format("  {}\n", e.ns);
      current = &e.ns;
    }
    const char* arrow = e.direction == Direction::request      ? ">"
                        : e.direction == Direction::reply      ? "<"
                        : e.direction == Direction::icmp_error ? "!"
                                                               : " ";
    out += fmt::format("    {} {}\n", arrow, format_event(e));
  }
  for (const auto& ns : r.namespaces)
    if (std::none_of(r.events.begin(), r.events.end(), [&](const auto& e) { return e.ns == ns; }))
      out += fmt::format("  {}: no trace events\n", ns);
  out += fmt::format("  answer: {}\n", answer_with_origin(r.answer));
  out += fmt::format("  verdict: {}\n", r.verdict.summary);
  return out;
}

namespace {
nlohmann::json packet_json(const PacketView& p) {
  nlohmann::json j = {{"src", p.src}, {"dst", p.dst}, {"proto", p.proto}};
  if (p.sport || p.dport) {
    j["sport"] = p.sport;
    j["dport"] = p.dport;
  }
  if (!p.detail.empty()) j["detail"] = p.detail;
  if (p.icmp_id) j["icmpId"] = p.icmp_id;
  if (!p.inner_src.empty()) j["quoting"] = {{"src", p.inner_src}, {"dst", p.inner_dst}};
  return j;
}

nlohmann::json event_json(const TraceEvent& e) {
  nlohmann::json j = {
      {"namespace", e.ns},         {"traceId", e.trace_id}, {"hook", to_string(e.hook)},
      {"family", e.family},        {"table", e.table},      {"chain", e.chain},
      {"type", to_string(e.kind)}, {"verdict", e.verdict},  {"direction", to_string(e.direction)}};
  if (e.kind == TraceEvent::Kind::rule) j["ruleHandle"] = e.rule_handle;
  if (!e.rule_text.empty()) j["rule"] = e.rule_text;
  if (!e.iif.empty()) j["iif"] = e.iif;
  if (!e.oif.empty()) j["oif"] = e.oif;
  if (!e.packet.src.empty()) j["packet"] = packet_json(e.packet);
  return j;
}
}  // namespace

nlohmann::json to_json(const ProbeReport& r) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : r.events) events.push_back(event_json(e));
  nlohmann::json answer = {{"kind", to_string(r.answer.kind)}};
  if (!r.answer.detail.empty()) answer["detail"] = r.answer.detail;
  if (!r.answer.from.empty()) answer["from"] = r.answer.from;
  nlohmann::json verdict = {{"delivered", r.verdict.delivered},
                            {"answered", r.verdict.answered},
                            {"summary", r.verdict.summary}};
  if (!r.verdict.where_ns.empty()) {
    verdict["namespace"] = r.verdict.where_ns;
    verdict["hook"] = to_string(r.verdict.where_hook);
  }
  if (r.verdict.dropped_by) verdict["droppedBy"] = event_json(*r.verdict.dropped_by);
  return {{"protocol", to_string(r.protocol)},
          {"source", r.source},
          {"sourcePort", r.source_port},
          {"destination", r.destination},
          {"destinationPort", r.destination_port},
          {"namespaces", r.namespaces},
          {"events", events},
          {"answer", answer},
          {"verdict", verdict}};
}

}  // namespace podnet::probe
