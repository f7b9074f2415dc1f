//! The dashboard (bảng điều khiển): households, poverty and near-poverty rates for the commune
//! and by village (by commune at an office), the change since the previous decided round, the
//! yearly target with progress, deprivation counts, the trend over decided rounds, and the
//! three charts as SVG. It deliberately builds no printable document (that is [`super::catalog`]).
//!
//! Rates are households of the class in the latest decided round over the active households of
//! the register today; a trend point uses its round's household count when the round covered
//! every household, otherwise today's register count.

use serde::{Deserialize, Serialize};

use super::data::{Grouping, UnitTotals};
use super::format::{format_decimal, format_int, format_percent, percent_of};
use super::svg::{bar_chart, line_chart, Bar, Series};
use crate::error::{Error, Result};
use crate::Ledger;

/// The local setting holding the commune's poverty-rate target for the year, e.g. "0,44".
pub const TARGET_SETTING: &str = "target_poverty_rate";

/// Rates of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRate {
    pub label: String,
    pub households: i64,
    pub persons: i64,
    pub poor: i64,
    pub near_poor: i64,
    /// Percent (0–100); `None` without households.
    pub poverty_rate: Option<f64>,
    pub near_poverty_rate: Option<f64>,
    /// "12,34%" or "" without households.
    pub poverty_rate_text: String,
    pub near_poverty_rate_text: String,
}

/// The change since the previous decided round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub previous_round_id: String,
    pub previous_title: String,
    pub poor_delta: i64,
    pub near_poor_delta: i64,
    /// Percentage points.
    pub poverty_rate_delta: Option<f64>,
    /// e.g. "Giảm 12 hộ nghèo (−0,85 điểm %), tăng 3 hộ cận nghèo so với …".
    pub text: String,
}

/// The yearly target and progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Target poverty rate in percent.
    pub poverty_rate: f64,
    /// "0,44%".
    pub text: String,
    /// Current rate ≤ target.
    pub reached: bool,
    /// Current − target, percentage points (positive = still above the target).
    pub gap: Option<f64>,
    /// e.g. "Mục tiêu: giảm tỷ lệ hộ nghèo còn 0,44%; hiện nay 8,12% (còn cao hơn 7,68 điểm %)".
    pub progress_text: String,
}

/// Poor and near-poor households deprived in one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeprivationCount {
    pub id: String,
    pub name: String,
    pub poor: i64,
    pub near_poor: i64,
}

/// One decided round of the trend (rounds of the same period are summed at an office).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub label: String,
    pub year: i32,
    pub month: Option<u32>,
    pub households: i64,
    pub poor: i64,
    pub near_poor: i64,
    pub poverty_rate: Option<f64>,
    pub near_poverty_rate: Option<f64>,
}

/// The SVG charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charts {
    pub deprivations: String,
    pub rates_by_unit: String,
    pub trend: String,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub grouping: Grouping,
    /// The latest decided round; `None` before the first decision.
    pub round_id: Option<String>,
    pub round_title: Option<String>,
    pub households: i64,
    pub persons: i64,
    pub poor: i64,
    pub near_poor: i64,
    pub poor_persons: i64,
    pub near_poor_persons: i64,
    pub poverty_rate: Option<f64>,
    pub near_poverty_rate: Option<f64>,
    pub poverty_rate_text: String,
    pub near_poverty_rate_text: String,
    pub by_unit: Vec<UnitRate>,
    pub change: Option<Change>,
    pub target: Option<Target>,
    pub deprivations: Vec<DeprivationCount>,
    pub trend: Vec<TrendPoint>,
    pub charts: Charts,
}

fn rate_text(r: Option<f64>) -> String {
    r.map(|v| format_percent(v, 2)).unwrap_or_default()
}

