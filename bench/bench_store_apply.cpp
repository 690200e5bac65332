// Bulk apply of N new ClusterIP Services through ServiceStore::apply_many (what `podnetctl
// apply -f` does), then the same N again (all unchanged), on a store given by URL: a fresh
// sqlite file by default, or an etcd cluster (`--store etcd://127.0.0.1:2379`, whose
// /podnet/services must be empty). A measurement with no baseline of its own: the end-to-end
// figure against kube-proxy is bench_services --e2e.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "podnet/cluster/config.hpp"
#include "podnet/store/store.hpp"
#include "podnet/svcstore/service_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int usage() {
  std::fprintf(stderr, "usage: bench_store_apply [--store URL] [--count N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int count = 30000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--store" && i + 1 < argc) url = argv[++i];
    else if (a == "--count" && i + 1 < argc) count = std::atoi(argv[++i]);
    else return usage();
  }
  if (count <= 0) return usage();
  std::string temp_dir;
  if (url.empty()) {
    char dir[] = "/tmp/podnet-bench-store-XXXXXX";
    if (!::mkdtemp(dir)) return std::perror("mkdtemp"), 1;
    temp_dir = dir;
    url = "sqlite://" + temp_dir + "/store.db";
  }
  auto store = podnet::store::open_store(url);
  if (!store) {
    fmt::print(stderr, "error: {}\n", store.error().message);
    return 1;
  }
  podnet::svcstore::ServiceStore ss(**store, podnet::cluster::ClusterConfig{});
  std::vector<podnet::cluster::Service> many;
  for (int i = 0; i < count; ++i) {
    podnet::cluster::Service s;
    s.name = fmt::format("bench-{}", i);
    s.selector = {{"app", s.name}};
    s.ports = {{"", podnet::cluster::Protocol::TCP, 80, 8080, 0}};
    many.push_back(std::move(s));
  }
  auto t0 = Clock::now();
  auto created = ss.apply_many(many);
  const double create_ms = ms_since(t0);
  if (!created) {
    fmt::print(stderr, "error: {}\n", created.error().message);
    return 1;
  }
  t0 = Clock::now();
  auto again = ss.apply_many(many);
  const double again_ms = ms_since(t0);
  if (!again) {
    fmt::print(stderr, "error: {}\n", again.error().message);
    return 1;
  }
  fmt::print("store {}\n", url);
  fmt::print("apply_many of {} new Services: {:.0f} ms, {} created, {} transactions\n", count,
             create_ms, created->created, created->transactions);
  fmt::print("apply_many of the same {} again: {:.0f} ms, {} unchanged, {} transactions\n", count,
             again_ms, again->unchanged, again->transactions);
  store->reset();
  std::error_code ignored;
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir, ignored);
  return 0;
}
