#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Puts the kernel's own uAPI headers (drm/drm.h, drm/panthor_drm.h) from Debian's linux-libc-dev 6.12 (bookworm-backports)
# under build/uapi/usr/include, for bindgen in drivers/gpu/drm/tyr/build.rs. The system's headers and apt configuration
# are left alone: backports is enabled only in a private apt configuration under build/apt, pointing at the same Debian
# mirror the machine already uses. Does nothing when the headers are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/uapi
want=$dest/usr/include/drm/panthor_drm.h
[ -f "$want" ] && exit 0

# The machine's Debian mirror, from its deb822 or one-line sources.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
	mirror=$(awk '$1 == "deb" && $0 ~ /debian/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { echo "fetch-uapi-headers: no Debian mirror found in /etc/apt" >&2; exit 1; }

apt=$PWD/build/apt
rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
	-o "Dir::Cache=$apt/cache" -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q)
apt-get "${opts[@]}" update >/dev/null
(cd "$apt/deb" && apt-get "${opts[@]}" download linux-libc-dev/bookworm-backports >/dev/null)
deb=$(ls "$apt"/deb/linux-libc-dev_*.deb)
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
[ -f "$dest.tmp/usr/include/drm/panthor_drm.h" ] || { echo "fetch-uapi-headers: $deb has no panthor_drm.h" >&2; exit 1; }
rm -rf "$dest" && mv "$dest.tmp" "$dest"
echo "uAPI headers: $(basename "$deb") -> $dest/usr/include"
