#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Puts the few kernel C sources the benchmark peer (tools/kpeer, crate tyr-kpeer) compiles under build/kpeer/linux:
# drm_gpuvm.c, io-pgtable-arm.c, lib/rbtree.c and the self-contained headers they include, taken from Debian's
# linux-source-6.12 package (bookworm-backports), fetched the way scripts/fetch-uapi-headers.sh fetches linux-libc-dev:
# a private apt configuration under build/kpeer/apt pointing at the mirror the machine already uses. Nothing of the
# kernel is committed; `cargo build -p tyr-kpeer` compiles these files when they are present and reports the peer as
# unavailable otherwise. Does nothing when the sources are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/kpeer/linux
files=(
	drivers/gpu/drm/drm_gpuvm.c
	drivers/iommu/io-pgtable-arm.c
	drivers/iommu/io-pgtable-arm.h
	lib/rbtree.c
	include/drm/drm_gpuvm.h
	include/linux/io-pgtable.h
	include/linux/rbtree.h
	include/linux/rbtree_types.h
	include/linux/rbtree_augmented.h
	include/linux/interval_tree_generic.h
)
have=1
for f in "${files[@]}"; do [ -f "$dest/$f" ] || have=0; done
[ "$have" = 1 ] && exit 0

# The machine's Debian mirror, from its deb822 or one-line sources.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
	mirror=$(awk '$1 == "deb" && $0 ~ /debian/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { echo "fetch-kernel-peer: no Debian mirror found in /etc/apt" >&2; exit 1; }

apt=$PWD/build/kpeer/apt
rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
	-o "Dir::Cache=$apt/cache" -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q)
apt-get "${opts[@]}" update >/dev/null
(cd "$apt/deb" && apt-get "${opts[@]}" download linux-source-6.12/bookworm-backports >/dev/null)
deb=$(ls "$apt"/deb/linux-source-6.12_*.deb)
tarball=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E '/usr/src/linux-source-6\.12\.tar\.xz$')
[ -n "$tarball" ] || { echo "fetch-kernel-peer: $deb has no source tarball" >&2; exit 1; }
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
# Only the listed files leave the tarball (the tarball's top directory is stripped).
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" | xz -dc |
	tar -x -C "$dest.tmp" --strip-components=1 "${files[@]/#/linux-source-6.12/}"
for f in "${files[@]}"; do
	[ -f "$dest.tmp/$f" ] || { echo "fetch-kernel-peer: $deb lacks $f" >&2; exit 1; }
done
rm -rf "$dest" && mv "$dest.tmp" "$dest"
rm -rf "$apt/deb"
echo "kernel peer sources: $(basename "$deb") -> $dest"
