#!/usr/bin/env bash
# The one run command: installs what is missing, then runs the reference center's demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
ccsdk_install_system_packages

help=$(cargo run --quiet --release --locked --bin ccd -- --help)
if grep -qE '^\s+demo\b' <<<"$help"; then
  exec cargo run --quiet --release --locked --bin ccd -- demo "$@"
fi

# The center (cc-center and `ccd demo`) is not built yet: show what exists instead.
echo "ccd demo arrives with the center (IVR -> queue -> agent -> recorded call)."
echo "Until then, this runs what exists:"
echo
cargo run --quiet --release --locked --bin ccd -- version
echo
echo "== a call over the loopback trunk, its contact record and events =="
cargo run --quiet --release --locked --example loopback_call
