#!/usr/bin/env bash
# create-state.sh - create the PEER cycle document at STATE_KEY from INITIAL_JSON; prints OK on stdout.
# Usage: create-state.sh [-q | --log-level LEVEL] <STATE_KEY> <INITIAL_JSON | - | @FILE>
# INITIAL_JSON is the document itself; - reads it from stdin and @FILE from a file (a document over 128 KiB does not
# fit in one argument). It is validated against the schema and must match its key; an existing key is never overwritten.
# Anything else (-h, a third argument) is a usage error: exit 2, nothing written.
set -uo pipefail
# The directory by parameter expansion, not dirname: one process fewer per call.
here=${BASH_SOURCE[0]%/*}; [ "$here" = "${BASH_SOURCE[0]}" ] && here=.
. "$here/_peer-typed.sh"

usage() { echo "Usage: create-state.sh [-q | --log-level LEVEL] <STATE_KEY> <INITIAL_JSON | - | @FILE>" >&2; }

while [ $# -gt 0 ]; do
  peer_log_option "$@" || { usage; exit 2; }
  [ "$log_shift" -eq 0 ] && break
  shift "$log_shift"
done

if [ $# -gt 2 ]; then
  echo "ERROR: create-state.sh takes STATE_KEY and INITIAL_JSON, got $# arguments" >&2; usage; exit 2
fi
STATE_KEY="${1:-}"
INITIAL_JSON="${2:-}"
if [ -z "$STATE_KEY" ] || [ -z "$INITIAL_JSON" ]; then
  echo "ERROR: STATE_KEY and INITIAL_JSON are required" >&2
  usage
  exit 2
fi
if [[ "$STATE_KEY" == -* ]]; then
  echo "ERROR: '$STATE_KEY' is not a STATE_KEY (create-state.sh takes only -q and --log-level LEVEL)" >&2; usage; exit 2
fi

peer_typed_bin || exit 1
case "$INITIAL_JSON" in
  -) exec "$bin" "${log_options[@]}" create -- "$STATE_KEY" - ;;
  @*)
    file="${INITIAL_JSON#@}"
    if [ ! -f "$file" ] || [ ! -r "$file" ]; then
      echo "ERROR: $STATE_KEY: cannot read the document file '$file'" >&2; exit 2
    fi
    exec "$bin" "${log_options[@]}" create -- "$STATE_KEY" "$file" ;;
  *) printf '%s' "$INITIAL_JSON" | "$bin" "${log_options[@]}" create -- "$STATE_KEY" - ;;
esac
