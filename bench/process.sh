#!/usr/bin/env bash
# Whole-process cost of one agent step, timed with hyperfine against the local server that setup.sh started:
#   a NativeAOT no-op (peer-typed --version: the same binary, starting and exiting),
#   peer-typed set, update-state.sh, and the seed's script minus its nats calls.
# Usage: bench/process.sh [RUNS]   (needs ./setup.sh first and hyperfine: apt-get install hyperfine; writes bench/results/process.md)
# PEER_TYPED_BIN and PEER_WRAPPERS (a scripts/peer directory) point it at a build that is not installed; NATS_URL at a server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-60}"
command -v hyperfine >/dev/null || { echo "ERROR: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
pt="${PEER_TYPED_BIN:-${AGENT_OS_HOME:-$HOME/.agent-os}/bin/peer-typed}"
wrappers="${PEER_WRAPPERS:-${AGENT_OS_HOME:-$HOME/.agent-os}/scripts/peer}"
key=peer.spec.walcommitter-operation-support.cycle.1
export PEER_BUCKET=bench-process
"$pt" -q bucket init >/dev/null
"$pt" -q get "$key" >/dev/null 2>&1 || "$pt" -q create "$key" tests/fixtures/$key.json
state=$(mktemp)
"$pt" get "$key" --raw > "$state"
mkdir -p bench/results
hyperfine --shell bash --warmup 5 --runs "$runs" --export-markdown bench/results/process.md --export-json bench/results/process.json \
  -n "NativeAOT no-op (peer-typed --version)" "$pt --version >/dev/null" \
  -n "peer-typed set (10.7 KB document)" "PEER_ROLE=planner $pt -q set $key plan.output.estimated_duration \$RANDOM >/dev/null" \
  -n "update-state.sh (10.7 KB document; fast path)" "PEER_ROLE=planner $wrappers/update-state.sh $key '.phases.plan.output.estimated_duration += 1' >/dev/null 2>&1" \
  -n "update-state.sh, libjq without the fast path (PEER_JQ_ENGINE=libjq)" "PEER_JQ_ENGINE=libjq PEER_ROLE=planner $wrappers/update-state.sh $key '.phases.plan.output.estimated_duration += 1' >/dev/null 2>&1" \
  -n "update-state.sh, jq process (PEER_JQ_ENGINE=process)" "PEER_JQ_ENGINE=process PEER_ROLE=planner $wrappers/update-state.sh $key '.phases.plan.output.estimated_duration += 1' >/dev/null 2>&1" \
  -n "seed update-state.sh minus nats" "bench/seed-update-without-nats.sh $state '.phases.plan.output.estimated_duration += 1' >/dev/null 2>&1"
rm -f "$state"
