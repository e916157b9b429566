#!/usr/bin/env bash
# Makes the `debian-base:bookworm` image the voting app builds FROM: debootstraps Debian
# bookworm (scripts/make-debian-base.sh, mirror from the host's apt sources) and imports the
# rootfs into the daemon at BERTH_HOST (or DOCKER_HOST with BERTH_CLI=docker).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# BERTH_CLI may be a command with arguments (e.g. "node --import tsx src/cli/run.ts").
read -r -a cli <<< "${BERTH_CLI:-$root/bin/berth}"
if "${cli[@]}" image inspect debian-base:bookworm >/dev/null 2>&1; then
  echo "debian-base:bookworm exists"
  exit 0
fi
bash "$root/scripts/make-debian-base.sh" >&2
"${cli[@]}" import "$root/fixtures/out/debian-rootfs.tar" debian-base:bookworm
