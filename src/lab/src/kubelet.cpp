// The lab's kubelet: applies plan_kubelet() and status_update() to the node.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "podnet/cluster/objects.hpp"
#include "podnet/common/files.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/log.hpp"
#include "podnet/events/recorder.hpp"
#include "podnet/lab/kubelet.hpp"
#include "podnet/lab/named_netns.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/workload_plan.hpp"
#include "podnet/store/store.hpp"
#include "wl_cni.hpp"
#include "wl_pod_record.hpp"
#include "wl_sandbox.hpp"

namespace podnet::lab {
namespace {

using namespace wl;
using Clock = std::chrono::steady_clock;

struct StorePod {
  cluster::Pod pod;
  PodRef ref;
  int64_t mod_revision = 0;
};

std::string key_of(const PodRef& r) {
  return r.ns + "/" + r.name;
}

// 128 random bits in hex, like a container runtime's sandbox id.
std::string random_id() {
  unsigned char b[16] = {};
  UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!fd || ::read(fd.get(), b, sizeof b) != ssize_t(sizeof b)) {
    auto t = Clock::now().time_since_epoch().count();
    std::memcpy(b, &t, sizeof t);
  }
  std::string s;
  for (unsigned char c : b) s += fmt::format("{:02x}", c);
  return s;
}

std::optional<net::IpAddress> first_ip(const nlohmann::json& result) {
  if (!result.is_object() || !result.contains("ips") || !result["ips"].is_array()) return {};
  for (const auto& ip : result["ips"]) {
    auto addr = ip.value("address", "");
    if (auto p = net::Prefix::parse(addr)) return p->address();
  }
  return {};
}

class Kubelet {
 public:
  explicit Kubelet(const KubeletConfig& cfg) : cfg_(cfg) {}

  Result<> run(const std::atomic<bool>& stop) {
    store_ = PODNET_TRY(store::open_store(cfg_.store_url));
    events_ =
        std::make_unique<events::Recorder>(*store_, cluster::EventSource{"kubelet", cfg_.node});
    PODNET_TRY_VOID(make_dirs(cfg_.pods_dir, 0755));
    adopt();
    std::unique_ptr<store::Watcher> watcher;
    while (!stop) {
      reap_children();
      auto list = store_->list(cluster::pods_prefix);
      if (!list) {
        log::warn("list pods: {}", list.error().message);
        std::this_thread::sleep_for(cfg_.resync);
        continue;
      }
      reconcile(parse(list->items));
      if (!first_pass_logged_) {  // tests wait for this line instead of sleeping
        first_pass_logged_ = true;
        log::info("first pass done: {} pod(s) running on this node", pods_.size());
      }
      if (!watcher) {
        auto w = store_->watch(cluster::pods_prefix, list->revision);
        if (w)
          watcher = std::move(*w);
        else
          log::warn("watch pods: {}", w.error().message);
      }
      if (!watcher) {
        std::this_thread::sleep_for(cfg_.resync);
        continue;
      }
      auto ev = watcher->next(cfg_.resync);
      if (!ev || ev->compacted) watcher.reset();  // a new watch after the next listing
    }
    log::info("stopping; {} pod(s) keep running for the next kubelet to adopt", pods_.size());
    return {};
  }

  void remove_all() {
    std::vector<std::string> errors;
    for (auto& r : load_records(cfg_.pods_dir, errors)) teardown(r, "node cleanup");
    for (const auto& e : errors) log::warn("{}", e);
  }

 private:
  std::vector<StorePod> parse(const std::vector<store::KeyValue>& items) {
    std::vector<StorePod> out;
    for (const auto& kv : items) {
      auto j = parse_json_bounded(kv.value, json_default_max_depth, json_default_max_bytes, kv.key);
      if (!j) {
        log::debug("skip {}", j.error().message);
        continue;
      }
      auto pod = cluster::pod_from_json(*j);
      if (!pod) {
        log::debug("skip {}: {}", kv.key, pod.error().message);
        continue;
      }
      if (pod->node != cfg_.node) continue;
      PodRef ref{pod->ns, pod->name, kv.create_revision};
      out.push_back(StorePod{std::move(*pod), ref, kv.mod_revision});
    }
    return out;
  }

  void adopt() {
    std::vector<std::string> errors;
    for (auto& r : load_records(cfg_.pods_dir, errors)) {
      if (r.cni_added && r.ip && sandbox_intact(r.netns, r.pause)) {
        log::info("adopted pod {} (netns {}, pause pid {}, ip {})", key_of(r.ref), r.netns,
                  r.pause.pid, r.ip->str());
        pods_[key_of(r.ref)] = std::move(r);
      } else {
        teardown(r, "left half-made by an earlier kubelet");
      }
    }
    for (const auto& e : errors) log::warn("{}", e);
  }

