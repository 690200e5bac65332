#include "podnet/lab/state_file.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "podnet/common/files.hpp"

namespace podnet::lab {

Result<std::optional<LabState>> load_state(std::string_view lab, std::string_view base_dir) {
  PODNET_TRY_VOID(validate_lab_name(lab));  // the name becomes a path
  const std::string path = lab_paths(lab, base_dir).lab_json();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<LabState>{};
    return fail_errno("stat " + path);
  }
  auto text = PODNET_TRY(read_file(path));
  auto s = parse_state(text);
  if (!s) return fail(s.error().context(path));
  return std::optional<LabState>(std::move(*s));
}

Result<LabState> require_state(std::string_view lab, std::string_view base_dir) {
  auto s = PODNET_TRY(load_state(lab, base_dir));
  if (!s)
    return fail(
        fmt::format("no lab \"{}\" is up (no {})", lab, lab_paths(lab, base_dir).lab_json()));
  return std::move(*s);
}

Result<> save_state(const LabState& s, std::string_view base_dir) {
  return write_file_atomic(lab_paths(s.spec.name, base_dir).lab_json(), to_json(s).dump(2) + "\n",
                           /*durable=*/false);
}

}  // namespace podnet::lab
