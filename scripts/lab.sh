#!/usr/bin/env bash
# The lab walkthrough (make lab / make lab-down): a 3-node lab, a 3-replica deployment, the nodes
# and pods, then every pod answering over HTTP from a node that is not its own.
#   scripts/lab.sh up|down     BUILD=build LAB_NODES=3 LAB_STORE=sqlite|etcd LAB_BACKEND=vxlan|host-gw
set -euo pipefail
BUILD=${BUILD:-build}
CTL="$BUILD/apps/podnetctl/podnetctl"
[[ -x $CTL ]] || { echo "lab.sh: $CTL not built (run make build)" >&2; exit 1; }

run() { echo "\$ podnetctl $*"; "$CTL" "$@"; }

case "${1:-up}" in
  down) run lab down; exit ;;
  up) ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

run lab up --nodes "${LAB_NODES:-3}" --store "${LAB_STORE:-sqlite}" --backend "${LAB_BACKEND:-vxlan}"
if ! "$CTL" create --help 2>/dev/null | grep -q deployment; then
  echo "lab.sh: this podnetctl has no workload commands yet; the lab is up without pods"
  run get nodes -o wide
  exit 0
fi
run create deployment web --replicas 3
echo; run get nodes -o wide
echo; run get pods -o wide
echo
nodes=$("$CTL" get nodes | awk 'NR > 1 { print $1 }')
fails=0
# get pods -o wide: NAME READY STATUS RESTARTS AGE IP NODE
while read -r pod ip node; do
  from=$(printf '%s\n' $nodes | grep -vx "$node" | head -n1)
  from=${from:-$node}
  echo "\$ podnetctl exec --node $from -- curl -s http://$ip      # $pod on $node"
  if ! "$CTL" exec --node "$from" -- curl -s -m 5 "http://$ip"; then
    echo "lab.sh: no answer from $pod ($ip on $node) via $from" >&2
    fails=$((fails + 1))
  fi
  echo
done < <("$CTL" get pods -o wide | awk 'NR > 1 { print $1, $6, $7 }')
((fails == 0)) || { echo "lab.sh: $fails pods did not answer" >&2; exit 1; }
echo "the lab is up: 'make lab-down' (or $CTL lab down) removes it"