  void reconcile(const std::vector<StorePod>& assigned) {
    std::vector<PodRef> want, have;
    for (const auto& a : assigned) want.push_back(a.ref);
    for (const auto& [k, r] : pods_) have.push_back(r.ref);
    auto plan = plan_kubelet(want, have);
    for (const auto& ref : plan.stop) {
      auto it = pods_.find(key_of(ref));
      teardown(it->second, "no longer assigned to this node");
      pods_.erase(it);
    }
    std::map<std::string, const StorePod*> by_key;
    for (const auto& a : assigned) by_key[key_of(a.ref)] = &a;
    // podnetd writes the conflist once it holds the node's subnet: until then pods wait in
    // ContainerCreating instead of failing their CNI ADD.
    const bool network_ready = ::access(cfg_.conflist.c_str(), R_OK) == 0;
    if (!network_ready && !plan.start.empty() && !waiting_for_network_) {
      log::info("waiting for the node's CNI config {} before starting pods", cfg_.conflist);
    }
    waiting_for_network_ = !network_ready;
    for (const auto& ref : plan.start) {
      if (!network_ready) break;
      const std::string k = key_of(ref);
      if (auto it = retry_at_.find(k); it != retry_at_.end() && Clock::now() < it->second) continue;
      auto started = start(*by_key[k]);
      if (!started) {
        log::error("start pod {}: {}", k, started.error().message);
        warning(ref, "FailedCreatePodSandBox", started.error().message);
        errors_[k] = started.error().message;
        retry_at_[k] = Clock::now() + std::chrono::seconds(2);
        continue;
      }
      errors_.erase(k);
      retry_at_.erase(k);
      pods_[k] = std::move(*started);
    }
    for (auto& [k, r] : pods_) check_container(r);
    for (const auto& a : assigned) report(a);
    // forget the retry state of pods that went away
    std::erase_if(errors_, [&](const auto& e) { return !by_key.contains(e.first); });
    std::erase_if(retry_at_, [&](const auto& e) { return !by_key.contains(e.first); });
  }

  CniCall cni_call(const PodRecord& r) const {
    return CniCall{cfg_.conflist, cfg_.cni_path, r.container_id, netns_path(r.netns), "eth0"};
  }

  std::string log_path(const PodRef& ref) const {
    return container_log_path(cfg_, ref.ns, ref.name);
  }

  Result<> start_container(PodRecord& r) {
    std::string body =
        fmt::format("pod {} ip {} node {}\n", r.ref.name, r.ip ? r.ip->str() : "?", cfg_.node);
    r.container =
        PODNET_TRY(start_http_container(netns_path(r.netns), r.port, body, log_path(r.ref)));
    return save_record(cfg_.pods_dir, r);
  }

  Result<PodRecord> start(const StorePod& sp) {
    PodRecord r;
    r.ref = sp.ref;
    r.netns = netns_pod(cfg_.lab, sp.ref.ns, sp.ref.name);
    r.port = sp.pod.port ? sp.pod.port : 80;
    r.container_id = random_id();
    if (named_netns_exists(r.netns)) {
      // A name without a record: a kubelet died between making the netns and saving the record.
      log::warn("removing stale netns {}", r.netns);
      (void)delete_named_netns(r.netns);
    }
    r.pause = PODNET_TRY(start_sandbox(r.netns));
    normal(r.ref, "SandboxCreated",
           fmt::format("Created pod sandbox {} (netns {})", r.container_id.substr(0, 12), r.netns));
    // From here on the record exists, so a crash at any later step is cleaned up on restart.
    r.cni_added = true;  // DEL is due from the moment ADD may have done anything
    auto done = [&]() -> Result<> {
      PODNET_TRY_VOID(save_record(cfg_.pods_dir, r));
      const auto t0 = Clock::now();
      r.cni_result = PODNET_TRY(cni_add(cni_call(r)));
      const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      r.ip = first_ip(r.cni_result);
      if (!r.ip) return fail("CNI ADD result has no IP address");
      normal(r.ref, "AddedInterface",
             fmt::format("CNI ADD eth0 done in {:.0f} ms: IP {}", ms, r.ip->str()));
      PODNET_TRY_VOID(save_record(cfg_.pods_dir, r));
      return start_container(r);
    }();
    if (!done) {
      teardown(r, "start failed");
      return fail(done.error());
    }
    normal(r.ref, "Started",
           fmt::format("Started container app (pid {}, port {})", r.container.pid, r.port));
    log::info("started pod {}: netns {}, sandbox {}, ip {}, container pid {} on port {}",
              key_of(r.ref), r.netns, r.container_id.substr(0, 12), r.ip->str(), r.container.pid,
              r.port);
    return r;
  }

