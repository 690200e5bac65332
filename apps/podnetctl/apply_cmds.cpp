// podnetctl apply -f FILE|- and delete -f FILE|-: Services and Deployments from YAML or JSON.
// Services go to the store in one bulk call (svcstore::ServiceStore::apply_many: one listing
// and a few transactions), so a file of 30000 Services applies in seconds; the per-object
// lines are built in one buffer.
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "commands.hpp"
#include "core/documents.hpp"
#include "core/manifest.hpp"
#include "podnet/cluster/deployment.hpp"
#include "podnet/common/unique_fd.hpp"
#include "run.hpp"
#include "service_access.hpp"

namespace podnet::ctl {
namespace {

constexpr size_t max_file_bytes = DocumentLimits{}.max_bytes;

// The whole file ("-": stdin), refusing more than the document limit without reading it all.
Result<std::string> read_input(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return fail_errno(fmt::format("open {}", path));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(path == "-" ? nullptr : f, std::fclose);
  std::string text;
  char buf[1 << 16];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) {
    text.append(buf, n);
    if (text.size() > max_file_bytes)
      return fail(fmt::format("{}: more than the limit of {} bytes", path, max_file_bytes));
  }
  if (std::ferror(f)) return fail_errno(fmt::format("read {}", path));
  return text;
}

// A large file becomes tens of MB of small objects (Services, their stored text, the
// transaction), every page touched for the first time once: on this VM's paravirtualised MMU
// those page faults were a fifth of a 10000-Service apply's CPU. For such a file the heap is
// grown once, kept when freed, and offered to the kernel for transparent huge pages (granted
// where THP is "madvise" or "always"; elsewhere nothing changes but the growth step).
void grow_heap_for(size_t file_bytes) {
  constexpr size_t kHuge = size_t{2} << 20, kFrom = size_t{1} << 20, kMax = size_t{1} << 30;
  if (file_bytes < kFrom) return;
  const size_t bytes = std::min(kMax, file_bytes * 24);  // 10000 Services: 1.5 MB of YAML, 32 MB
  ::mallopt(M_MMAP_THRESHOLD, int(std::min(kMax, bytes + kHuge)));  // from the heap
  ::mallopt(M_TRIM_THRESHOLD, int(std::min(kMax, 2 * bytes)));      // and kept
  auto* before = static_cast<char*>(::sbrk(0));
  void* block = std::malloc(bytes);
  auto* after = static_cast<char*>(::sbrk(0));
  if (block && before != reinterpret_cast<char*>(-1) && after > before) {
    const uintptr_t lo = (uintptr_t(before) + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t hi = uintptr_t(after) & ~(kHuge - 1);
    if (hi > lo) (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  }
  std::free(block);
}

Result<Manifest> read_manifest(const Context& ctx, const std::string& path) {
  const auto ns = usage_or(ctx.namespace_arg());
  auto text = PODNET_TRY(read_input(path));
  grow_heap_for(text.size());
  const std::string what = path == "-" ? "STDIN" : path;
  return manifest_from_text(text, what, ns, ctx.namespace_given());
}

// Create or update one deployment; kubectl's word for what happened.
Result<std::string_view> apply_deployment(store::Store& st, cluster::Deployment d) {
  const auto key = cluster::deployment_key(d.ns, d.name);
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto kv = PODNET_TRY(st.get(key));
    if (!kv) {
      d.created = std::time(nullptr);
      if (PODNET_TRY(st.create(key, cluster::to_json(d).dump())).succeeded) return "created";
      continue;  // created under us: update it
    }
    auto have = cluster::deployment_from_json(nlohmann::json::parse(kv->value, nullptr, false));
    if (have) {
      d.created = have->created;
      if (*have == d) return "unchanged";
    }
    if (PODNET_TRY(st.compare_and_swap(key, cluster::to_json(d).dump(), kv->mod_revision))
            .succeeded)
      return "configured";
  }
  return fail(fmt::format("deployment \"{}\" keeps changing; try again", d.name));
}

Result<int> apply_file(const Context& ctx, const std::string& path) {
  auto m = PODNET_TRY(read_manifest(ctx, path));
  auto access = PODNET_TRY(open_services(ctx));
  std::vector<svcstore::Applied> applied;
  if (!m.services.empty())
    applied = PODNET_TRY(access.services->apply_many(std::move(m.services))).applied;
  std::string out;
  out.reserve(m.order.size() * 32);
  for (const auto& ref : m.order) {
    if (ref.kind == ObjectKind::service) {
      const auto& a = applied[ref.index];
      out += fmt::format("service/{} {}\n", a.service.name, svcstore::to_string(a.action));
    } else {
      const auto& d = m.deployments[ref.index];
      auto word = apply_deployment(*access.store, d);
      if (!word) {
        std::cout << out;
        return fail(word.error());
      }
      out += fmt::format("deployment.apps/{} {}\n", d.name, *word);
    }
  }
  std::cout << out;
  return 0;
}

Result<int> delete_file(const Context& ctx, const std::string& path) {
  auto m = PODNET_TRY(read_manifest(ctx, path));
  auto access = PODNET_TRY(open_services(ctx));
  const std::string what = path == "-" ? "STDIN" : path;
  // Which of the file's Services exist: one listing, then one bulk delete.
  std::set<std::pair<std::string, std::string>> existing;
  if (!m.services.empty())
    for (auto& s : PODNET_TRY(access.services->list("")))
      existing.emplace(std::move(s.ns), std::move(s.name));
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& s : m.services)
    if (existing.contains({s.ns, s.name})) names.emplace_back(s.ns, s.name);
  if (!names.empty()) PODNET_TRY(access.services->remove_many(names));
  std::string out, err;
  auto not_found = [&](std::string_view plural, std::string_view name) {
    err += fmt::format(
        "Error from server (NotFound): error when deleting \"{}\": {} \"{}\" not found\n", what,
        plural, name);
  };
  for (const auto& ref : m.order) {
    if (ref.kind == ObjectKind::service) {
      const auto& s = m.services[ref.index];
      if (existing.erase({s.ns, s.name}))
        out += fmt::format("service \"{}\" deleted\n", s.name);
      else
        not_found("services", s.name);
    } else {
      const auto& d = m.deployments[ref.index];
      if (PODNET_TRY(access.store->del(cluster::deployment_key(d.ns, d.name))))
        out += fmt::format("deployment.apps \"{}\" deleted\n", d.name);
      else
        not_found("deployments.apps", d.name);
    }
  }
  std::cout << out << std::flush;
  std::cerr << err;
  return err.empty() ? 0 : exit_failure;
}

}  // namespace

void add_apply_commands(CLI::App& app, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto* apply = app.get_subcommand("apply");
  apply
      ->add_option("-f,--filename", *file,
                   "YAML or JSON file of Services and Deployments; - "
                   "for stdin")
      ->required();
  apply->callback([&ctx, file] { run_command_rc([&] { return apply_file(ctx, *file); }); });

  auto del_file = std::make_shared<std::string>();
  auto* del = app.get_subcommand("delete");
  del->require_subcommand(0, 1);
  auto* opt = del->add_option("-f,--filename", *del_file, "delete the objects of this file");
  del->callback([&ctx, del, opt, del_file] {
    const bool sub = !del->get_subcommands().empty();
    if (sub && opt->count())
      usage_or(Result<>(fail("-f: give either a file or a resource type and names, not both")));
    if (sub) return;
    if (!opt->count())
      usage_or(Result<>(fail("You must provide one or more resources by argument or filename.")));
    run_command_rc([&] { return delete_file(ctx, *del_file); });
  });
}

}  // namespace podnet::ctl
