//! Scenario 6: the widget's weight from the release build: raw, gzip -9 and brotli -q 11 of the
//! loader, the frame script, wasm, JS glue and CSS.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// The loader (all a merchant page loads before the visitor reaches for the bubble), then what
/// the relay's frame loads.
pub const FILES: [&str; 5] = [
    "widget.js",
    "frame.js",
    "ringlink_widget_bg.wasm",
    "ringlink_widget.js",
    "widget.css",
];

#[derive(Debug, Serialize, Clone)]
pub struct FileWeight {
    pub file: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

pub fn measure(dist: &Path) -> Vec<FileWeight> {
    FILES
        .iter()
        .filter_map(|f| {
            let bytes = std::fs::read(dist.join(f)).ok()?;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes).ok()?;
            let gzip = gz.finish().ok()?.len();
            let mut br = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
                w.write_all(&bytes).ok()?;
            }
            Some(FileWeight {
                file: f.to_string(),
                raw: bytes.len(),
                gzip,
                brotli: br.len(),
            })
        })
        .collect()
}
