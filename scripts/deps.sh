#!/bin/sh
# deps.sh - installs the Debian packages PairDB needs, and nothing when
# they are all present. Assumes only a minimal Debian 12 with git and make.
#
#   scripts/deps.sh build   compiler and build tools (make run)
#   scripts/deps.sh test    build tools plus everything the tests use (make test)
set -eu

BUILD_PKGS="gcc libc6-dev make pkg-config liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libssl-dev libedit-dev"
TEST_PKGS="python3 python3-pytest python3-redis python3-yaml redis-server redis-tools clang libclang-rt-14-dev valgrind procps prometheus-redis-exporter prometheus libevent-dev libuv1-dev libhiredis-dev"

case "${1:-build}" in
build) want="$BUILD_PKGS" ;;
test) want="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "Installing missing packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "Not root and no sudo: install these packages first:$missing" >&2
        exit 1
    fi
fi
# The redis-server and prometheus packages start their own services on
# install where they can; PairDB's tests never use them (they start their
# own on free ports; prometheus also brings promtool).
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
