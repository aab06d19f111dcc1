#!/usr/bin/env bash
# Every whole-process target of issue 15 in one run, against the local server that setup.sh started:
#   get ≤ 1.5× and set ≤ 2× the NativeAOT no-op (peer-typed --version); update-state.sh ≤ 1.3× set for the same change
#   and ≥ 3× faster than the seed's jq-only pipeline; read-state.sh ≤ 1.2× get.
# The commands run in ROUNDS rounds of RUNS runs each, one after another within a round, so that a change in the
# machine's load falls on all of them alike; medians over all runs decide. Writes bench/results/ratios.md.
# Usage: bench/ratios.sh [ROUNDS=20] [RUNS=3]   (needs ./setup.sh first and hyperfine: apt-get install hyperfine)
# PEER_TYPED_BIN and PEER_WRAPPERS (a scripts/peer directory) point it at a build that is not installed; NATS_URL at a server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-20}"
runs="${2:-3}"
command -v hyperfine >/dev/null || { echo "ERROR: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
pt="${PEER_TYPED_BIN:-${AGENT_OS_HOME:-$HOME/.agent-os}/bin/peer-typed}"
wrappers="${PEER_WRAPPERS:-${AGENT_OS_HOME:-$HOME/.agent-os}/scripts/peer}"
export PEER_TYPED_BIN="$pt"
key=peer.spec.walcommitter-operation-support.cycle.1
export PEER_BUCKET=bench-ratios
"$pt" -q bucket init >/dev/null
"$pt" -q get "$key" >/dev/null 2>&1 || "$pt" -q create "$key" "tests/fixtures/$key.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$pt" get "$key" --raw > "$work/state.json"

# The same change everywhere: one number in the planner's output, set to a new value each run.
for round in $(seq "$rounds"); do
  hyperfine --shell bash --warmup 1 --runs "$runs" --style none --export-json "$work/round-$round.json" \
    -n "no-op" "$pt --version >/dev/null" \
    -n "get" "$pt -q get $key >/dev/null" \
    -n "read-state.sh" "$wrappers/read-state.sh $key >/dev/null" \
    -n "set" "PEER_ROLE=planner $pt -q set $key plan.output.estimated_duration \$RANDOM >/dev/null" \
    -n "update-state.sh" "PEER_ROLE=planner $wrappers/update-state.sh $key \".phases.plan.output.estimated_duration = \$RANDOM\" >/dev/null 2>&1" \
    -n "seed jq pipeline" "bench/seed-update-without-nats.sh $work/state.json \".phases.plan.output.estimated_duration = \$RANDOM\" >/dev/null 2>&1" \
    >/dev/null
done

mkdir -p bench/results
jq -rs --arg rounds "$rounds" --arg runs "$runs" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '
  [.[].results[]] | group_by(.command)
  | map({key: .[0].command, value: ([.[].times[]] | sort | .[(length / 2 | floor)] * 1000)}) | from_entries as $m
  | def ms(n): ($m[n] * 10 | round / 10 | tostring) + " ms";
    def ratio(a; b): ($m[a] / $m[b] * 100 | round / 100);
    def row(what; a; b; target; ok): "| \(what) | \(ms(a)) / \(ms(b)) | \(ratio(a; b))× | \(target) | \(if ok then "met" else "missed" end) |";
  "Whole-process medians over \($rounds) rounds × \($runs) runs, load average before the run \($load)",
  "",
  "| command | median |", "|---|---:|",
  ($m | to_entries | sort_by(.value) | .[] | "| \(.key) | \(.value * 10 | round / 10) ms |"),
  "",
  "| target | medians | ratio | target | verdict |", "|---|---:|---:|---:|---|",
  row("`get` vs the no-op"; "get"; "no-op"; "≤ 1.5×"; ratio("get"; "no-op") <= 1.5),
  row("`set` vs the no-op"; "set"; "no-op"; "≤ 2×"; ratio("set"; "no-op") <= 2),
  row("`update-state.sh` vs `set`, same change"; "update-state.sh"; "set"; "≤ 1.3×"; ratio("update-state.sh"; "set") <= 1.3),
  row("the seed jq pipeline vs `update-state.sh`"; "seed jq pipeline"; "update-state.sh"; "≥ 3×"; ratio("seed jq pipeline"; "update-state.sh") >= 3),
  row("`read-state.sh` vs `get`"; "read-state.sh"; "get"; "≤ 1.2×"; ratio("read-state.sh"; "get") <= 1.2)
' "$work"/round-*.json | tee bench/results/ratios.md
