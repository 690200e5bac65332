#include "podnet/lab/workload_view.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "podnet/lab/table.hpp"

namespace podnet::lab {

namespace {
std::string age_of(int64_t created, int64_t now) {
  return created ? human_age(now - created) : "<unknown>";
}
}  // namespace

std::string pods_table(std::vector<cluster::Pod> pods, int64_t now, TableOptions opt) {
  std::sort(pods.begin(), pods.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  Row header = {"NAME", "READY", "STATUS", "RESTARTS", "AGE"};
  if (opt.wide) header.insert(header.end(), {"IP", "NODE"});
  if (opt.namespaces) header.insert(header.begin(), "NAMESPACE");
  std::vector<Row> rows;
  for (const auto& p : pods) {
    std::vector<std::string> r = {
        p.name, p.ready ? "1/1" : "0/1",
        p.reason.empty() ? std::string(cluster::to_string(p.phase)) : p.reason,
        fmt::format("{}", p.restartCount), age_of(p.created, now)};
    if (opt.wide) {
      r.push_back(p.podIP ? p.podIP->str() : "<none>");
      r.push_back(p.node.empty() ? "<none>" : p.node);
    }
    if (opt.namespaces) r.insert(r.begin(), p.ns);
    rows.push_back(std::move(r));
  }
  return format_table(header, rows);
}

std::string deployments_table(std::vector<cluster::Deployment> deployments,
                              const std::vector<cluster::Pod>& pods, int64_t now,
                              TableOptions opt) {
  std::sort(deployments.begin(), deployments.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  Row header = {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  if (opt.namespaces) header.insert(header.begin(), "NAMESPACE");
  std::vector<Row> rows;
  for (const auto& d : deployments) {
    int64_t have = 0, ready = 0;
    for (const auto& p : pods)
      if (p.ns == d.ns && p.owner == d.name) {
        ++have;
        ready += p.ready;
      }
    Row r = {d.name, fmt::format("{}/{}", ready, d.replicas),
             fmt::format("{}", std::min(have, d.replicas)), fmt::format("{}", ready),
             age_of(d.created, now)};
    if (opt.namespaces) r.insert(r.begin(), d.ns);
    rows.push_back(std::move(r));
  }
  return format_table(header, rows);
}

}  // namespace podnet::lab
