# Sourced by the wrapper scripts: finds the peer-typed binary.
# PEER_TYPED_BIN overrides; then the installed copy; then whatever is on PATH.
# Sets bin rather than printing it: a $(...) would fork a subshell on every call, a millisecond of a ~15 ms command.
peer_typed_bin() {
  if [ -n "${PEER_TYPED_BIN:-}" ]; then
    bin=$PEER_TYPED_BIN
  elif [ -x "${AGENT_OS_HOME:-$HOME/.agent-os}/bin/peer-typed" ]; then
    bin=${AGENT_OS_HOME:-$HOME/.agent-os}/bin/peer-typed
  elif bin=$(command -v peer-typed 2>/dev/null); then
    :
  else
    echo "ERROR: peer-typed is not installed; run setup.sh from the PeerTyped repository" >&2
    return 1
  fi
}

# Log options every wrapper takes before its arguments (update-state.sh anywhere): -q/--quiet (warnings and errors
# only) and --log-level LEVEL (trace, debug, info, warn, error, none); PEER_LOG_LEVEL reaches peer-typed through the
# environment. Sets log_options (an array) and log_shift (how many arguments were consumed); returns 2 after an
# ERROR line on a missing value.
log_options=()
peer_log_option() {
  log_shift=0
  case "${1:-}" in
    -q|--quiet) log_options+=(--quiet); log_shift=1 ;;
    --log-level)
      if [ $# -lt 2 ] || [ -z "$2" ]; then echo "ERROR: --log-level expects a level (trace, debug, info, warn, error, none)" >&2; return 2; fi
      log_options+=(--log-level "$2"); log_shift=2 ;;
    --log-level=*) log_options+=("$1"); log_shift=1 ;;
  esac
  return 0
}
