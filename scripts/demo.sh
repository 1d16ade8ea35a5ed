#!/usr/bin/env bash
# Runs Ringlink on this machine: the relay (SQLite, widget embedded), the demo shop that pastes
# the tag, and a phone agent in dry-run mode, with a demo merchant site and a demo member.
# CALL ("call me now") works on loopback too: two SIPp soft-phones answer as the member's phone
# and the merchant's line, and verification codes land in the dev SMS outbox.
# Ctrl-C stops everything. Ports: RELAY_PORT (8080), SHOP_PORT (8081), SIP 5070 and phones
# 5071/5072; data in data/demo. The build is quiet (one line per step; the full output goes to
# data/demo/logs/build.log) and so is the run: each program logs to its own file there.
set -euo pipefail
cd "$(dirname "$0")/.."
RELAY_PORT=${RELAY_PORT:-8080}
SHOP_PORT=${SHOP_PORT:-8081}
HOST=${DEMO_HOST:-127.0.0.1}
NUMBER=${DEMO_NUMBER:-13800138000}
PASSWORD=${DEMO_PASSWORD:-demo-password-1}
export RINGLINK_DATA_DIR=${RINGLINK_DATA_DIR:-data/demo}
export RINGLINK_LISTEN=$HOST:$RELAY_PORT
export RINGLINK_CONFIG=$RINGLINK_DATA_DIR/relay.toml
SIP_PORT=${SIP_PORT:-5070}
MEMBER_PHONE_PORT=${MEMBER_PHONE_PORT:-5071}
MERCHANT_PHONE_PORT=${MERCHANT_PHONE_PORT:-5072}
say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }
logs=$RINGLINK_DATA_DIR/logs
mkdir -p "$logs"
build_log=$logs/build.log
: >"$build_log"
started=$SECONDS
# One step of the build: a line saying what, its output in the build log, its time when done;
# on failure the end of the log is shown.
step() {
  local what=$1 t=$SECONDS
  shift
  printf '\033[1m[demo]\033[0m %s … ' "$what"
  if "$@" >>"$build_log" 2>&1; then
    printf 'done (%d s)\n' $((SECONDS - t))
  else
    printf 'failed\n'
    tail -n 40 "$build_log" >&2
    echo "the full output is in $build_log" >&2
    exit 1
  fi
}

step "checking the tools (scripts/setup.sh run)" bash scripts/setup.sh run
step "building the widget (wasm)" env CARGO_TERM_QUIET=true WIDGET_BUDGETS=warn bash scripts/build-widget.sh
step "building the staff console (wasm)" env CARGO_TERM_QUIET=true bash scripts/build-console.sh
step "building relay, demo shop and phone agent (release; the widget is embedded)" \
  cargo build --release --quiet -p ringlink-relay -p ringlink-site-demo -p ringlink-agent
bin=target/release
relay=$bin/ringlink-relay

mkdir -p "$RINGLINK_DATA_DIR"
# CALL on loopback: the trunk routes the member's numbers (+86138…) to one SIPp phone and the
# merchant's landlines (+8610…) to another. For a real trunk and SMSC see README, "CALL".
cat > "$RINGLINK_CONFIG" <<TOML
[telephony]
sip_listen = "127.0.0.1:$SIP_PORT"
routes = [
  { prefix = "+86138", target = "127.0.0.1:$MEMBER_PHONE_PORT" },
  { prefix = "+8610", target = "127.0.0.1:$MERCHANT_PHONE_PORT" },
]
[sms]
gateway = "dev"
[http]
# Development only: shows the dev SMS outbox (codes in clear) at /dev/outbox on loopback.
dev_outbox = true
TOML
if ! $relay admin site list 2>/dev/null | grep -q '^demo\b'; then
  $relay admin site create --name "Demo shop" --key demo \
    --origin "http://$HOST:$SHOP_PORT" --origin "http://localhost:$SHOP_PORT" >/dev/null
fi
echo "$PASSWORD" | $relay admin member create --number "$NUMBER" >/dev/null 2>&1 || true
# The shop's "Call me now" button: sales, on a Beijing landline, paid by the merchant.
$relay admin button set --site demo --key sales --label "Sales" --number "+86 10 6552 9988" --payer merchant >/dev/null
$relay admin tariff set --prefix +86 --connect-fee 0 --per-minute 12 --increments 60/60 >/dev/null
if [ ! -f "$RINGLINK_DATA_DIR/.credited" ]; then
  $relay admin account credit --site demo --amount 10000 --note "demo budget" >/dev/null
  touch "$RINGLINK_DATA_DIR/.credited"
fi

pids=()
stopping=
cleanup() { stopping=1; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The two soft-phones: answer every call, echo its audio, wait for the hang-up.
for port in "$MEMBER_PHONE_PORT" "$MERCHANT_PHONE_PORT"; do
  sipp -sn uas -rtp_echo -i 127.0.0.1 -p "$port" -mp $((port + 1000)) -nostdin >/dev/null 2>&1 & pids+=($!)
done

$relay serve >"$logs/relay.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do $relay healthcheck >/dev/null 2>&1 && break; sleep 0.1; done
$relay healthcheck >/dev/null || { echo "the relay did not become healthy; its log: $logs/relay.log" >&2; tail -n 20 "$logs/relay.log" >&2; exit 1; }

$bin/ringlink-site-demo --listen "$HOST:$SHOP_PORT" --relay-url "http://$HOST:$RELAY_PORT" --site-key demo \
  >"$logs/shop.log" 2>&1 & pids+=($!)

creds=$RINGLINK_DATA_DIR/agent.json
if [ ! -f "$creds" ]; then
  echo "$PASSWORD" | $bin/ringlink-agent --credentials "$creds" login --relay "http://$HOST:$RELAY_PORT" \
    --number "$NUMBER" --name "demo phone (dry run)" --password-stdin >/dev/null
fi
$bin/ringlink-agent --credentials "$creds" run --backend dry-run >"$logs/agent.log" 2>&1 & pids+=($!)
sleep 1

cat <<MSG

  Ringlink is running (ready $((SECONDS - started)) s after start).
    Demo shop:    http://$HOST:$SHOP_PORT/     (open it, click the call bubble)
    Relay:        http://$HOST:$RELAY_PORT/    (its own page; metrics at /metrics)
    Member:       $NUMBER  /  $PASSWORD   (or "Create account" in the panel: the SMS code
                  shows in the dev outbox, http://$HOST:$RELAY_PORT/dev/outbox)
    Call me now:  the "Call me now" buttons call the member's SIPp phone, then the merchant's,
                  and bridge them (merchant pays). New numbers get an SMS code:
                  http://$HOST:$RELAY_PORT/dev/outbox shows it.
    Phone agent:  dry-run (reports call states, dials nothing). On a phone with a modem:
                  ringlink-agent login --relay http://$HOST:$RELAY_PORT --number $NUMBER
                  ringlink-agent run --backend at --device /dev/ttyUSB0 [--confirm]
    Logs:         relay $logs/relay.log, shop $logs/shop.log,
                  phone agent $logs/agent.log, build $build_log
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}" || true
[ -n "$stopping" ] || say "a demo program stopped; its log is in $logs"