/// Parses a Vietnamese percentage ("0,44", "0,44%", "1.5") into percent units (0–100).
pub fn parse_rate(text: &str) -> Result<f64> {
    let t = text.trim().trim_end_matches('%').trim().replace(',', ".");
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=100.0).contains(&v) && t.matches('.').count() <= 1 => {
            Ok(v)
        }
        _ => Err(Error::Invalid(format!(
            "Tỷ lệ “{}” không hợp lệ: nhập một số phần trăm từ 0 đến 100, ví dụ 0,44.",
            text.trim()
        ))),
    }
}

fn signed_pp(v: f64) -> String {
    let s = format_decimal(v.abs(), 2);
    if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("−{s}")
    } else if v > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}")
    } else {
        s
    }
}

impl Ledger {
    /// The commune's poverty-rate target for the year (percent), if set.
    pub fn poverty_target(&self) -> Result<Option<f64>> {
        match self.setting(TARGET_SETTING)? {
            Some(t) if !t.trim().is_empty() => parse_rate(&t).map(Some),
            _ => Ok(None),
        }
    }

    /// Sets (or with an empty text clears) the yearly poverty-rate target, e.g. "0,44".
    pub fn set_poverty_target(&mut self, text: &str) -> Result<()> {
        if text.trim().is_empty() {
            return self.set_setting(TARGET_SETTING, "");
        }
        let v = parse_rate(text)?;
        self.set_setting(TARGET_SETTING, &format_decimal(v, 2))
    }

    /// The dashboard from the latest decided round(s) and the register.
    pub fn dashboard(&self) -> Result<Dashboard> {
        self.dashboard_with(&mut super::BuildProgress::none())
    }

