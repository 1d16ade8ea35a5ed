//! Embeds the widget's files (`widget/dist/`, built by scripts/build-widget.sh) and the staff
//! console's (`console/dist/`, scripts/build-console.sh) in the relay: memory-serve
//! brotli-compresses them here and hashes each for its immutable route. The widget stays the
//! first (default) set; an empty dist (only its `.keep`) embeds nothing and builds.

fn main() {
    // A rebuilt widget or console must be embedded again even when only file contents changed
    // (cargo scans a directory named here for any change below it).
    println!("cargo:rerun-if-changed=../widget/dist");
    println!("cargo:rerun-if-changed=../console/dist");
    // Its per-file notes would print as cargo warnings on every build.
    std::env::set_var("MEMORY_SERVE_QUIET", "1");
    memory_serve::load_names_directories(
        [("widget", "../widget/dist"), ("console", "../console/dist")],
        true,
    );
}
