#!/usr/bin/env bash
# update-state.sh - change the PEER cycle document at STATE_KEY with a jq filter; prints OK on stdout.
# Usage: update-state.sh <STATE_KEY> <JQ_FILTER> [--json-file VAR=PATH ...] [--arg NAME VALUE ...] [--argjson NAME JSON ...]
#        update-state.sh --state-key KEY --filter FILTER [same options]
# --json-file VAR=PATH loads PATH as jq's --slurpfile, so the filter reads $VAR[0].
# The filter runs inside peer-typed's compare-and-set loop; the result is validated against the schema and checked for
# ownership (PEER_ROLE; unset: metadata plus at most one phase) before anything is written. The JSON is logged first.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/_peer-typed.sh"

usage() {
  echo "Usage: update-state.sh <STATE_KEY> <JQ_FILTER> [--json-file VAR=PATH ...] [--arg NAME VALUE ...] [--argjson NAME JSON ...]" >&2
  echo "       update-state.sh --state-key KEY --filter FILTER [--json-file VAR=PATH ...]" >&2
}

STATE_KEY=""
JQ_FILTER=""
positional=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --state-key) STATE_KEY="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --filter) JQ_FILTER="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --json-file)
      spec="${2:-}"
      if [[ "$spec" != *=* || -z "${spec%%=*}" || -z "${spec#*=}" ]]; then
        echo "ERROR: --json-file expects VAR=PATH, got '$spec'" >&2; usage; exit 2
      fi
      if [ ! -r "${spec#*=}" ]; then
        echo "ERROR: --json-file ${spec%%=*}: cannot read ${spec#*=}" >&2; exit 2
      fi
      extra+=(--slurpfile "${spec%%=*}" "${spec#*=}"); shift 2 ;;
    --arg|--argjson|--slurpfile)
      if [ $# -lt 3 ]; then echo "ERROR: $1 expects NAME and VALUE" >&2; usage; exit 2; fi
      extra+=("$1" "$2" "$3"); shift 3 ;;
    -h|--help) usage; exit 0 ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ -z "$STATE_KEY" ] && [ ${#positional[@]} -ge 1 ] && { STATE_KEY="${positional[0]}"; positional=("${positional[@]:1}"); }
[ -z "$JQ_FILTER" ] && [ ${#positional[@]} -ge 1 ] && { JQ_FILTER="${positional[0]}"; positional=("${positional[@]:1}"); }
if [ -z "$STATE_KEY" ] || [ -z "$JQ_FILTER" ]; then
  echo "ERROR: STATE_KEY and JQ_FILTER are required" >&2
  usage
  exit 2
fi
if [ ${#positional[@]} -gt 0 ]; then
  echo "ERROR: unexpected arguments: ${positional[*]}" >&2
  usage
  exit 2
fi

bin=$(peer_typed_bin) || exit 1
exec "$bin" update "$STATE_KEY" --jq "$JQ_FILTER" "${extra[@]}"
