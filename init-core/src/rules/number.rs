//! Numbers as the DSL and the messages write them: the shortest text that
//! reads back to the same value, in scientific notation when the plain one
//! is long (`1e-50`, not fifty zeros); a pair of sizes as one where both
//! are the same.

use core::fmt;

/// `value` as it reads back exactly: `0.01`, `1.5`, `1e-50`, `1e308` (an
/// f32 too: `1e-45`).
pub fn written<T: fmt::Display + fmt::LowerExp>(value: T) -> String {
    let plain = value.to_string();
    if plain.len() <= 16 {
        plain
    } else {
        format!("{value:e}")
    }
}

/// A `[height, width]` pair as the DSL writes it: `3` for a square, `(3, 5)` otherwise.
pub struct Pair(pub [usize; 2]);

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [height, width] if height == width => write!(f, "{height}"),
            [height, width] => write!(f, "({height}, {width})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_read_back_exactly() {
        for value in [0.01, 1.5, -0.25, 1e-50, 1e308, 123456789.0, 5e-324, 0.1 + 0.2] {
            let text = written(value);
            assert!(text.len() <= 24, "{text}");
            assert_eq!(text.parse::<f64>().unwrap(), value, "{text}");
        }
        assert_eq!(written(1e-50), "1e-50");
        assert_eq!(written(0.01), "0.01");
    }
}
