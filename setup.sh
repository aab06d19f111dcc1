#!/usr/bin/env bash
# setup.sh - everything PeerTyped needs on a fresh Debian machine, idempotent:
#   1. Debian packages: nats-server, jq, and clang + zlib1g-dev for the NativeAOT publish
#   2. restore and build the solution (the test command then runs without building again)
#   3. publish the peer-typed CLI with NativeAOT to $AGENT_OS_HOME/bin (default ~/.agent-os/bin) and put it on PATH
#   4. install the wrapper scripts to $AGENT_OS_HOME/scripts/peer/ with their run bits
#   5. start the local JetStream server if no server answers, and create the bucket
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
repo=$(pwd)
AGENT_OS_HOME="${AGENT_OS_HOME:-$HOME/.agent-os}"
say() { echo "setup: $*" >&2; }

# 1. system packages
missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v clang >/dev/null 2>&1 || missing+=(clang)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is required (dotnet on PATH); install it and run setup.sh again"
  exit 1
fi

# 2. build
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
say "restoring and building PeerTyped.sln"
dotnet build PeerTyped.sln -nologo -v q -clp:NoSummary

# 3. the CLI, NativeAOT
# Two binaries from one project: peer-typed without JsonSchema.Net (its start-up costs every command ~5 ms), and
# peer-typed-schema with it, which peer-typed runs for `schema check NEW.json`. The lean one is published last, so the
# project's restore state is the default one again for the Debug builds and tests that follow.
say "publishing peer-typed with NativeAOT"
dotnet publish src/PeerTyped.Cli -c Release -r linux-x64 -nologo -v q -clp:NoSummary -o "$repo/artifacts/peer-typed-schema"
dotnet publish src/PeerTyped.Cli -c Release -r linux-x64 -nologo -v q -clp:NoSummary -p:PeerTypedSchemaCheck=false -o "$repo/artifacts/peer-typed"
install -m 0755 "$repo/artifacts/peer-typed-schema/peer-typed" "$repo/artifacts/peer-typed/peer-typed-schema"
mkdir -p "$AGENT_OS_HOME/bin"
install -m 0755 "$repo/artifacts/peer-typed/peer-typed" "$AGENT_OS_HOME/bin/peer-typed"
install -m 0755 "$repo/artifacts/peer-typed/peer-typed-schema" "$AGENT_OS_HOME/bin/peer-typed-schema"
bin_dir=/usr/local/bin
[ -w "$bin_dir" ] || bin_dir="$HOME/.local/bin"
mkdir -p "$bin_dir"
ln -sf "$AGENT_OS_HOME/bin/peer-typed" "$bin_dir/peer-typed"
case ":$PATH:" in *":$bin_dir:"*) ;; *) say "add $bin_dir to PATH to run peer-typed by name" ;; esac

# 4. wrapper scripts, where agents expect them
mkdir -p "$AGENT_OS_HOME/scripts/peer"
install -m 0644 scripts/peer/_peer-typed.sh "$AGENT_OS_HOME/scripts/peer/_peer-typed.sh"
# The installed copies name this machine's bash in their first line instead of `#!/usr/bin/env bash`: env is one more
# exec on every call (about a millisecond of a ~15 ms read), and the bash found here is the one they were checked with.
bash_path=$(command -v bash)
for script in create-state.sh read-state.sh update-state.sh; do
  sed "1s|^#!/usr/bin/env bash\$|#!$bash_path|" "scripts/peer/$script" > "$AGENT_OS_HOME/scripts/peer/$script.tmp"
  chmod 0755 "$AGENT_OS_HOME/scripts/peer/$script.tmp"
  mv -f "$AGENT_OS_HOME/scripts/peer/$script.tmp" "$AGENT_OS_HOME/scripts/peer/$script"
done

# 5. a server to talk to, and the bucket
peer_typed="$AGENT_OS_HOME/bin/peer-typed"
if [ -z "${NATS_URL:-}" ]; then
  "$peer_typed" server status >/dev/null 2>&1 || "$peer_typed" server start >/dev/null
fi
"$peer_typed" --quiet bucket init >/dev/null
say "ready: peer-typed $("$peer_typed" --version 2>/dev/null | head -1) at $AGENT_OS_HOME/bin/peer-typed, wrappers in $AGENT_OS_HOME/scripts/peer/"
