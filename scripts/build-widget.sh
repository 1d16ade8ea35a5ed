#!/usr/bin/env bash
# Builds the browser widget into widget/dist/: the loader (the only file on the merchant page
# before the visitor reaches for the bubble), and what the relay's frame page loads: the frame
# script, the Leptos app (wasm + wasm-bindgen glue) and the stylesheet. Prints their sizes (raw,
# gzip -9, brotli -q 11) per group and writes the table to target/widget-sizes.txt (not in dist/, which the relay serves). The relay
# embeds widget/dist/ at its own build and renders the frame page (/widget/frame) itself.
#
# The plain route from shared TOOLCHAIN.md: cargo + wasm-bindgen, no trunk. No wasm-opt is run:
# Debian's binaryen corrupts wasm-bindgen 0.2.130 output, and a good one saves about 1 KB.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
# The goal for all files together, brotli: a widget on every merchant page must be light.
BUDGET_BROTLI=$((60 * 1024))

cd "$(dirname "$0")/.."
dist=widget/dist
target=wasm32-unknown-unknown

die() {
    echo "build-widget: $*" >&2
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
    die "wasm-bindgen is $have, the widget needs $WASM_BINDGEN_VERSION (it must match the crate): cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION"

cargo build -p ringlink-widget --profile wasm-release --target "$target"

mkdir -p "$dist" target
find "$dist" -mindepth 1 ! -name .keep -delete
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$dist" "target/$target/wasm-release/ringlink_widget.wasm"
# Minified with esbuild when it is installed (npm install -g esbuild): about 3 KB brotli less.
# Without it the files ship as written, which works the same.
if command -v esbuild >/dev/null; then
    esbuild --log-level=warning --minify --format=esm --outfile="$dist/ringlink_widget.min.js" \
        "$dist/ringlink_widget.js"
    mv "$dist/ringlink_widget.min.js" "$dist/ringlink_widget.js"
    esbuild --log-level=warning --minify --outfile="$dist/widget.js" widget/loader/widget.js
    esbuild --log-level=warning --minify --format=esm --outfile="$dist/frame.js" widget/frame/frame.js
    esbuild --log-level=warning --minify --outfile="$dist/widget.css" widget/style/widget.css
else
    echo "build-widget: esbuild not found (npm install -g esbuild): copying the JS unminified"
    cp widget/loader/widget.js widget/frame/frame.js widget/style/widget.css "$dist/"
fi

# The merchant page loads only the loader until the visitor reaches for the bubble; the frame
# (the relay's origin) then loads the rest. The frame page's HTML itself is rendered by the relay
# (about 500 bytes) and is not in this table.
page_files=(widget.js)
frame_files=(frame.js ringlink_widget.js ringlink_widget_bg.wasm widget.css)
gz() { gzip -9 -c "$1" | wc -c; }
br() {
    if command -v brotli >/dev/null; then brotli -q 11 -c "$1" | wc -c; else echo 0; fi
}
total_raw=0 total_gz=0 total_br=0
group() {
    local name=$1 raw g b sum_raw=0 sum_gz=0 sum_br=0
    shift
    for f in "$@"; do
        raw=$(wc -c <"$dist/$f") g=$(gz "$dist/$f") b=$(br "$dist/$f")
        sum_raw=$((sum_raw + raw)) sum_gz=$((sum_gz + g)) sum_br=$((sum_br + b))
        printf '  %-24s %9d %9d %9d\n' "$f" "$raw" "$g" "$b"
    done
    printf '%-26s %9d %9d %9d\n' "$name" "$sum_raw" "$sum_gz" "$sum_br"
    total_raw=$((total_raw + sum_raw)) total_gz=$((total_gz + sum_gz)) total_br=$((total_br + sum_br))
}
{
    printf '%-26s %9s %9s %9s\n' file raw gzip-9 brotli-11
    group "merchant page (before)" "${page_files[@]}"
    group "frame (on intent)" "${frame_files[@]}"
    printf '%-26s %9d %9d %9d\n' total "$total_raw" "$total_gz" "$total_br"
} | tee target/widget-sizes.txt

command -v brotli >/dev/null || echo "build-widget: brotli is missing (apt-get install -y brotli): brotli sizes show 0"
total_br=$(awk '$1 == "total" {print $4}' target/widget-sizes.txt)
if [ "$total_br" -gt "$BUDGET_BROTLI" ]; then
    echo "build-widget: warning: $total_br bytes brotli is over the $BUDGET_BROTLI-byte goal" >&2
fi
echo "widget built in $dist/"
