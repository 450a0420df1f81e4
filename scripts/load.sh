#!/usr/bin/env bash
# scripts/load.sh: the largest number of concurrent recorded calls (IVR -> queue -> agent,
# RTP both ways, stereo recording) that `ccd` holds on this machine with no failed call,
# and its memory per call. SIPp plays the callers (RFC 4733 DTMF through the menu, then
# audio) and the agents' phones (answer, audio, hang up after HOLD_S).
#
#   scripts/load.sh                      steps of 100 250 500 1000 2000 3000 calls
#   LOAD_STEPS="50 100" HOLD_S=20 scripts/load.sh
#
# Knobs: LOAD_STEPS (concurrency targets, tried in order until one fails), HOLD_S (talk
# time, default 30), RATE (new calls/s, default 100), CCD_BIN (a ccd binary to run instead
# of building this tree's), CCD_CPUS (taskset list for ccd when
# the machine has more cores, e.g. 0-1; SIPp then runs on the others), KEEP=1 keeps the
# work folder. The last line of stdout is the machine-readable summary.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
ccsdk_install_system_packages

LOAD_STEPS=${LOAD_STEPS:-"100 250 500 1000 2000 3000"}
HOLD_S=${HOLD_S:-30}
RATE=${RATE:-100}
CCD_CPUS=${CCD_CPUS:-}
KEEP=${KEEP:-0}

# CCD_BIN runs another build (e.g. an older commit's, to compare in one sitting).
if [[ -n ${CCD_BIN:-} ]]; then
  ccd_bin=$CCD_BIN
else
  cargo build --quiet --release --locked --bin ccd
  ccd_bin=$PWD/target/release/ccd
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/ccd-load.XXXXXX)
cleanup() {
  pkill -f "$work" 2>/dev/null || true
  [[ $KEEP == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

sox -n -r 8000 -c 1 -e u-law "$work/voice.wav" synth 5 sine 440
mkdir -p "$work/prompts/en"
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$work/prompts/en/menu.wav" synth 0.5 sine 600
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$work/prompts/en/hold.wav" synth 3 sine 500
cat > "$work/f.flow" <<'FLOW'
flow load
main {
    menu prompt "menu" timeout 6s retries 1 {
        1 -> enqueue "q" timeout 120s music "hold" else { hangup }
    } else { hangup }
    hangup
}
FLOW

summary_best=0
summary_kb=0
echo "calls  failed  ccd-peak-RSS-MB  KB-per-call  ccd-CPU-s"
for calls in $LOAD_STEPS; do
  step=$work/step-$calls
  mkdir -p "$step"
  sip_port=$(free_port)
  uas_port=$(free_port)
  {
    printf '[center]\ndata_dir = "%s/data"\n[sip]\nlisten = "127.0.0.1:%s"\n' "$step" "$sip_port"
    # Below the ephemeral range (32768+), where free_port picks the SIP ports.
    printf '[rtp]\nport_min = 10000\nport_max = 31999\ntimeout = "120s"\n'
    printf '[prompts]\nroot = "%s/prompts"\nlanguages = ["en"]\ndefault_language = "en"\n' "$work"
    printf '[[tenant]]\nid = "load"\n[[number]]\ndid = "4001"\ntenant = "load"\nflow = "f"\n'
    printf '[[flow]]\nid = "f"\nfile = "%s/f.flow"\ntenant = "load"\n' "$work"
    printf '[[queue]]\nid = "q"\ntenant = "load"\nring_timeout = "20s"\n'
    for ((a = 1; a <= calls + calls / 10 + 5; a++)); do
      printf '[[agent]]\nid = "a%d"\ncontact = "sip:a%d@127.0.0.1:%s"\ntenants = { load = {} }\nauto_login = true\n' "$a" "$a" "$uas_port"
    done
  } > "$step/center.toml"
  sed -e "s|@WAV@|$work/voice.wav|" -e "s|@HOLD_MS@|$((HOLD_S * 1000))|" scripts/load/agent.xml > "$step/agent.xml"
  sed -e "s|@WAV@|$work/voice.wav|" -e "s|@BYE_TIMEOUT_MS@|$(((HOLD_S + 60) * 1000))|" scripts/load/caller.xml > "$step/caller.xml"

  pin=()
  [[ -n $CCD_CPUS ]] && command -v taskset >/dev/null && pin=(taskset -c "$CCD_CPUS")
  "${pin[@]}" "$ccd_bin" --log warn run "$step/center.toml" 2> "$step/ccd.log" &
  ccd_pid=$!
  for _ in $(seq 100); do
    [[ -s $step/data/ccd.db ]] && break
    sleep 0.1
  done
  sleep 0.5
  base_kb=$(rss_kb "$ccd_pid")

  sipp 127.0.0.1:"$sip_port" -sf "$step/agent.xml" -p "$uas_port" -i 127.0.0.1 -nostdin -bg \
    -mp 50000 -timeout $((HOLD_S * 4 + calls / RATE + 120))s \
    -trace_stat -stf "$step/agent.csv" > "$step/agent.out" 2>&1 || true
  sipp 127.0.0.1:"$sip_port" -sf "$step/caller.xml" -s 4001 -i 127.0.0.1 -nostdin \
    -r "$RATE" -l "$calls" -m "$calls" -mp 40000 \
    -timeout $((HOLD_S * 3 + calls / RATE + 120))s -timeout_error \
    -trace_stat -stf "$step/caller.csv" -trace_err -error_file "$step/caller.err" > "$step/caller.out" 2>&1 &
  sipp_pid=$!
  peak_kb=$base_kb
  while kill -0 "$sipp_pid" 2>/dev/null; do
    now_kb=$(rss_kb "$ccd_pid")
    ((now_kb > peak_kb)) && peak_kb=$now_kb
    sleep 1
  done
  wait "$sipp_pid" && sipp_rc=0 || sipp_rc=$?
  failed=$(awk -F';' 'NR==1 {for (i=1;i<=NF;i++) if ($i=="FailedCall(C)") c=i} END {print $c+0}' "$step/caller.csv" 2>/dev/null || echo "?")
  cpu_s=$(awk '{print ($14 + $15) / 100}' "/proc/$ccd_pid/stat" 2>/dev/null || echo "?")
  kill -TERM "$ccd_pid" 2>/dev/null || true
  wait "$ccd_pid" 2>/dev/null || true
  pkill -f "$step/agent.xml" 2>/dev/null || true
  per_call=$(( (peak_kb - base_kb) / calls ))
  printf '%5d  %6s  %15d  %11d  %9s\n' "$calls" "$failed" $((peak_kb / 1024)) "$per_call" "$cpu_s"
  if [[ $sipp_rc != 0 || $failed != 0 ]]; then
    echo "  step $calls failed (SIPp exit $sipp_rc); see $step (KEEP=1 keeps it)" >&2
    break
  fi
  summary_best=$calls
  summary_kb=$per_call
done
echo "load: max_concurrent_recorded_calls=$summary_best kb_per_call=$summary_kb hold_s=$HOLD_S cores=$(nproc)"
