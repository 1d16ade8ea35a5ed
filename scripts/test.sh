#!/usr/bin/env bash
# The whole Ringlink test suite, as CI runs it (`CI=true` makes a missing peer a failure):
# formatting, clippy with warnings as errors, the widget build, and every test on SQLite and
# PostgreSQL, with the real browser, phone agent and modem peers.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
started=$SECONDS

# A clean clone gains nothing from incremental artifacts, and they cost gigabytes of disk.
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi
free_kb=$(df -Pk . | awk 'NR==2 {print $4}')
if [ "${free_kb:-0}" -lt $((8 * 1024 * 1024)) ]; then
  echo "test: only $((free_kb / 1024)) MB free on $(df -P . | awk 'NR==2 {print $6}'); the suite's build needs about 8 GB (free some, or point CARGO_TARGET_DIR at a bigger disk)" >&2
fi

say "setup"
bash scripts/setup.sh test

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The widget's browser half (app, connection) compiles only for wasm32.
cargo clippy -p ringlink-widget --target wasm32-unknown-unknown --quiet -- -D warnings
cargo clippy -p ringlink-console --target wasm32-unknown-unknown --quiet -- -D warnings

say "widget (release wasm) and its sizes"
bash scripts/build-widget.sh
bash scripts/build-console.sh

say "PostgreSQL for the store tests"
pg_dir=$(mktemp -d /tmp/ringlink-pg.XXXXXX)
pg_port=${RINGLINK_TEST_PG_PORT:-54329}
eval "$(bash scripts/start-postgres.sh "$pg_dir" "$pg_port")"
stop_pg() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -d "$pg_dir/data" ] && su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$pg_dir/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
echo "DATABASE_URL_PG=$DATABASE_URL_PG"

say "build binaries for the end-to-end tests"
cargo build --workspace --bins --quiet

say "benchmark harness smoke (seconds, tiny N; real figures: scripts/bench.sh)"
target/debug/ringlink-bench --quick --relay-bin target/debug/ringlink-relay --out target/bench/smoke.json

say "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --failure-output final
else
  cargo test --workspace --no-fail-fast
fi

say "all checks passed in $((SECONDS - started)) s"
