#!/usr/bin/env bash
# Per CLI call: `peer-typed set` on the 10.7 KB document written directly vs through a running `peer-typed gate`,
# run alternately (direct, gate, direct, …) against one private nats-server on a free loopback port.
# Usage: bench/gate-process.sh [RUNS]   PEER_TYPED_BIN picks the binary (default: the NativeAOT build in
# artifacts/peer-typed, else the Release build). Prints medians and the ratio; writes bench/results/gate-process.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-30}"
pt="${PEER_TYPED_BIN:-}"
[ -z "$pt" ] && [ -x artifacts/peer-typed/peer-typed ] && pt=artifacts/peer-typed/peer-typed
[ -z "$pt" ] && pt=src/PeerTyped.Cli/bin/Release/net10.0/peer-typed
key=peer.spec.walcommitter-operation-support.cycle.1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
store=$(mktemp -d)
nats-server -js -a 127.0.0.1 -p "$port" -sd "$store" >/dev/null 2>&1 &
server=$!
gate=""
cleanup() { [ -n "$gate" ] && kill "$gate" 2>/dev/null; kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$store"; }
trap cleanup EXIT
export NATS_URL="nats://127.0.0.1:$port" PEER_BUCKET=bench-gate PEER_ROLE=planner
for _ in $(seq 50); do "$pt" -q bucket init >/dev/null 2>&1 && break; sleep 0.1; done
"$pt" -q create "$key" "tests/fixtures/$key.json" --as operator >/dev/null
"$pt" gate 2>/dev/null &
gate=$!
for _ in $(seq 100); do "$pt" -q --gate on set "$key" plan.output.estimated_duration 1 >/dev/null 2>&1 && break; sleep 0.1; done
now() { date +%s%N; }
direct=(); through=()
for i in $(seq "$runs"); do
  t=$(now); "$pt" -q --gate off set "$key" plan.output.estimated_duration $((2 * i)) >/dev/null; direct+=($(( ($(now) - t) / 1000 )))
  t=$(now); "$pt" -q --gate on set "$key" plan.output.estimated_duration $((2 * i + 1)) >/dev/null; through+=($(( ($(now) - t) / 1000 )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
d=$(median "${direct[@]}"); g=$(median "${through[@]}")
ratio=$(awk -v g="$g" -v d="$d" 'BEGIN { printf "%.2f", g / d }')
mkdir -p bench/results
{
  echo "| peer-typed set, $runs runs each, alternating ($pt) | median |"
  echo "|---|---:|"
  echo "| --gate off (direct) | $((d / 1000)).$(printf '%03d' $((d % 1000))) ms |"
  echo "| --gate on (through the gate) | $((g / 1000)).$(printf '%03d' $((g % 1000))) ms |"
  echo "| ratio | $ratio |"
} | tee bench/results/gate-process.md
