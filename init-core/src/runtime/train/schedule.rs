//! How the learning rate moves over training: constant, or a linear
//! warm-up then a cosine decay (as `torch.optim.lr_scheduler`'s
//! `LinearLR` then `CosineAnnealingLR`), as a factor on the optimizer's
//! rate at each step.

use core::fmt;
use core::str::FromStr;

use crate::runtime::error::Error;

/// The learning rate's factor at each step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// The optimizer's rate at every step.
    Constant,
    /// Step `s` (from 1) of the first `warmup` takes `s / warmup` of the
    /// rate; after it, the factor falls from 1 to `floor` along half a
    /// cosine, reaching `floor` at step `total` and staying there.
    WarmupCosine {
        /// The steps of the linear warm-up.
        warmup: u32,
        /// The step at which the cosine reaches `floor`.
        total: u32,
        /// The factor at the end, from 0 to 1.
        floor: f32,
    },
}

impl Schedule {
    /// A linear warm-up over `warmup` steps, then a cosine decay to 0 at `total`.
    pub const fn warmup_cosine(warmup: u32, total: u32) -> Schedule {
        Schedule::WarmupCosine {
            warmup,
            total,
            floor: 0.0,
        }
    }

    /// The factor on the learning rate at step `step` (counting from 1).
    ///
    /// ```
    /// use netinit::Schedule;
    /// let schedule = Schedule::warmup_cosine(10, 110);
    /// assert_eq!(schedule.factor(5), 0.5);
    /// assert_eq!(schedule.factor(10), 1.0);
    /// assert!((schedule.factor(60) - 0.5).abs() < 1e-6);
    /// assert_eq!(schedule.factor(200), 0.0);
    /// ```
    pub fn factor(&self, step: u32) -> f32 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::WarmupCosine { warmup, total, floor } => {
                if step <= warmup {
                    return step as f32 / warmup.max(1) as f32;
                }
                let span = f64::from(total.saturating_sub(warmup).max(1));
                let done = (f64::from(step.min(total).saturating_sub(warmup)) / span).min(1.0);
                let cosine = 0.5 * (1.0 + (core::f64::consts::PI * done).cos());
                (f64::from(floor) + (1.0 - f64::from(floor)) * cosine) as f32
            }
        }
    }

    /// Whether the settings hold together: a warm-up no longer than the
    /// total, a floor from 0 to 1.
    pub fn check(&self) -> Result<(), Error> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::WarmupCosine { warmup, total, floor } => {
                if warmup > total {
                    return Err(Error::InvalidSchedule { warmup, total, floor });
                }
                if !(0.0..=1.0).contains(&floor) {
                    return Err(Error::InvalidSchedule { warmup, total, floor });
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Schedule {
    /// `constant`, or `warmup_cosine(100, 2000, 0.1)`: the text a checkpoint keeps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Schedule::Constant => f.write_str("constant"),
            Schedule::WarmupCosine { warmup, total, floor } => {
                write!(f, "warmup_cosine({warmup}, {total}, {floor})")
            }
        }
    }
}

impl FromStr for Schedule {
    type Err = ();

    /// What [`Display`](fmt::Display) writes, read back.
    fn from_str(text: &str) -> Result<Schedule, ()> {
        if text == "constant" {
            return Ok(Schedule::Constant);
        }
        let inner = text
            .strip_prefix("warmup_cosine(")
            .and_then(|rest| rest.strip_suffix(')'))
            .ok_or(())?;
        let parts: Vec<&str> = inner.split(", ").collect();
        let [warmup, total, floor] = parts.as_slice() else {
            return Err(());
        };
        let schedule = Schedule::WarmupCosine {
            warmup: warmup.parse().map_err(|_| ())?,
            total: total.parse().map_err(|_| ())?,
            floor: floor.parse().map_err(|_| ())?,
        };
        schedule.check().map_err(|_| ())?;
        Ok(schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_and_refuses_what_does_not_hold() {
        let schedule = Schedule::WarmupCosine {
            warmup: 100,
            total: 2000,
            floor: 0.1,
        };
        assert_eq!(schedule.to_string().parse(), Ok(schedule));
        assert_eq!("constant".parse(), Ok(Schedule::Constant));
        assert!("warmup_cosine(5, 4, 0)".parse::<Schedule>().is_err());
        assert!(Schedule::WarmupCosine {
            warmup: 1,
            total: 2,
            floor: 1.5
        }
        .check()
        .is_err());
        // The floor is where the cosine ends.
        assert!((schedule.factor(2000) - 0.1).abs() < 1e-7);
        assert_eq!(schedule.factor(1), 0.01);
    }
}