  void check_container(PodRecord& r) {
    if (alive(r.container)) return;
    const std::string k = key_of(r.ref);
    if (r.container.pid != 0) {
      ++r.restarts;
      log::warn("container of pod {} (pid {}) exited; restart {}", k, r.container.pid, r.restarts);
      warning(r.ref, "BackOff",
              fmt::format("Container app (pid {}) exited; restarting it", r.container.pid));
      r.container = {};
      // Kubernetes backs off crash loops; immediate first restart, then up to 10 s apart.
      restart_at_[k] = Clock::now() + std::chrono::seconds(std::min<int64_t>(r.restarts - 1, 10));
      (void)save_record(cfg_.pods_dir, r);
    }
    if (auto it = restart_at_.find(k); it != restart_at_.end() && Clock::now() < it->second) return;
    if (auto s = start_container(r); !s) {
      log::error("restart container of pod {}: {}", k, s.error().message);
      restart_at_[k] = Clock::now() + std::chrono::seconds(2);
      return;
    }
    restart_at_.erase(k);
    log::info("restarted container of pod {}: pid {}", k, r.container.pid);
    normal(r.ref, "Started",
           fmt::format("Restarted container app (pid {}, port {})", r.container.pid, r.port));
  }

  void report(const StorePod& sp) {
    const std::string k = key_of(sp.ref);
    LocalStatus local;
    if (auto it = pods_.find(k); it != pods_.end()) {
      const auto& r = it->second;
      local.containerID = r.container_id;
      local.podIP = r.ip;
      local.sandbox_ready = true;
      local.container_alive = alive(r.container);
      local.restartCount = r.restarts;
    } else if (auto e = errors_.find(k); e != errors_.end()) {
      local.error = e->second;
    }
    auto update = status_update(sp.pod, local);
    if (!update) return;
    // Compare-and-swap on the revision we read: a pod deleted (or changed) meanwhile is never
    // written back; the next listing sees the new state.
    auto cas = store_->compare_and_swap(cluster::pod_key(sp.ref.ns, sp.ref.name),
                                        cluster::to_json(*update).dump(), sp.mod_revision);
    if (!cas) log::warn("update status of pod {}: {}", k, cas.error().message);
  }

  void teardown(PodRecord& r, std::string_view why) {
    const std::string k = key_of(r.ref);
    log::info("stopping pod {} ({}): netns {}", k, why, r.netns);
    if (r.container.pid) {
      normal(r.ref, "Killing", fmt::format("Stopping container app ({})", why));
      terminate(r.container, std::chrono::seconds(2));
    }
    if (r.cni_added) {
      const auto t0 = Clock::now();
      if (auto d = cni_del(cni_call(r), r.cni_result); !d) {
        log::error("CNI DEL of pod {}: {}", k, d.error().message);
        warning(r.ref, "FailedKillPod", "CNI DEL: " + d.error().message);
      } else {
        const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        normal(r.ref, "RemovedInterface",
               fmt::format("CNI DEL eth0 done in {:.0f} ms{}", ms,
                           r.ip ? fmt::format(": IP {} released", r.ip->str()) : ""));
      }
    }
    remove_sandbox(r.netns, r.pause);
    remove_record(cfg_.pods_dir, r.ref);
    std::error_code ec;
    std::filesystem::remove(log_path(r.ref), ec);
    restart_at_.erase(k);
  }

  // Events about a pod; none when no store is open (remove_all_pods at lab down).
  void normal(const PodRef& ref, std::string reason, std::string message) {
    if (events_)
      events_->normal(cluster::pod_ref(ref.ns, ref.name), std::move(reason), std::move(message));
  }
  void warning(const PodRef& ref, std::string reason, std::string message) {
    if (events_)
      events_->warning(cluster::pod_ref(ref.ns, ref.name), std::move(reason), std::move(message));
  }

  const KubeletConfig& cfg_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<events::Recorder> events_;  // after store_: stops before it closes
  bool first_pass_logged_ = false;
  std::map<std::string, PodRecord> pods_;                // "ns/name" -> what runs here
  bool waiting_for_network_ = false;                     // logged once per wait
  std::map<std::string, std::string> errors_;            // last start failure
  std::map<std::string, Clock::time_point> retry_at_;    // next start attempt
  std::map<std::string, Clock::time_point> restart_at_;  // next container restart
};

}  // namespace

Result<> kubelet_loop(const KubeletConfig& cfg, const std::atomic<bool>& stop) {
  return Kubelet(cfg).run(stop);
}

void remove_all_pods(const KubeletConfig& cfg) {
  Kubelet(cfg).remove_all();
}

}  // namespace podnet::lab
