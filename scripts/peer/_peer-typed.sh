# Sourced by the wrapper scripts: finds the peer-typed binary.
# PEER_TYPED_BIN overrides; then the installed copy; then whatever is on PATH.
peer_typed_bin() {
  if [ -n "${PEER_TYPED_BIN:-}" ]; then
    printf '%s\n' "$PEER_TYPED_BIN"
  elif [ -x "${AGENT_OS_HOME:-$HOME/.agent-os}/bin/peer-typed" ]; then
    printf '%s\n' "${AGENT_OS_HOME:-$HOME/.agent-os}/bin/peer-typed"
  elif command -v peer-typed >/dev/null 2>&1; then
    command -v peer-typed
  else
    echo "ERROR: peer-typed is not installed; run setup.sh from the PeerTyped repository" >&2
    return 1
  fi
}