    /// [`Ledger::dashboard`] reporting the survey rows read to `progress`, which may cancel
    /// (then the [`super::CANCELLED`] error and no dashboard).
    pub fn dashboard_with(&self, progress: &mut super::BuildProgress<'_>) -> Result<Dashboard> {
        progress.report()?;
        let grouping = self.report_grouping()?;
        let units = self.report_units(grouping)?;
        let totals = self.register_totals(grouping, &units)?;
        let households: i64 = totals.iter().map(|t| t.households).sum();
        let persons: i64 = totals.iter().map(|t| t.persons).sum();
        let decided = self.decided_rounds()?;
        let data = if decided.is_empty() {
            None
        } else {
            Some(self.round_data_with(None, None, &|_| false, progress)?)
        };
        let mut poor_u = vec![(0i64, 0i64, 0i64, 0i64); units.len()];
        let mut deprivations: Vec<DeprivationCount> = Vec::new();
        if let Some(d) = &data {
            deprivations = d
                .rules
                .indicators
                .iter()
                .map(|i| DeprivationCount {
                    id: i.id.clone(),
                    name: i.name.clone(),
                    poor: 0,
                    near_poor: 0,
                })
                .collect();
            for h in &d.households {
                let (is_poor, is_near) = (h.is("poor"), h.is("near_poor"));
                if !(is_poor || is_near) {
                    continue;
                }
                if let Some(u) = poor_u.get_mut(h.unit) {
                    if is_poor {
                        u.0 += 1;
                        u.2 += h.persons;
                    } else {
                        u.1 += 1;
                        u.3 += h.persons;
                    }
                }
                for dep in &h.deprived {
                    if let Some(c) = deprivations.iter_mut().find(|c| &c.id == dep) {
                        if is_poor {
                            c.poor += 1;
                        } else {
                            c.near_poor += 1;
                        }
                    }
                }
            }
        }
        let last = units.len().saturating_sub(1);
        let by_unit: Vec<UnitRate> = units
            .iter()
            .zip(&totals)
            .zip(&poor_u)
            .enumerate()
            .filter(|(i, ((_, t), p))| *i != last || t.households > 0 || p.0 > 0 || p.1 > 0)
            .map(|(_, ((u, t), p))| unit_rate(&u.label, t, p.0, p.1))
            .collect();
        let poor: i64 = poor_u.iter().map(|p| p.0).sum();
        let near_poor: i64 = poor_u.iter().map(|p| p.1).sum();
        let poverty_rate = percent_of(poor, households);
        let near_poverty_rate = percent_of(near_poor, households);

        progress.report()?;
        let trend = self.trend(&decided, grouping, households)?;
        let change = match (trend.len(), &data) {
            (n, Some(_)) if n >= 2 => {
                let (prev, cur) = (&trend[n - 2], &trend[n - 1]);
                let dp = cur.poor - prev.poor;
                let dn = cur.near_poor - prev.near_poor;
                let drate = match (cur.poverty_rate, prev.poverty_rate) {
                    (Some(a), Some(b)) => Some(a - b),
                    _ => None,
                };
                let words = |d: i64, what: &str| {
                    if d < 0 {
                        format!("giảm {} {what}", format_int(-d))
                    } else if d > 0 {
                        format!("tăng {} {what}", format_int(d))
                    } else {
                        format!("không đổi số {what}")
                    }
                };
                let mut text = words(dp, "hộ nghèo");
                if let Some(r) = drate {
                    text.push_str(&format!(" ({} điểm %)", signed_pp(r)));
                }
                text = format!(
                    "{}{}, {} so với {}.",
                    text[..1].to_uppercase(),
                    &text[1..],
                    words(dn, "hộ cận nghèo"),
                    prev.label
                );
                let prev_round = decided.iter().rev().find(|r| round_label(r) == prev.label);
                Some(Change {
                    previous_round_id: prev_round.map(|r| r.id.clone()).unwrap_or_default(),
                    previous_title: prev_round.map(|r| r.title.clone()).unwrap_or_default(),
                    poor_delta: dp,
                    near_poor_delta: dn,
                    poverty_rate_delta: drate,
                    text,
                })
            }
            _ => None,
        };
        let target = self.poverty_target()?.map(|t| {
            let gap = poverty_rate.map(|r| r - t);
            let reached = poverty_rate.is_some_and(|r| r <= t);
            let now = rate_text(poverty_rate);
            let progress_text = match gap {
                None => format!(
                    "Mục tiêu: giảm tỷ lệ hộ nghèo còn {}; chưa có số liệu.",
                    format_percent(t, 2)
                ),
                Some(_) if reached => format!(
                    "Mục tiêu: giảm tỷ lệ hộ nghèo còn {}; hiện nay {now}: đã đạt.",
                    format_percent(t, 2)
                ),
                Some(g) => format!(
                    "Mục tiêu: giảm tỷ lệ hộ nghèo còn {}; hiện nay {now} (còn cao hơn {} điểm %).",
                    format_percent(t, 2),
                    format_decimal(g, 2)
                ),
            };
            Target {
                poverty_rate: t,
                text: format_percent(t, 2),
                reached,
                gap,
                progress_text,
            }
        });

        let charts = Charts {
            deprivations: bar_chart(
                "Số hộ nghèo, hộ cận nghèo thiếu hụt theo chỉ số",
                &deprivations
                    .iter()
                    .map(|c| Bar {
                        label: c.name.clone(),
                        value: (c.poor + c.near_poor) as f64,
                        text: format!(
                            "{} ({} nghèo)",
                            format_int(c.poor + c.near_poor),
                            format_int(c.poor)
                        ),
                    })
                    .collect::<Vec<_>>(),
            ),
            rates_by_unit: bar_chart(
                &format!(
                    "Tỷ lệ hộ nghèo theo {}",
                    match grouping {
                        Grouping::Village => "thôn/xóm",
                        Grouping::Commune => "xã/phường",
                    }
                ),
                &by_unit
                    .iter()
                    .map(|u| Bar {
                        label: u.label.clone(),
                        value: u.poverty_rate.unwrap_or(0.0),
                        text: u.poverty_rate_text.clone(),
                    })
                    .collect::<Vec<_>>(),
            ),
            trend: line_chart(
                "Tỷ lệ hộ nghèo, hộ cận nghèo qua các đợt rà soát",
                &trend.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
                &[
                    Series {
                        name: "Tỷ lệ hộ nghèo".into(),
                        values: trend.iter().map(|p| p.poverty_rate).collect(),
                    },
                    Series {
                        name: "Tỷ lệ hộ cận nghèo".into(),
                        values: trend.iter().map(|p| p.near_poverty_rate).collect(),
                    },
                ],
                "%",
            ),
        };
        let poor_persons = poor_u.iter().map(|p| p.2).sum();
        let near_poor_persons = poor_u.iter().map(|p| p.3).sum();
        Ok(Dashboard {
            grouping,
            round_id: data.as_ref().map(|d| d.round().id.clone()),
            round_title: data.as_ref().map(|d| d.round().title.clone()),
            households,
            persons,
            poor,
            near_poor,
            poor_persons,
            near_poor_persons,
            poverty_rate,
            near_poverty_rate,
            poverty_rate_text: rate_text(poverty_rate),
            near_poverty_rate_text: rate_text(near_poverty_rate),
            by_unit,
            change,
            target,
            deprivations,
            trend,
            charts,
        })
    }

