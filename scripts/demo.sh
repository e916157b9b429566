#!/usr/bin/env bash
# The main job: start berthd on its defaults, bring in the busybox image, run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
sock=/run/berth/berth.sock
if ! curl -sf --unix-socket "$sock" http://berth/_ping >/dev/null 2>&1; then
  mkdir -p /var/log/berth
  nohup ./bin/berthd >>/var/log/berth/berthd.log 2>&1 &
  for _ in $(seq 100); do curl -sf --unix-socket "$sock" http://berth/_ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
./bin/berth import -m "busybox from Debian's busybox-static" fixtures/out/busybox-rootfs.tar busybox:latest
./bin/berth images
if ./bin/berth run --help >/dev/null 2>&1; then
  ./bin/berth run --rm busybox echo "hello from a berth container"
fi
