#!/usr/bin/env bash
# read-state.sh - print the PEER cycle document stored at STATE_KEY (stdout: the JSON; stderr: ERROR lines).
# Usage: read-state.sh [-q | --log-level LEVEL] <STATE_KEY>      (or STATE_KEY in the environment)
# Drop-in for the Agent OS wrapper; backed by peer-typed, which also checks the stored document against the schema.
# Anything else (-h, a second argument) is a usage error: exit 2, nothing on stdout.
set -uo pipefail
# The directory by parameter expansion, not dirname: one process fewer per call.
here=${BASH_SOURCE[0]%/*}; [ "$here" = "${BASH_SOURCE[0]}" ] && here=.
. "$here/_peer-typed.sh"

usage() { echo "Usage: read-state.sh [-q | --log-level LEVEL] <STATE_KEY>" >&2; }

while [ $# -gt 0 ]; do
  peer_log_option "$@" || { usage; exit 2; }
  [ "$log_shift" -eq 0 ] && break
  shift "$log_shift"
done

if [ $# -gt 1 ]; then
  echo "ERROR: read-state.sh takes one STATE_KEY, got $# arguments" >&2; usage; exit 2
fi
STATE_KEY="${1:-${STATE_KEY:-}}"
if [ -z "$STATE_KEY" ]; then
  echo "ERROR: STATE_KEY is required as first argument" >&2
  usage
  exit 2
fi
if [[ "$STATE_KEY" == -* ]]; then
  echo "ERROR: '$STATE_KEY' is not a STATE_KEY (read-state.sh takes only -q and --log-level LEVEL)" >&2; usage; exit 2
fi

peer_typed_bin || exit 1
# A read logs nothing worth seeing at info; quiet unless the caller chose a level (flag or PEER_LOG_LEVEL).
if [ ${#log_options[@]} -eq 0 ] && [ -z "${PEER_LOG_LEVEL:-}" ]; then log_options=(--quiet); fi
exec "$bin" "${log_options[@]}" get -- "$STATE_KEY"
