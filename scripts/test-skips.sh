#!/usr/bin/env bash
# Skipped tests must not pass silently. After each ctest run:
#   test-skips.sh collect BUILD LABEL   appends the run's skipped tests (from ctest's
#                                       Testing/Temporary/LastTest.log) with gtest's reason
#   test-skips.sh report BUILD          prints them; under CI (CI=true) any skipped
#                                       integration test fails the run (exit 1)
# A test counts as skipped when its output has gtest's "[  SKIPPED ]" line.
set -euo pipefail
mode=${1:?collect|report} build=${2:?build dir}
list="$build/skipped-tests.txt"
case "$mode" in
  collect)
    label=${3:?label}
    log="$build/Testing/Temporary/LastTest.log"
    [[ -f $log ]] || exit 0
    # Per test: "N/M Test: NAME" ... "Output:" ... "<end of output>"; the reason is the line
    # after gtest's "file:line: Skipped".
    awk -v label="$label" '
      /^[0-9]+\/[0-9]+ Test: / { name = $0; sub(/^[0-9]+\/[0-9]+ Test: /, "", name); skipped = 0; why = ""; next }
      /: Skipped$/ { want = 1; next }
      want { why = $0; want = 0 }
      /\[  SKIPPED \]/ { skipped = 1 }
      /^<end of output>/ { if (skipped && name != "") printf "%s\t%s\t%s\n", label, name, (why == "" ? "no reason given" : why); name = "" }
    ' "$log" >> "$list"
    ;;
  report)
    [[ -s $list ]] || { echo "test-skips: no test was skipped"; exit 0; }
    n=$(wc -l < "$list")
    echo "test-skips: $n skipped test(s):"
    awk -F'\t' '{ printf "  [%s] %s: %s\n", $1, $2, $3 }' "$list"
    if [[ ${CI:-} == true ]] && grep -q '^integration' "$list"; then
      echo "test-skips: CI=true and integration tests were skipped: failing the run" >&2
      exit 1
    fi
    ;;
  *) echo "usage: $0 collect BUILD LABEL | report BUILD" >&2; exit 2 ;;
esac
