#!/usr/bin/env bash
# Install the Debian packages the project needs, only those missing, so a
# second run costs one dpkg query.  Needs root (or sudo) the first time.
set -euo pipefail

packages=(
    # userspace build and tests
    meson ninja-build pkg-config g++ ccache
    libgtest-dev libbenchmark-dev libjemalloc-dev libssl-dev openssl libsodium-dev
    nlohmann-json3-dev
    clang-format clang-tidy
    # libFuzzer targets (make fuzz): clang and its runtimes
    clang libclang-rt-14-dev
    # kernel series and the VM that boots it
    linux-source-6.12 flex bison bc libelf-dev cpio busybox-static qemu-system-x86
    e2fsprogs libcap-dev libnuma-dev liburing-dev
    python3 python3-matplotlib
    # the real servers the tests attack (tests/servers), and their client
    nginx apache2 haproxy curl
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "secretmem: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
        echo "secretmem: run as root, or install: ${missing[*]}" >&2
        exit 1
    }
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# The servers are for the tests, which start their own: keep their packages
# from starting system services (nginx and Apache would both take port 80),
# unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
