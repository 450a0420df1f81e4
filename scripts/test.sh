#!/usr/bin/env bash
# The one test command: installs what is missing, then runs every check and test.
# Idempotent; runnable as root on a fresh machine. Ends with the test runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh

step() { echo; echo "==> $*"; }
started=$(date +%s)

step "system packages"
ccsdk_install_system_packages

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# cc-sip's optional features (tls, rsip) are off in the workspace run.
cargo clippy -p cc-sip --all-targets --all-features --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
RUSTDOCFLAGS="-D warnings" cargo doc -p cc-sip --no-deps --all-features --locked

step "benchmarks build"
cargo bench --workspace --no-run --locked

step "examples run"
cargo run --quiet --locked --example loopback_call >/dev/null
cargo run --quiet --locked --example virtual_center >/dev/null
cargo run --quiet --locked -p cc-sip --features tls --example tls_call >/dev/null

step "doc tests"
cargo test --workspace --doc --locked
cargo test -p cc-sip --all-features --doc --locked

step "python package (bindings/python): venv, pip install, pytest"
py_started=$(date +%s)
py_venv=target/py-venv
[[ -x $py_venv/bin/python ]] || python3 -m venv "$py_venv"
py_pip=("$py_venv/bin/pip" install --quiet --disable-pip-version-check)
"${py_pip[@]}" "pytest>=7,<9"
# Builds libcc_ffi in release (cargo build -p cc-ffi --release) and ships it in the package.
"${py_pip[@]}" --force-reinstall --no-deps ./bindings/python
# pytest exits non-zero on a failure, and with 5 when it collected no test: both stop here.
"$py_venv/bin/python" -m pytest -q -p no:cacheprovider bindings/python/tests
"$py_venv/bin/python" examples/python/route_with_policy.py >/dev/null
echo "(python package took $(( $(date +%s) - py_started )) s)"

step "tests"
echo "(checks took $(( $(date +%s) - started )) s so far)"
if command -v cargo-nextest >/dev/null 2>&1; then
  # cc-sip with its optional features (SIP over TLS with openssl as a peer, rsip), then all.
  cargo nextest run -p cc-sip --all-features --locked --no-fail-fast
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test -p cc-sip --all-features --locked --no-fail-fast
  cargo test --workspace --locked --no-fail-fast
fi
