#!/usr/bin/env bash
# Builds podnet's libFuzzer targets with clang in build-fuzz/ and runs each for a bounded
# time, one after another. Exits non-zero if any target crashed (or failed to build).
#
#   FUZZ_SECONDS=60      time per target (-max_total_time)
#   FUZZ_TARGETS="..."   subset to run (default: all of fuzz/CMakeLists.txt's targets)
#   FUZZ_CXX=clang++     compiler; FUZZ_BUILD=build-fuzz build directory
#   FUZZ_ARGS="..."      extra libFuzzer flags
#
# Seeds are read from fuzz/corpus/<target>/ (never written); what a run discovers goes to
# build-fuzz/corpus/<target>/ and is reused by the next run. Crashing inputs land in
# build-fuzz/crashes/ as <target>-crash-<sha1> (also leak-, timeout-, oom-); reproduce one
# with `build-fuzz/fuzz/<target> <file>`, then add it to tests/fuzz_regressions/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
cxx=${FUZZ_CXX:-clang++}
jobs=${FUZZ_BUILD_JOBS:-$(nproc)}

if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx not found (make deps installs clang)" >&2
  exit 1
fi

mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPODNET_FUZZ=ON -DPODNET_TESTS=OFF -DPODNET_BENCH=OFF >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; echo "fuzz: configure failed" >&2; exit 1; }
# The targets this configuration has (a library left out of it skips its fuzzers).
mapfile -t configured <"$build/fuzz/targets.txt"
read -r -a targets <<<"${FUZZ_TARGETS:-${configured[*]}}"
for t in "${targets[@]}"; do
  if [[ " ${configured[*]} " != *" $t "* ]]; then
    echo "fuzz: unknown or unconfigured target '$t' (have: ${configured[*]})" >&2
    exit 1
  fi
done
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

mkdir -p "$build/crashes"
failed=()
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  work="$build/corpus/$t"
  mkdir -p "$work"
  dict=()
  case $t in
    fuzz_netconf | fuzz_prev_result | fuzz_ipam_config) dict=(-dict=fuzz/dict/cni_json.dict) ;;
    fuzz_env) dict=(-dict=fuzz/dict/env.dict) ;;
    fuzz_ip) dict=(-dict=fuzz/dict/ip.dict) ;;
    fuzz_ipam_records) dict=(-dict=fuzz/dict/records.dict) ;;
  esac
  log="$build/$t.log"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  set +e
  # shellcheck disable=SC2086
  "$bin" "$work" "fuzz/corpus/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  summary+=("$t: rc=$rc runs=${runs:-?} exec/s=${rate:-?}")
  if ((rc != 0)); then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $rc); last lines of $log:" >&2
    grep -E -A1 'FUZZ_CHECK failed|ERROR: |runtime error|SUMMARY|Test unit written' "$log" |
      grep -vE '^(--|    #)' | tail -12 >&2 || tail -30 "$log" >&2
  fi
done

printf 'fuzz: %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: crashed: ${failed[*]} (inputs in $build/crashes/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
