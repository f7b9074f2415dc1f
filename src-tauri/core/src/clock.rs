//! Time enters the core only through [`Clock`], so every rule and test is deterministic.
//! The system clock is read here and nowhere else. Device time is informational: the ledger
//! orders operations by per-device sequence numbers and Lamport counters, never by clock.

use chrono::{DateTime, NaiveDate, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn today(&self) -> NaiveDate {
        // Vietnam is UTC+7 all year; commune dates are local dates.
        (self.now() + chrono::Duration::hours(7)).date_naive()
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always answers the same instant (tests, benchmarks, the demo generator).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

impl FixedClock {
    /// Noon (Vietnam time) of the given day.
    pub fn at_date(y: i32, m: u32, d: u32) -> Self {
        let date = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        let dt = date.and_hms_opt(5, 0, 0).expect("valid time").and_utc();
        FixedClock(dt)
    }
}
