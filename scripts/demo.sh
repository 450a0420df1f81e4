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
run() { echo; echo "== $1"; shift; "$@"; }
ccd=(cargo run --quiet --release --locked --bin ccd --)
run "the layers" "${ccd[@]}" version
run "check the IT hotline's IVR flow" "${ccd[@]}" ivr check examples/flows/it_hotline.flow \
  --env examples/flows/it_hotline.env.toml
run "24 scripted callers through the hotline, with coverage" "${ccd[@]}" ivr test \
  examples/flows/it_hotline.flow examples/flows/it_hotline.test --min-branch-coverage 100
run "one simulated day of routing: 12 agents, 200 calls/h, 3 min handle time (vs Erlang C)" \
  cargo run --quiet --release --locked --example acd_sim -- --agents 12 --calls-per-hour 200 \
  --aht 180 --hours 24 --seed 1 --json
run "12 callers through the hotline IVR into the ACD's queues, on virtual time" \
  cargo run --quiet --release --locked --example virtual_center
run "a call over the loopback trunk, its contact record and events" \
  cargo run --quiet --release --locked --example loopback_call
