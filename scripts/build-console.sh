#!/usr/bin/env bash
# Builds the staff console into console/dist/: the Leptos app (wasm + wasm-bindgen glue), the
# page's boot script and its stylesheet. The relay embeds console/dist/ at its own build and
# renders the console page (/console) itself; rebuild the relay after this to ship a new console.
# The recipe is the widget's (scripts/build-widget.sh): cargo + wasm-bindgen, no trunk, no wasm-opt.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130

cd "$(dirname "$0")/.."
dist=console/dist
target=wasm32-unknown-unknown

die() {
    echo "build-console: $*" >&2
    exit 1
}

command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup"
if command -v rustup >/dev/null; then
    installed=$(rustup target list --installed)
    grep -qx "$target" <<<"$installed" ||
        die "the $target target is missing: rustup target add $target"
fi
command -v wasm-bindgen >/dev/null ||
    die "wasm-bindgen is missing: cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION"
have=$(wasm-bindgen --version | awk '{print $2}')
[ "$have" = "$WASM_BINDGEN_VERSION" ] ||
    die "wasm-bindgen is $have, the console needs $WASM_BINDGEN_VERSION (it must match the crate): cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION"

# The widget's wasm32 builds keep the linker's relocations for wasm-split (.cargo/config.toml);
# the console is not split, and they would triple its wasm: built without them, in a target
# folder of its own so the two builds do not undo each other's artifacts.
out=target/console
CARGO_ENCODED_RUSTFLAGS="" \
    cargo build -p ringlink-console --profile wasm-release --target "$target" --target-dir "$out"

mkdir -p "$dist" target
find "$dist" -mindepth 1 ! -name .keep -delete
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$dist" "$out/$target/wasm-release/ringlink_console.wasm"
if command -v esbuild >/dev/null; then
    esbuild --log-level=warning --minify --format=esm --outfile="$dist/ringlink_console.min.js" \
        "$dist/ringlink_console.js"
    mv "$dist/ringlink_console.min.js" "$dist/ringlink_console.js"
    esbuild --log-level=warning --minify --format=esm --outfile="$dist/console.js" console/boot/console.js
    esbuild --log-level=warning --minify --outfile="$dist/console.css" console/style/console.css
else
    echo "build-console: esbuild not found (npm install -g esbuild): copying the JS unminified"
    cp console/boot/console.js console/style/console.css "$dist/"
fi

gz() { gzip -9 -c "$1" | wc -c; }
br() {
    if command -v brotli >/dev/null; then brotli -q 11 -c "$1" | wc -c; else echo 0; fi
}
{
    printf '%-26s %9s %9s %9s\n' file raw gzip-9 brotli-11
    for f in console.js ringlink_console.js ringlink_console_bg.wasm console.css; do
        printf '%-26s %9d %9d %9d\n' "$f" "$(wc -c <"$dist/$f")" "$(gz "$dist/$f")" "$(br "$dist/$f")"
    done
} | tee target/console-sizes.txt
echo "console built in $dist/"
