#!/usr/bin/env bash
# update-state.sh - change the PEER cycle document at STATE_KEY with a jq filter; prints OK on stdout.
# Usage: update-state.sh <STATE_KEY> <JQ_FILTER> [--json-file VAR=PATH ...] [--arg NAME VALUE ...] [--argjson NAME JSON ...]
#        update-state.sh --state-key KEY --filter FILTER [same options]
#        update-state.sh <JQ_FILTER> [same options]       (the key from STATE_KEY in the environment)
# Anything else (-h, an unknown option, a missing value) is a usage error: exit 2, nothing written.
# --json-file VAR=PATH loads PATH as jq's --slurpfile, so the filter reads $VAR[0].
# The filter runs inside peer-typed's compare-and-set loop; the result is validated against the schema and checked for
# ownership (PEER_ROLE; unset: metadata plus at most one phase) before anything is written. The JSON is logged first.
set -uo pipefail
# The directory by parameter expansion, not dirname: one process fewer per call.
here=${BASH_SOURCE[0]%/*}; [ "$here" = "${BASH_SOURCE[0]}" ] && here=.
. "$here/_peer-typed.sh"

usage() {
  echo "Usage: update-state.sh <STATE_KEY> <JQ_FILTER> [--json-file VAR=PATH ...] [--arg NAME VALUE ...] [--argjson NAME JSON ...]" >&2
  echo "       update-state.sh --state-key KEY --filter FILTER [--json-file VAR=PATH ...]" >&2
  echo "       -q (warnings and errors only) and --log-level LEVEL (trace, debug, info, warn, error, none; or PEER_LOG_LEVEL) anywhere" >&2
}

ENV_STATE_KEY="${STATE_KEY:-}"
STATE_KEY=""
JQ_FILTER=""
positional=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --state-key|--filter)
      if [ $# -lt 2 ] || [ -z "$2" ]; then echo "ERROR: $1 expects a value" >&2; usage; exit 2; fi
      if [ "$1" = --state-key ]; then STATE_KEY="$2"; else JQ_FILTER="$2"; fi
      shift 2 ;;
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
    -q|--quiet|--log-level|--log-level=*)
      peer_log_option "$@" || { usage; exit 2; }
      shift "$log_shift" ;;
    --) shift; positional+=("$@"); break ;;
    -?*) echo "ERROR: unknown option '$1' (update-state.sh takes --state-key, --filter, --json-file, --arg, --argjson, --slurpfile, -q, --log-level)" >&2; usage; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
# One positional with STATE_KEY in the environment: it is the filter, as agents that export STATE_KEY call it.
if [ -z "$STATE_KEY" ] && [ -z "$JQ_FILTER" ] && [ ${#positional[@]} -eq 1 ] && [ -n "$ENV_STATE_KEY" ]; then
  STATE_KEY="$ENV_STATE_KEY"
fi
[ -z "$STATE_KEY" ] && [ ${#positional[@]} -ge 1 ] && { STATE_KEY="${positional[0]}"; positional=("${positional[@]:1}"); }
[ -z "$STATE_KEY" ] && STATE_KEY="$ENV_STATE_KEY"
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

peer_typed_bin || exit 1
exec "$bin" "${log_options[@]}" update --key "$STATE_KEY" --jq "$JQ_FILTER" "${extra[@]}"
