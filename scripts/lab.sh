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

# Services: the deployment behind one NodePort Service, reached from the outside host through
# every node's address and from a pod through the ClusterIP.
if "$CTL" expose --help >/dev/null 2>&1; then
  run expose deployment web --port 80 --type NodePort
  echo; run get services -o wide
  echo; run get endpoints
  echo
  svc_ip=$("$CTL" get services web | awk 'NR == 2 { print $3 }')
  node_port=$("$CTL" get services web | awk 'NR == 2 { split($5, p, "[:/]"); print p[2] }')
  # The proxy programs the Service on every node within moments: wait until the first answers.
  first_ip=$("$CTL" get nodes -o wide | awk 'NR == 2 { print $2 }')
  for _ in $(seq 50); do
    "$CTL" exec --ext -- curl -s -m 1 -o /dev/null "http://$first_ip:$node_port" && break
    sleep 0.2
  done
  while read -r node ip; do
    echo "\$ podnetctl exec --ext -- curl -s http://$ip:$node_port      # NodePort on $node, from outside"
    if ! "$CTL" exec --ext -- curl -s -m 5 "http://$ip:$node_port"; then
      echo "lab.sh: no answer through NodePort $node_port on $node ($ip)" >&2
      fails=$((fails + 1))
    fi
    echo
  done < <("$CTL" get nodes -o wide | awk 'NR > 1 { print $1, $2 }')
  pod=$("$CTL" get pods | awk 'NR == 2 { print $1 }')
  for _ in 1 2 3; do
    echo "\$ podnetctl exec $pod -- curl -s http://$svc_ip      # ClusterIP, from a pod"
    if ! "$CTL" exec "$pod" -- curl -s -m 5 "http://$svc_ip"; then
      echo "lab.sh: no answer through ClusterIP $svc_ip from $pod" >&2
      fails=$((fails + 1))
    fi
    echo
  done
  ((fails == 0)) || { echo "lab.sh: $fails Service requests failed" >&2; exit 1; }
fi

# The picture of the cluster as it is now, beside the lab's other files.
svg=/run/podnet-lab/podnet/cluster.svg  # the lab's directory (podnetctl's default lab "podnet")
echo "\$ podnetctl graph $svg"
"$CTL" graph "$svg" && echo "the cluster's picture: $svg (podnetctl graph -o dot for its DOT text)"
echo
echo "the lab is up: 'make lab-down' (or $CTL lab down) removes it"
# The README's commands say `podnetctl ...`: tell how to get it on the PATH when it is not.
ctl_dir=$(cd "$(dirname "$CTL")" && pwd)
if on_path=$(command -v podnetctl); then
  cmp -s "$on_path" "$CTL" ||
    echo "note: the podnetctl on your PATH ($on_path) is not this build's; 'make install' updates it"
else
  echo "podnetctl is not on your PATH; either run 'make install' (podnetctl and podnetd to"
  echo "/usr/local/bin, the CNI plugins to /opt/cni/bin), or for this shell:"
  echo "  export PATH=$ctl_dir:\$PATH"
fi
echo "bash completion of its commands and of the lab's names: source <(podnetctl completion bash)"
