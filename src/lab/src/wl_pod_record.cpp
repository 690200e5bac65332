#include "wl_pod_record.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "podnet/common/json_bounded.hpp"
#include "podnet/common/files.hpp"

namespace podnet::lab::wl {

using nlohmann::json;

std::string record_path(const std::string& dir, const PodRef& ref) {
  return fmt::format("{}/{}_{}.json", dir, ref.ns, ref.name);
}

namespace {

json proc_json(const ProcId& p) {
  return {{"pid", p.pid}, {"start", p.start}};
}
ProcId proc_from(const json& j) {
  return ProcId{j.value("pid", 0), j.value("start", uint64_t(0))};
}

}  // namespace

Result<> save_record(const std::string& dir, const PodRecord& r) {
  PODNET_TRY_VOID(make_dirs(dir, 0755));
  json j = {{"namespace", r.ref.ns},
            {"name", r.ref.name},
            {"uid", r.ref.uid},
            {"containerID", r.container_id},
            {"netns", r.netns},
            {"pause", proc_json(r.pause)},
            {"container", proc_json(r.container)},
            {"cniAdded", r.cni_added},
            {"cniResult", r.cni_result},
            {"port", r.port},
            {"restarts", r.restarts}};
  if (r.ip) j["ip"] = r.ip->str();
  return write_file_atomic(record_path(dir, r.ref), j.dump(), false);
}

void remove_record(const std::string& dir, const PodRef& ref) {
  std::error_code ec;
  std::filesystem::remove(record_path(dir, ref), ec);
}

std::vector<PodRecord> load_records(const std::string& dir, std::vector<std::string>& errors) {
  std::vector<PodRecord> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto path = e.path().string();
    if (e.path().extension() != ".json") continue;
    auto text = read_file(path);
    if (!text) {
      errors.push_back(text.error().message);
      continue;
    }
    auto parsed = parse_json_bounded(*text, json_default_max_depth, json_default_max_bytes,
                                     fmt::format("pod record {}", path));
    if (!parsed) {
      errors.push_back(parsed.error().message);
      continue;
    }
    json& j = *parsed;
    try {
      if (!j.is_object()) throw std::runtime_error("not a JSON object");
      PodRecord r;
      r.ref = PodRef{j.at("namespace").get<std::string>(), j.at("name").get<std::string>(),
                     j.at("uid").get<int64_t>()};
      r.container_id = j.at("containerID").get<std::string>();
      r.netns = j.at("netns").get<std::string>();
      r.pause = proc_from(j.at("pause"));
      r.container = proc_from(j.at("container"));
      r.cni_added = j.value("cniAdded", false);
      r.cni_result = j.value("cniResult", json());
      r.port = j.value("port", uint16_t(80));
      r.restarts = j.value("restarts", int64_t(0));
      if (j.contains("ip")) r.ip = net::IpAddress::parse(j["ip"].get<std::string>());
      out.push_back(std::move(r));
    } catch (const std::exception& ex) {  // nlohmann's typed getters throw on a wrong shape
      errors.push_back(fmt::format("pod record {}: {}", path, ex.what()));
    }
  }
  return out;
}

}  // namespace podnet::lab::wl
