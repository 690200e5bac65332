#!/usr/bin/env bash
# Installs the Debian packages podnet's build, tests, lab and benchmarks need, when missing.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config clang
  libnl-route-3-dev libmnl-dev libnftables-dev libnftnl-dev libnetfilter-conntrack-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev
  libyaml-dev libssl-dev  # podnetctl apply -f (YAML); bench_services (kube-proxy chain-name hashes)
  # podnetctl graph lays out its SVG with libgvc in-process (libgraphviz-dev, its plugins in
  # graphviz); its test renders the SVG to PNG with rsvg-convert (librsvg2-bin)
  libgraphviz-dev graphviz librsvg2-bin
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 iputils-ping netcat-openbsd curl nftables iptables conntrack iperf3 procps psmisc util-linux
  containernetworking-plugins podman runc busybox-static
  etcd-server etcd-client
  # podman builds its pod pause image from catatonit (a Recommends, skipped with
  # --no-install-recommends); the etcd TLS test makes its certificates with openssl.
  catatonit openssl
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then echo "install-deps: need root to apt-get install" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's etcd-server unit would start etcd in the root namespace; tests start their own.
if systemctl is-active --quiet etcd 2>/dev/null; then systemctl disable --now etcd >/dev/null 2>&1 || true; fi
exit 0
