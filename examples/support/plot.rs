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

/// One series of a [`measured_and_predicted`] panel: its label, and its
/// measured and predicted values at layers 1, 2, ….
pub struct Series<'a> {
    /// The legend's text.
    pub label: &'a str,
    /// Drawn solid.
    pub measured: &'a [f64],
    /// Drawn dashed, in the same colour.
    pub predicted: &'a [f64],
}

/// A panel of `series` on a log scale from `low` to `high` over `layers`
/// layers: each measured series solid, its prediction dashed in the same
/// colour; values that are not finite and positive are left out.
pub fn measured_and_predicted(
    panel: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    (title, x_label): (&str, &str),
    layers: usize,
    (low, high): (f64, f64),
    series: &[Series<'_>],
) -> Result<(), Box<dyn Error>> {
    let mut chart = ChartBuilder::on(panel)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(1..layers, (low..high).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    let points = |values: &[f64]| -> Vec<(usize, f64)> {
        values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite() && **v > 0.0)
            .map(|(i, v)| (i + 1, v.clamp(low, high)))
            .collect()
    };
    for (one, color) in series.iter().zip(COLORS) {
        chart
            .draw_series(LineSeries::new(points(one.measured), color.stroke_width(3)))?
            .label(one.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        chart.draw_series(DashedLineSeries::new(
            points(one.predicted),
            6,
            4,
            color.stroke_width(1),
        ))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}
