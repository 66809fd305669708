//! What the examples' plots share: the font, the colours, and writing a
//! PNG through a temporary file.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

/// Register DejaVu Sans for the plots' text (Debian's fonts-dejavu-core).
pub fn register_font() -> Result<(), Box<dyn Error>> {
    const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    let bytes = std::fs::read(FONT).map_err(|error| {
        format!("{FONT}: {error}; the plots need it: `apt-get install fonts-dejavu-core`")
    })?;
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(bytes.into_boxed_slice()),
    )
    .map_err(|_| format!("{FONT} is not a font plotters can read"))?;
    Ok(())
}

/// The series colours, in order.
pub const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(44, 160, 44),
    RGBColor(140, 86, 75),
];

/// Write through a temporary file and a rename, so a crash never leaves half a PNG.
pub fn write_atomically(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let temporary = path.with_extension("partial.png");
    draw(&temporary)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}
