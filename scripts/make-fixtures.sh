#!/usr/bin/env bash
# Builds the test fixtures from Debian's busybox-static:
#   fixtures/out/busybox-rootfs/      a root filesystem with every busybox applet linked
#   fixtures/out/busybox-rootfs.tar   the same as a reproducible tarball (for import/tests)
# Usage: scripts/make-fixtures.sh [OUT_DIR]
set -euo pipefail
out=${1:-"$(cd "$(dirname "$0")/.." && pwd)/fixtures/out"}
busybox=$(command -v busybox || true)
if [[ -z "$busybox" ]] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  busybox=/bin/busybox
fi
[[ -x "$busybox" ]] || { echo "busybox-static is not installed (apt-get install -y busybox-static)" >&2; exit 1; }

mkdir -p "$out"
root="$out/busybox-rootfs"
rm -rf "$root.tmp" && mkdir -p "$root.tmp"
(
  cd "$root.tmp"
  mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev var/tmp var/log home/user
  chmod 1777 tmp var/tmp
  chmod 700 root
  cp "$busybox" bin/busybox
  # --install -s must run inside the new root, or it would link applets into the host's /bin.
  chroot . /bin/busybox --install -s
  cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
  cat > etc/group <<'G'
root:x:0:
daemon:x:1:
wheel:x:10:user
user:x:1000:
nogroup:x:65534:
G
  chown 1000:1000 home/user
  echo 'hosts: files dns' > etc/nsswitch.conf
)
rm -rf "$root" && mv "$root.tmp" "$root"
tar --sort=name --mtime=@0 --numeric-owner -C "$root" -cf "$out/busybox-rootfs.tar.tmp" .
mv "$out/busybox-rootfs.tar.tmp" "$out/busybox-rootfs.tar"
echo "$out/busybox-rootfs.tar"
