#!/usr/bin/env bash
# Runs Ringlink on this machine: the relay (SQLite, widget embedded), the demo shop that pastes
# the tag, and a phone agent in dry-run mode, with a demo merchant site and a demo member.
# Ctrl-C stops everything. Ports: RELAY_PORT (8080), SHOP_PORT (8081); data in data/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
RELAY_PORT=${RELAY_PORT:-8080}
SHOP_PORT=${SHOP_PORT:-8081}
HOST=${DEMO_HOST:-127.0.0.1}
NUMBER=${DEMO_NUMBER:-13800138000}
PASSWORD=${DEMO_PASSWORD:-demo-password-1}
export RINGLINK_DATA_DIR=${RINGLINK_DATA_DIR:-data/demo}
export RINGLINK_LISTEN=$HOST:$RELAY_PORT
say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

bash scripts/setup.sh run
say "building the widget"
bash scripts/build-widget.sh
say "building relay, demo shop and phone agent (release; the widget is embedded in the relay)"
cargo build --release --quiet -p ringlink-relay -p ringlink-site-demo -p ringlink-agent
bin=target/release
relay=$bin/ringlink-relay

mkdir -p "$RINGLINK_DATA_DIR"
if ! $relay admin site list 2>/dev/null | grep -q '^demo\b'; then
  $relay admin site create --name "Demo shop" --key demo \
    --origin "http://$HOST:$SHOP_PORT" --origin "http://localhost:$SHOP_PORT" >/dev/null
fi
echo "$PASSWORD" | $relay admin member create --number "$NUMBER" >/dev/null 2>&1 || true

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$relay serve & pids+=($!)
for _ in $(seq 1 100); do $relay healthcheck >/dev/null 2>&1 && break; sleep 0.1; done
$relay healthcheck >/dev/null || { echo "the relay did not become healthy" >&2; exit 1; }

$bin/ringlink-site-demo --listen "$HOST:$SHOP_PORT" --relay-url "http://$HOST:$RELAY_PORT" --site-key demo & pids+=($!)

creds=$RINGLINK_DATA_DIR/agent.json
if [ ! -f "$creds" ]; then
  echo "$PASSWORD" | $bin/ringlink-agent --credentials "$creds" login --relay "http://$HOST:$RELAY_PORT" \
    --number "$NUMBER" --name "demo phone (dry run)" --password-stdin >/dev/null
fi
$bin/ringlink-agent --credentials "$creds" run --backend dry-run & pids+=($!)
sleep 1

cat <<MSG

  Ringlink is running.
    Demo shop:    http://$HOST:$SHOP_PORT/     (open it, click the call bubble)
    Relay:        http://$HOST:$RELAY_PORT/    (metrics at /metrics)
    Member:       $NUMBER  /  $PASSWORD
    Phone agent:  dry-run (reports call states, dials nothing). On a phone with a modem:
                  ringlink-agent login --relay http://$HOST:$RELAY_PORT --number $NUMBER
                  ringlink-agent run --backend at --device /dev/ttyUSB0 [--confirm]
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
