#!/bin/sh
# Install the Debian packages tlsharness needs, only those missing.
#   sh ci/deps.sh          install (apt-get update first)
#   sh ci/deps.sh --quiet  the same, silent when nothing is missing
set -eu
PKGS="gcc make pkg-config perl jq clang-format openssl libssl-dev libjansson-dev libnghttp2-dev libgnutls28-dev gnutls-bin libmbedtls-dev libwolfssl-dev libnss3-dev yamllint chromium"
# libcurl, both flavours: the OpenSSL one's header, and the GnuTLS one's library (dlopen)
PKGS="$PKGS libcurl4-openssl-dev libcurl4 libcurl3-gnutls curl"
# the real servers of the fixtures (fixture:NAME); tests skip those not installed
PKGS="$PKGS nginx-light lighttpd lighttpd-mod-openssl lighttpd-mod-gnutls lighttpd-mod-mbedtls lighttpd-mod-wolfssl lighttpd-mod-nss caddy"
# the load tools the load benchmark compares against (tests/bench/load.sh)
PKGS="$PKGS wrk nghttp2-client"
# the toolchains of the shims (backends/shims): Go crypto/tls, Java JSSE
PKGS="$PKGS golang-go openjdk-17-jdk-headless"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    [ "${1:-}" = "--quiet" ] || echo "deps: all present:$PKGS" | tr -s ' '
    exit 0
fi
echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: not root and no sudo; run as root: apt-get install$missing" >&2; exit 2; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