    fn trend(
        &self,
        decided: &[super::data::ReportRound],
        _grouping: Grouping,
        register_households: i64,
    ) -> Result<Vec<TrendPoint>> {
        // Rounds of the same period (several communes at an office) are summed. A round that
        // surveyed only the listed households has no denominator of its own: the register's.
        let counts = self.round_counts()?;
        let mut points: Vec<TrendPoint> = Vec::new();
        let mut listed: Vec<bool> = Vec::new();
        for r in decided {
            let label = round_label(r);
            let c = counts.get(&r.id).copied().unwrap_or_default();
            let i = match points.iter().position(|p| p.label == label) {
                Some(i) => i,
                None => {
                    points.push(TrendPoint {
                        label,
                        year: r.year,
                        month: r.month,
                        households: 0,
                        poor: 0,
                        near_poor: 0,
                        poverty_rate: None,
                        near_poverty_rate: None,
                    });
                    listed.push(false);
                    points.len() - 1
                }
            };
            let p = &mut points[i];
            p.households += c.households;
            p.poor += c.poor;
            p.near_poor += c.near_poor;
            listed[i] |= r.scope != "full";
        }
        for (p, listed) in points.iter_mut().zip(&listed) {
            if *listed {
                p.households = register_households;
            }
        }
        for p in &mut points {
            p.poverty_rate = percent_of(p.poor, p.households);
            p.near_poverty_rate = percent_of(p.near_poor, p.households);
        }
        Ok(points)
    }
}

fn round_label(r: &super::data::ReportRound) -> String {
    match (r.kind.as_str(), r.month) {
        ("monthly", Some(m)) => format!("{m:02}/{}", r.year),
        _ => format!("Năm {}", r.year),
    }
}

fn unit_rate(label: &str, t: &UnitTotals, poor: i64, near_poor: i64) -> UnitRate {
    let pr = percent_of(poor, t.households);
    let nr = percent_of(near_poor, t.households);
    UnitRate {
        label: label.to_string(),
        households: t.households,
        persons: t.persons,
        poor,
        near_poor,
        poverty_rate: pr,
        near_poverty_rate: nr,
        poverty_rate_text: rate_text(pr),
        near_poverty_rate_text: rate_text(nr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_the_vietnamese_way() {
        assert_eq!(parse_rate("0,44").ok(), Some(0.44));
        assert_eq!(parse_rate(" 0,44% ").ok(), Some(0.44));
        assert_eq!(parse_rate("12").ok(), Some(12.0));
        assert!(parse_rate("abc").is_err());
        assert!(parse_rate("101").is_err());
        assert!(parse_rate("1,2,3").is_err());
        assert_eq!(signed_pp(-0.854), "−0,85");
        assert_eq!(signed_pp(1.0), "+1,00");
    }
}
