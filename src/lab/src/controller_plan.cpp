#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "podnet/lab/workload_plan.hpp"

namespace podnet::lab {

std::string pod_suffix(const std::function<uint32_t()>& random) {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s += alphabet[random() % alphabet.size()];
  return s;
}

std::optional<std::string> scaling_message(std::string_view deployment,
                                           std::optional<int64_t> before, int64_t now,
                                           size_t pods_now) {
  if (!before) {
    if (pods_now > 0 || now == 0) return std::nullopt;
    return fmt::format("Scaled up deployment {} to {}", deployment, now);
  }
  if (*before == now) return std::nullopt;
  return fmt::format("Scaled {} deployment {} from {} to {}", now > *before ? "up" : "down",
                     deployment, *before, now);
}

namespace {

using cluster::Deployment;
using cluster::Pod;

struct Scheduler {
  std::map<std::string, int> total;  // pods per ready node

  std::string pick(const std::map<std::string, int>& of_deployment) const {
    auto count = [](const std::map<std::string, int>& m, const std::string& n) {
      auto it = m.find(n);
      return it == m.end() ? 0 : it->second;
    };
    std::string best;
    std::tuple<int, int> best_key{};
    for (const auto& [node, n] : total) {  // map order: ties go to the first name
      std::tuple<int, int> key{count(of_deployment, node), n};
      if (best.empty() || key < best_key) best = node, best_key = key;
    }
    return best;
  }
};

}  // namespace

ControllerPlan plan_controller(const std::vector<Deployment>& deployments,
                               const std::vector<Pod>& pods,
                               const std::vector<std::string>& ready_nodes, int64_t now,
                               const std::function<std::string()>& suffix) {
  ControllerPlan plan;
  Scheduler sched;
  for (const auto& n : ready_nodes) sched.total[n] = 0;
  std::set<std::pair<std::string, std::string>> names;  // (ns, name) taken
  for (const auto& p : pods) {
    names.emplace(p.ns, p.name);
    if (auto it = sched.total.find(p.node); it != sched.total.end()) ++it->second;
  }
  std::set<std::pair<std::string, std::string>> live;  // deployments (ns, name)
  for (const auto& d : deployments) live.emplace(d.ns, d.name);
  for (const auto& p : pods)
    if (!p.owner.empty() && !live.contains({p.ns, p.owner})) plan.remove.push_back(p);

  for (const auto& d : deployments) {
    std::vector<Pod> mine;
    std::map<std::string, int> per_node;
    for (const auto& p : pods)
      if (p.ns == d.ns && p.owner == d.name) {
        mine.push_back(p);
        ++per_node[p.node];
      }
    auto have = int64_t(mine.size());
    if (have > d.replicas) {
      // Newest first; among pods of the same second (creation times have second resolution)
      // the one sharing its node with the most pods of the deployment, so the rest stays spread.
      for (int64_t i = 0; i < have - d.replicas; ++i) {
        auto victim = std::max_element(mine.begin(), mine.end(), [&](const Pod& a, const Pod& b) {
          return std::tuple(a.created, per_node[a.node], a.name) <
                 std::tuple(b.created, per_node[b.node], b.name);
        });
        --per_node[victim->node];
        plan.remove.push_back(*victim);
        mine.erase(victim);
      }
      continue;
    }
    for (int64_t i = have; i < d.replicas && !sched.total.empty(); ++i) {
      Pod p;
      p.ns = d.ns;
      p.owner = d.name;
      p.labels = d.labels;
      p.labels["app"] = d.name;
      p.created = now;
      p.port = d.port;
      for (int tries = 0; tries < 100 && (p.name.empty() || names.contains({p.ns, p.name}));
           ++tries)
        p.name = d.name + "-" + suffix();
      if (names.contains({p.ns, p.name})) break;  // the suffix source is stuck: next round
      names.emplace(p.ns, p.name);
      p.node = sched.pick(per_node);
      ++per_node[p.node];
      ++sched.total[p.node];
      plan.create.push_back(std::move(p));
    }
  }
  return plan;
}

}  // namespace podnet::lab
