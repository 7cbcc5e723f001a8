#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Builds Mesa's panvk (the Vulkan driver for Mali CSF GPUs), unmodified, from the `mesa` source package of Debian's
# bookworm-backports, into build/panvk. Only the Vulkan panfrost driver is configured: no Gallium, no GL/EGL/GLX/GBM,
# no window-system platform, no LLVM.
#
# Where things come from, all through the package registries' own clients:
# - the source: a private apt configuration under build/mesa-apt (the machine's Debian mirror, bookworm-backports
#   deb-src) resolves the package; its upstream tarball (`*.orig.tar.xz`) is downloaded by apt's own helper, which
#   checks it against the SHA-256 that the signed Sources index lists. Only the upstream tarball is used: some
#   mirrors do not serve the `.dsc`/`.debian.tar.xz` of a backport, so panvk is built as Mesa released it;
# - meson (Debian bookworm's 1.0 is older than Mesa 25 requires), mako, PyYAML and packaging: pinned versions from
#   PyPI, installed by pip into a virtualenv under build/mesa-venv;
# - the C build dependencies: Debian packages, installed by `make panvk-deps` when missing.
#
# Nothing is installed outside build/. A second run with the same version finds build/panvk/.stamp and only prints
# where the ICD manifest is. The last line of output is always `panvk ICD: <path>`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

pkg=mesa
suite=bookworm-backports
# The upstream version the rest of the tree was checked against (Documentation/testing.md). Override with MESA_VERSION
# at your own risk.
want_version=${MESA_VERSION:-25.0.7}
prefix=$root/build/panvk
icd=$prefix/share/vulkan/icd.d/panfrost_icd.$(uname -m).json
stamp=$prefix/.stamp

# Assertions stay on (b_ndebug=false): panvk asserts on what the kernel returns in places (GROUP_DESTROY,
# TILER_HEAP_DESTROY and VM_DESTROY succeed, GPU_INFO's THREAD_* fields are non-zero, a syncobj destroy succeeds),
# which makes it a stricter client of Tyr. The ICD path in the stamp check below must match meson's naming
# (`panfrost_icd.<cpu>.json`).
meson_opts=(
	--prefix="$prefix" --libdir=lib --buildtype=release -Db_ndebug=false
	-Dvulkan-drivers=panfrost -Dgallium-drivers= -Dplatforms= -Dllvm=disabled
	-Dopengl=false -Dgles1=disabled -Dgles2=disabled -Degl=disabled -Dglx=disabled -Dgbm=disabled
	-Dglvnd=disabled -Dshared-glapi=disabled -Dvideo-codecs= -Dvulkan-layers= -Dtools= -Dbuild-tests=false
	-Dvalgrind=disabled -Dlibunwind=disabled -Dlmsensors=disabled -Dzstd=disabled -Dexpat=disabled
	-Dxmlconfig=disabled -Dperfetto=false -Dshader-cache=disabled -Dandroid-libbacktrace=disabled
)
# What a finished build was made from: the version and the options (a change of either rebuilds).
config="$want_version ${meson_opts[*]}"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$config" ] && [ -f "$icd" ]; then
	echo "panvk ICD: $icd"
	exit 0
fi

start=$(date +%s)

# 1. The source tarball, through a private apt configuration (the same mirror the machine uses).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
	mirror=$(awk '$1 == "deb" && $0 ~ /debian/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { echo "build-panvk: no Debian mirror found in /etc/apt" >&2; exit 1; }

apt=$root/build/mesa-apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
	-o "Dir::Cache=$apt/cache" -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root -q)
apt-get "${opts[@]}" update >/dev/null
# `--print-uris` prints one line per file of the source package: 'URI' NAME SIZE SHA256:HEX (the hash from the Sources
# index, whose InRelease signature apt has just checked).
uris=$(apt-get "${opts[@]}" source --print-uris "$pkg/$suite" 2>/dev/null | grep "^'")
orig_line=$(grep "_${want_version}\.orig\.tar\.xz'" <<<"$uris" || true)
[ -n "$orig_line" ] || {
	echo "build-panvk: $suite's $pkg source has no ${pkg}_${want_version}.orig.tar.xz; it lists:" >&2
	echo "$uris" >&2
	exit 1
}
read -r uri name _size hash <<<"$orig_line"
uri=${uri//\'/}
tarball=$apt/src/$name
if [ ! -f "$tarball" ] || [ "$(sha256sum "$tarball" | cut -d' ' -f1)" != "${hash#SHA256:}" ]; then
	rm -f "$tarball"
	# apt-helper refuses (and deletes) a download whose hash differs from the index's.
	/usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$uri" "$tarball" "$hash" >/dev/null
fi
echo "build-panvk: $name verified ($hash, from the signed $suite Sources index)"

src=$root/build/mesa-src/mesa-$want_version
if [ ! -f "$src/.unpacked" ]; then
	rm -rf "$src" && mkdir -p "$root/build/mesa-src"
	tar -C "$root/build/mesa-src" -xJf "$tarball"
	touch "$src/.unpacked"
fi

# 2. meson and the Python modules Mesa's generators import, pinned, in a virtualenv under build/.
venv=$root/build/mesa-venv
pins=(meson==1.12.1 mako==1.4.3 pyyaml==6.0.4 packaging==26.4)
if [ ! -f "$venv/.pins" ] || [ "$(cat "$venv/.pins")" != "${pins[*]}" ]; then
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
	echo "${pins[*]}" >"$venv/.pins"
fi
export PATH=$venv/bin:$PATH

# 3. Configure (afresh when the version or the options changed) and build only panvk.
bld=$root/build/mesa-build
if [ -f "$bld/.configured" ] && [ "$(cat "$bld/.configured")" = "$config" ]; then
	:
else
	rm -rf "$bld"
	meson setup "$bld" "$src" "${meson_opts[@]}" >"$root/build/mesa-configure.log" 2>&1 || {
		tail -40 "$root/build/mesa-configure.log" >&2
		echo "build-panvk: meson setup failed; the whole log is build/mesa-configure.log" >&2
		exit 1
	}
	echo "$config" >"$bld/.configured"
fi
ninja -C "$bld" -j "${PANVK_JOBS:-$(nproc)}"
rm -rf "$prefix"
meson install -C "$bld" --quiet >/dev/null
[ -f "$icd" ] || { echo "build-panvk: the install has no $icd" >&2; exit 1; }
echo "$config" >"$stamp"
echo "build-panvk: built in $(($(date +%s) - start)) s"
echo "panvk ICD: $icd"
