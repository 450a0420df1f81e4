#!/usr/bin/env bash
# The one run command: installs what is missing, then runs the reference center's demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
ccsdk_install_system_packages

# The demo center: two tenants, IVR, three queues, eight simulated agents and simulated
# callers as real SIP user agents sending RTP on 127.0.0.1; a live wallboard, then a
# summary (`--seconds N`, `--json`, `--data-dir DIR`).
exec cargo run --quiet --release --locked --bin ccd -- demo "$@"
