#!/usr/bin/env bash
# Runs the benchmarks on this machine and prints the tables BENCHMARKS.md quotes.
#   scripts/bench.sh            full run (several minutes): release builds, 3 runs per figure
#   scripts/bench.sh --quick    seconds, tiny N (what CI runs so the harness cannot rot)
# Extra arguments go to ringlink-bench (see `ringlink-bench --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test >/dev/null
if [ "${1:-}" = "--quick" ]; then
  cargo build --quiet -p ringlink-relay -p ringlink-agent -p ringlink-site-demo -p ringlink-bench
  exec target/debug/ringlink-bench --relay-bin target/debug/ringlink-relay "$@"
fi
[ -f widget/dist/frame.js ] || bash scripts/build-widget.sh
cargo build --release --quiet -p ringlink-relay -p ringlink-agent -p ringlink-site-demo -p ringlink-bench
exec target/release/ringlink-bench --relay-bin target/release/ringlink-relay "$@"
