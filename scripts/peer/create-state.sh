#!/usr/bin/env bash
# create-state.sh - create the PEER cycle document at STATE_KEY from INITIAL_JSON; prints OK on stdout.
# Usage: create-state.sh <STATE_KEY> <INITIAL_JSON>
# The document is validated against the schema and must match its key; an existing key is never overwritten.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_peer-typed.sh"

STATE_KEY="${1:-}"
INITIAL_JSON="${2:-}"
if [ -z "$STATE_KEY" ] || [ -z "$INITIAL_JSON" ]; then
  echo "ERROR: STATE_KEY and INITIAL_JSON are required" >&2
  echo "Usage: create-state.sh <STATE_KEY> <INITIAL_JSON>" >&2
  exit 2
fi

bin=$(peer_typed_bin) || exit 1
printf '%s' "$INITIAL_JSON" | "$bin" create "$STATE_KEY" -
