#!/usr/bin/env bash
# Debootstraps Debian bookworm (minbase) into fixtures/out/debian-rootfs and tars it as
# fixtures/out/debian-rootfs.tar, for `docker import` as `debian-base`. The mirror comes from
# the host's apt configuration (/etc/apt/sources.list.d/debian.sources), never a fixed host.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fixtures/out"
rootfs="$out/debian-rootfs"
tarball="$out/debian-rootfs.tar"
[ -s "$tarball" ] && { echo "$tarball exists"; exit 0; }
sources=/etc/apt/sources.list.d/debian.sources
mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$sources" 2>/dev/null || true)"
[ -n "$mirror" ] || { echo "no Debian mirror found in $sources" >&2; exit 1; }
mkdir -p "$out"
rm -rf "$rootfs"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "$tarball"
