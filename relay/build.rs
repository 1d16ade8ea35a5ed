//! Embeds the widget's files (`widget/dist/`, built by scripts/build-widget.sh) in the relay:
//! memory-serve brotli-compresses them here and hashes each for its immutable route.

fn main() {
    // Its per-file notes would print as cargo warnings on every build.
    std::env::set_var("MEMORY_SERVE_QUIET", "1");
    memory_serve::load_directory_with_embed("../widget/dist", true);
}
