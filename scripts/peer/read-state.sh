#!/usr/bin/env bash
# read-state.sh - print the PEER cycle document stored at STATE_KEY (stdout: the JSON; stderr: ERROR lines).
# Usage: read-state.sh <STATE_KEY>
# Drop-in for the Agent OS wrapper; backed by peer-typed, which also checks the stored document against the schema.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_peer-typed.sh"

STATE_KEY="${1:-${STATE_KEY:-}}"
if [ -z "$STATE_KEY" ]; then
  echo "ERROR: STATE_KEY is required as first argument" >&2
  echo "Usage: read-state.sh <STATE_KEY>" >&2
  exit 2
fi

bin=$(peer_typed_bin) || exit 1
exec "$bin" --quiet get "$STATE_KEY"
