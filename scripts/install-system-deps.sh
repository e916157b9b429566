#!/usr/bin/env bash
# Installs every system package berth needs on Debian 12, as root:
#  - what berthd uses at run time: runc (crun when the host allows), conmon, iptables, iproute2,
#    tini/catatonit for --init, zstd for zstd layers, util-linux/mount, cgroupfs-mount;
#  - what the tests and fixtures use: busybox-static, debootstrap, skopeo, tmux, file, strace,
#    e2fsprogs (mkfs.ext4, chattr, lsattr, dumpe2fs);
#  - real peers the interop tests and benchmarks compare against: docker.io (dockerd 20.10),
#    docker-registry, docker-compose, etcd-server, rsyslog.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then echo "run as root" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  runc crun conmon cgroupfs-mount iptables iproute2 tini catatonit zstd util-linux kmod procps psmisc
  busybox-static debootstrap skopeo tmux file strace e2fsprogs ca-certificates curl openssl
  docker.io docker-registry docker-compose etcd-server rsyslog
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update
  # policy-rc.d keeps package scripts from starting services (dockerd, registry, etcd) here:
  # tests start their own instances on their own sockets.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
if ! node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 16) ? 0 : 1)' 2>/dev/null; then
  echo "berth needs Node.js 20.16 or newer (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# crun refuses a hybrid cgroup host whose v2 hierarchy still holds a controller ("cgroups in
# hybrid mode not supported, drop all controllers from cgroupv2"): hosts that mount only some
# controllers as v1 leave the rest (hugetlb here) on v2. Debian's cgroupfs-mount mounts every
# enabled controller as its own v1 hierarchy, as a hybrid host normally has it; runc and
# dockerd work the same either way.
if [[ -n $(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null) ]]; then
  cgroupfs-mount
fi
