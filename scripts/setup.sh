#!/usr/bin/env bash
# Installs what Ringlink needs on a Debian machine with rustup, and nothing already present:
#   scripts/setup.sh run    what the demo needs (wasm target, wasm-bindgen CLI, SIPp phones)
#   scripts/setup.sh test   also the test peers (Chromium, chromedriver, socat, PostgreSQL, brotli,
#                           axe-core from npm)
# Everything comes from the package registries (rustup, crates.io, npm, Debian); no prebuilt
# downloads. The README's Quick start lists what each mode installs.
set -euo pipefail
mode=${1:-test}
WASM_BINDGEN_VERSION=0.2.130

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs) first" >&2; exit 1; }

# Debian packages: command -> package
declare -A need=([python3]=python3 [gzip]=gzip [brotli]=brotli [sipp]=sip-tester)
if [ "$mode" = test ]; then
  need+=([chromium]=chromium [chromedriver]=chromium-driver [socat]=socat [pg_ctlcluster]=postgresql [dbus-daemon]=dbus [nats-server]=nats-server [taskset]=util-linux)
fi
missing=()
# The SMSC test peer (PyPI smpp34) runs in a virtualenv the tests make.
if [ "$mode" = test ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# The cluster test runs Debian's nginx from /usr/sbin, which a user's PATH may lack.
if [ "$mode" = test ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  missing+=(nginx)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} — run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$mode" = test ]; then
  for comp in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$comp" || rustup component add "$comp"
  done
fi

# esbuild (npm registry) minifies the widget's JS glue, loader and stylesheet (~3 KB brotli less).
ESBUILD_VERSION=0.28.2
if [ "$(esbuild --version 2>/dev/null)" != "$ESBUILD_VERSION" ]; then
  if command -v npm >/dev/null; then
    say "installing esbuild $ESBUILD_VERSION from npm"
    npm install -g --silent "esbuild@$ESBUILD_VERSION" >/dev/null
  else
    say "npm is missing: the widget's JS ships unminified (apt-get install npm to minify it)"
  fi
fi

# axe-core (npm registry) for the accessibility test (tests/tests/browser_panel.rs), which
# injects it into the widget's frame. A local install in a cache dir, not a global one.
AXE_CORE_VERSION=4.11.1
AXE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/ringlink-npm
if [ "$mode" = test ] && ! grep -qs "\"version\": \"$AXE_CORE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json"; then
  if command -v npm >/dev/null; then
    say "installing axe-core $AXE_CORE_VERSION from npm into $AXE_DIR"
    mkdir -p "$AXE_DIR"
    npm install --silent --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@$AXE_CORE_VERSION" >/dev/null
  else
    say "npm is missing: the axe-core accessibility test will skip (apt-get install npm)"
  fi
fi

have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_bindgen" != "$WASM_BINDGEN_VERSION" ]; then
  # Unlocked on purpose: the CLI's lockfile pins a webpki-roots release the registry lacks.
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (about 3 minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# The widget's splitter (a core module and one wasm chunk per panel). Not `wasm_split_cli`, an
# unrelated tool of that name.
WASM_SPLIT_VERSION=0.2.4
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "building wasm-split-cli $WASM_SPLIT_VERSION from crates.io (about 2 minutes, once)"
  cargo install --quiet --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary
fi
say "ready ($mode)"
