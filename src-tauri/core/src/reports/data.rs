//! Reading the ledger for reports (dữ liệu báo cáo): which round(s) a report covers, the
//! reporting units (villages at a commune, communes at an office), and the surveyed households
//! of a round with their members, in print order — in a few bulk queries, so the full report
//! set stays fast at office scale. It deliberately builds no document and classifies nothing:
//! classes, transitions, scores and deprivations are read as the review stored them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rusqlite::{params, OptionalExtension};

use super::BuildProgress;
use crate::error::{Error, Result};
use crate::register::parse_date;
use crate::rules::RuleSet;
use crate::Ledger;

/// How reports break down (đơn vị tổng hợp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// At a commune: by village (thôn, xóm, bản…).
    Village,
    /// At an office: by commune (xã, phường).
    Commune,
}

impl Grouping {
    /// Header of the unit column.
    pub fn unit_label(self) -> &'static str {
        match self {
            Grouping::Village => "Thôn/xóm",
            Grouping::Commune => "Xã/phường",
        }
    }
}

/// One reporting unit (a village or a commune).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unit {
    /// Village id at a commune, commune code at an office.
    pub key: String,
    pub label: String,
}

/// A present member as reports need it.
#[derive(Debug, Clone)]
pub struct ReportMember {
    pub full_name: String,
    pub relation: String,
    pub birth_year: Option<i32>,
    pub birth_date: Option<String>,
    pub sex: String,
    pub ethnicity: Option<String>,
    pub id_number: Option<String>,
    pub health_insurance: Option<bool>,
    pub attending_school: Option<bool>,
    pub nutrition_status: Option<String>,
}

impl ReportMember {
    /// Age in full years at `on` (from the birth date, else the birth year).
    pub fn age_on(&self, on: NaiveDate) -> Option<i32> {
        match self.birth_date.as_deref().and_then(parse_date) {
            Some(b) => Some(crate::register::age_on(b, on)),
            None => self.birth_year.map(|y| on.year() - y),
        }
    }
}

/// A household of a round with its survey result.
#[derive(Debug, Clone)]
pub struct ReportHousehold {
    pub id: String,
    pub code: String,
    pub head_name: String,
    pub head_member_id: Option<String>,
    /// Index into [`RoundData::units`].
    pub unit: usize,
    pub village: String,
    pub address: String,
    pub ethnicity: Option<String>,
    pub ethnic_minority: bool,
    pub no_labour: bool,
    pub merit: bool,
    /// Present members (nhân khẩu).
    pub persons: i64,
    pub source: String,
    pub status: String,
    pub class: Option<String>,
    pub previous_class: Option<String>,
    pub transition: Option<String>,
    pub score_a: Option<i64>,
    pub score_b: Option<i64>,
    /// Deprived indicator ids.
    pub deprived: Vec<String>,
    /// Causes of poverty recorded on the survey (ids, catalogue order).
    pub causes: Vec<String>,
    /// Present members, the head first; filled only when asked.
    pub members: Vec<ReportMember>,
}

impl ReportHousehold {
    /// Surveyed with this class.
    pub fn is(&self, class: &str) -> bool {
        self.status == "surveyed" && self.class.as_deref() == Some(class)
    }
    /// Surveyed with one of these transitions.
    pub fn moved(&self, transitions: &[&str]) -> bool {
        self.status == "surveyed"
            && self
                .transition
                .as_deref()
                .is_some_and(|t| transitions.contains(&t))
    }
}

/// A review round as reports need it (without the progress counts of
/// [`crate::review::RoundSummary`], which cost a scan of the surveys per round).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportRound {
    pub id: String,
    pub commune_code: String,
    /// periodic | monthly
    pub kind: String,
    /// listed | full
    pub scope: String,
    pub year: i32,
    pub month: Option<u32>,
    pub title: String,
    pub rules_id: String,
    pub rules_version: u32,
    pub reference_date: String,
    pub start_date: String,
    pub status: String,
    pub decision_number: Option<String>,
    pub decision_date: Option<String>,
}

/// Households and their poor / near-poor counts of one round (surveyed results).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundCounts {
    pub households: i64,
    pub poor: i64,
    pub near_poor: i64,
}

const REPORT_ROUND_COLUMNS: &str = "id, coalesce(commune_code, ''), coalesce(kind, 'periodic'), coalesce(scope, 'listed'),
    coalesce(year, 0), month, coalesce(title, ''), coalesce(rules_id, ''), coalesce(rules_version, 1),
    coalesce(reference_date, ''), coalesce(start_date, ''), coalesce(status, 'surveying'), decision_number, decision_date";

fn row_to_report_round(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportRound> {
    Ok(ReportRound {
        id: r.get(0)?,
        commune_code: r.get(1)?,
        kind: r.get(2)?,
        scope: r.get(3)?,
        year: r.get(4)?,
        month: r.get(5)?,
        title: r.get(6)?,
        rules_id: r.get(7)?,
        rules_version: r.get(8)?,
        reference_date: r.get(9)?,
        start_date: r.get(10)?,
        status: r.get(11)?,
        decision_number: r.get(12)?,
        decision_date: r.get(13)?,
    })
}

/// The data of one report: the round(s), the rule set, the units and the households.
#[derive(Debug, Clone)]
pub struct RoundData {
    /// The covered rounds (one at a commune; the latest decided round of each commune at an
    /// office when no round was named).
    pub rounds: Vec<ReportRound>,
    pub rules: Arc<RuleSet>,
    pub grouping: Grouping,
    pub units: Vec<Unit>,
    pub households: Vec<ReportHousehold>,
    /// Ages are computed at this date (the round's reference date).
    pub reference_date: NaiveDate,
    /// The causes of poverty of the round's standard ([`Ledger::poverty_causes`]).
    pub causes: Vec<crate::rules::PovertyCause>,
}

impl RoundData {
    /// The first (or only) round.
    pub fn round(&self) -> &ReportRound {
        &self.rounds[0]
    }
    /// Year of the round.
    pub fn year(&self) -> i32 {
        self.round().year
    }
}

/// Register totals of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnitTotals {
    pub households: i64,
    pub persons: i64,
}

fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|x| x != 0)
}

impl Ledger {
    /// Villages at a commune, communes at an office.
    pub fn report_grouping(&self) -> Result<Grouping> {
        Ok(match self.local_identity()? {
            Some(i) if i.kind == "office" => Grouping::Commune,
            _ => Grouping::Village,
        })
    }

    /// The reporting units in print order.
    pub fn report_units(&self, grouping: Grouping) -> Result<Vec<Unit>> {
        let conn = self.conn();
        let mut units: Vec<Unit> = match grouping {
            Grouping::Village => self
                .villages()?
                .into_iter()
                .map(|v| Unit {
                    key: v.id,
                    label: v.name,
                })
                .collect(),
            Grouping::Commune => {
                let mut stmt = conn.prepare(
                    "SELECT DISTINCT h.commune_code, coalesce(c.name, h.commune_code)
                     FROM household h LEFT JOIN commune c ON c.id = h.commune_code
                     WHERE h.deleted = 0 AND h.commune_code IS NOT NULL ORDER BY h.commune_code",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(Unit {
                        key: r.get(0)?,
                        label: r.get(1)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        units.push(Unit {
            key: String::new(),
            label: match grouping {
                Grouping::Village => "(Chưa rõ thôn/xóm)".into(),
                Grouping::Commune => "(Chưa rõ xã/phường)".into(),
            },
        });
        Ok(units)
    }

    /// Resolves a village given by id, code or name (any case, with or without diacritics).
    pub fn resolve_village(&self, given: &str) -> Result<String> {
        let folded = crate::text::fold(given.trim());
        self.villages()?
            .into_iter()
            .find(|v| {
                v.id == given || v.code == given.trim() || crate::text::fold(&v.name) == folded
            })
            .map(|v| v.id)
            .ok_or_else(|| Error::NotFound(format!("Không có thôn/xóm “{}”.", given.trim())))
    }

    /// Resolves a household given by internal id or display code.
    pub fn resolve_household(&self, given: &str) -> Result<String> {
        self.conn()
            .query_row(
                "SELECT id FROM household WHERE (id = ?1 OR code = ?1) AND deleted = 0 LIMIT 1",
                [given.trim()],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("Không tìm thấy hộ “{}”.", given.trim())))
    }

    /// One round (not deleted).
    pub fn report_round(&self, id: &str) -> Result<ReportRound> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {REPORT_ROUND_COLUMNS} FROM review_round WHERE id = ?1 AND deleted = 0"
                ),
                [id.trim()],
                row_to_report_round,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("Không tìm thấy đợt rà soát “{}”.", id.trim())))
    }

    /// Every round (not deleted), the latest first by start date.
    pub fn report_round_list(&self) -> Result<Vec<ReportRound>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {REPORT_ROUND_COLUMNS} FROM review_round WHERE deleted = 0 ORDER BY start_date DESC, id DESC"
        ))?;
        let rows = stmt.query_map([], row_to_report_round)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Decided rounds, oldest first (by decision date, then start date).
    pub fn decided_rounds(&self) -> Result<Vec<ReportRound>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {REPORT_ROUND_COLUMNS} FROM review_round WHERE deleted = 0 AND status = 'decided'
             ORDER BY coalesce(decision_date, ''), start_date, id"
        ))?;
        let rows = stmt.query_map([], row_to_report_round)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Surveyed results per round, in one pass over the surveys.
    pub fn round_counts(&self) -> Result<HashMap<String, RoundCounts>> {
        let mut stmt = self.conn().prepare(
            "SELECT round_id, count(*), coalesce(sum(status = 'surveyed' AND class = 'poor'), 0),
                    coalesce(sum(status = 'surveyed' AND class = 'near_poor'), 0)
             FROM survey WHERE deleted = 0 AND round_id IS NOT NULL GROUP BY round_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                RoundCounts {
                    households: r.get(1)?,
                    poor: r.get(2)?,
                    near_poor: r.get(3)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    /// The rounds a report covers: the one named, else the latest decided round (at an office:
    /// the latest decided round of each commune in the latest year that has one).
    pub fn report_rounds(&self, round_id: Option<&str>) -> Result<Vec<ReportRound>> {
        if let Some(id) = round_id {
            return Ok(vec![self.report_round(id)?]);
        }
        let decided = self.decided_rounds()?;
        let Some(latest) = decided.last() else {
            return Err(Error::NotFound(
                "Chưa có đợt rà soát nào đã có quyết định công nhận: hãy chọn một đợt rà soát."
                    .into(),
            ));
        };
        if self.report_grouping()? == Grouping::Village {
            return Ok(vec![latest.clone()]);
        }
        let year = latest.year;
        let mut by_commune: HashMap<String, ReportRound> = HashMap::new();
        for r in decided.iter().filter(|r| r.year == year) {
            by_commune.insert(r.commune_code.clone(), r.clone()); // oldest first ⇒ the latest wins
        }
        let mut rounds: Vec<ReportRound> = by_commune.into_values().collect();
        rounds.sort_by(|a, b| a.commune_code.cmp(&b.commune_code).then(a.id.cmp(&b.id)));
        Ok(rounds)
    }

    /// The rule set of a round.
    pub fn round_rules(&self, round: &ReportRound) -> Result<Arc<RuleSet>> {
        self.rule_sets()?
            .get(&round.rules_id, round.rules_version)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "Không có chuẩn nghèo “{}” phiên bản {} của đợt rà soát.",
                    round.rules_id, round.rules_version
                ))
            })
    }

    /// Loads the households of the covered rounds; `village_id` keeps one village;
    /// `with_members` fills the member lists of the households `want_members` accepts.
    pub fn round_data(
        &self,
        round_id: Option<&str>,
        village_id: Option<&str>,
        want_members: &dyn Fn(&ReportHousehold) -> bool,
    ) -> Result<RoundData> {
        self.round_data_with(
            round_id,
            village_id,
            want_members,
            &mut BuildProgress::none(),
        )
    }

    /// [`Ledger::round_data`] reporting the survey and member rows read to `progress`, which
    /// may cancel (then nothing is returned but the "cancelled" error).
    pub fn round_data_with(
        &self,
        round_id: Option<&str>,
        village_id: Option<&str>,
        want_members: &dyn Fn(&ReportHousehold) -> bool,
        progress: &mut BuildProgress<'_>,
    ) -> Result<RoundData> {
        let rounds = self.report_rounds(round_id)?;
        let rules = self.round_rules(&rounds[0])?;
        let grouping = self.report_grouping()?;
        let units = self.report_units(grouping)?;
        let unit_index: HashMap<&str, usize> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.key.as_str(), i))
            .collect();
        let unknown = units.len() - 1;
        let reference_date = parse_date(&rounds[0].reference_date)
            .or_else(|| parse_date(&rounds[0].start_date))
            .unwrap_or_else(|| self.clock().today());
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT coalesce(s.household_id, ''), coalesce(h.code, ''), coalesce(h.head_name, ''), h.head_member_id,
                    coalesce(s.village_id, ''), coalesce(v.name, ''), coalesce(h.commune_code, ''), coalesce(h.address, ''),
                    h.ethnicity, h.ethnic_minority, h.no_labour, h.merit, coalesce(h.member_count, 0),
                    coalesce(s.source, ''), coalesce(s.status, 'pending'), s.class, s.previous_class, s.transition,
                    s.score_a, s.score_b, s.deprived, s.poverty_causes
             FROM survey s JOIN household h ON h.id = s.household_id LEFT JOIN village v ON v.id = s.village_id
             WHERE s.round_id = ?1 AND s.deleted = 0 AND (?2 IS NULL OR s.village_id = ?2)
             ORDER BY v.sort_order, v.name, h.sort_key, h.code",
        )?;
        let mut expected = 0usize;
        for round in &rounds {
            // Served by the survey_round index alone; deleted rows make it an upper bound.
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM survey WHERE round_id = ?1 AND (?2 IS NULL OR village_id = ?2)",
                params![round.id, village_id],
                |r| r.get(0),
            )?;
            expected += usize::try_from(n).unwrap_or(0);
        }
        progress.expect(expected)?;
        let mut households = Vec::new();
        for round in &rounds {
            let rows = stmt.query_map(params![round.id, village_id], |r| {
                let village_key: String = r.get(4)?;
                let commune: String = r.get(6)?;
                let key = match grouping {
                    Grouping::Village => village_key,
                    Grouping::Commune => commune,
                };
                let deprived: Option<String> = r.get(20)?;
                let causes: Option<String> = r.get(21)?;
                Ok(ReportHousehold {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    head_name: r.get(2)?,
                    head_member_id: r.get(3)?,
                    unit: unit_index.get(key.as_str()).copied().unwrap_or(unknown),
                    village: r.get(5)?,
                    address: r.get(7)?,
                    ethnicity: r.get(8)?,
                    ethnic_minority: r.get::<_, Option<i64>>(9)?.unwrap_or(0) != 0,
                    no_labour: r.get::<_, Option<i64>>(10)?.unwrap_or(0) != 0,
                    merit: r.get::<_, Option<i64>>(11)?.unwrap_or(0) != 0,
                    persons: r.get(12)?,
                    source: r.get(13)?,
                    status: r.get(14)?,
                    class: r.get(15)?,
                    previous_class: r.get(16)?,
                    transition: r.get(17)?,
                    score_a: r.get(18)?,
                    score_b: r.get(19)?,
                    deprived: deprived
                        .and_then(|j| serde_json::from_str::<Vec<String>>(&j).ok())
                        .unwrap_or_default(),
                    causes: causes
                        .and_then(|j| serde_json::from_str::<Vec<String>>(&j).ok())
                        .unwrap_or_default(),
                    members: Vec::new(),
                })
            })?;
            for h in rows {
                households.push(h?);
                progress.row()?;
            }
        }
        // Stable: keeps the village / name order inside each unit.
        households.sort_by_key(|h| h.unit);
        let wanted: HashMap<String, usize> = households
            .iter()
            .enumerate()
            .filter(|(_, h)| want_members(h))
            .map(|(i, h)| (h.id.clone(), i))
            .collect();
        if !wanted.is_empty() {
            self.fill_members(&mut households, &wanted, progress)?;
        }
        let causes = self.poverty_causes(&rules.id)?;
        Ok(RoundData {
            causes,
            rounds,
            rules,
            grouping,
            units,
            households,
            reference_date,
        })
    }

    fn fill_members(
        &self,
        households: &mut [ReportHousehold],
        wanted: &HashMap<String, usize>,
        progress: &mut BuildProgress<'_>,
    ) -> Result<()> {
        let persons: i64 = wanted.values().map(|&i| households[i].persons).sum();
        progress.expect(usize::try_from(persons).unwrap_or(0))?;
        let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<ReportMember> {
            Ok(ReportMember {
                full_name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                relation: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                birth_year: r.get(4)?,
                birth_date: r.get(5)?,
                sex: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                ethnicity: r.get(7)?,
                id_number: r.get(8)?,
                health_insurance: flag(r.get(9)?),
                attending_school: flag(r.get(10)?),
                nutrition_status: r.get(11)?,
            })
        };
        let columns = "m.household_id, m.id, m.full_name, m.relation, m.birth_year, m.birth_date, m.sex, m.ethnicity,
                       m.id_number, m.health_insurance, m.attending_school, m.nutrition_status";
        let mut pushed: Vec<(usize, String, ReportMember)> = Vec::new();
        let mut collect = |r: &rusqlite::Row<'_>| -> Result<()> {
            let hid: String = r.get::<_, Option<String>>(0)?.unwrap_or_default();
            if let Some(&i) = wanted.get(&hid) {
                pushed.push((i, r.get(1)?, row(r)?));
                progress.row()
            } else {
                progress.tick()
            }
        };
        let conn = self.conn();
        if wanted.len() * 4 > households.len() || wanted.len() > 2000 {
            // Many households: one scan of the member table.
            let mut stmt = conn.prepare(&format!(
                "SELECT {columns} FROM member m WHERE m.deleted = 0 AND m.status = 'present' ORDER BY m.household_id, m.position, m.id"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                collect(r)?;
            }
        } else {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {columns} FROM member m WHERE m.household_id = ?1 AND m.deleted = 0 AND m.status = 'present' ORDER BY m.position, m.id"
            ))?;
            for hid in wanted.keys() {
                let mut rows = stmt.query([hid])?;
                while let Some(r) = rows.next()? {
                    collect(r)?;
                }
            }
        }
        for (i, member_id, m) in pushed {
            let h = &mut households[i];
            if h.head_member_id.as_deref() == Some(member_id.as_str()) {
                h.members.insert(0, m);
            } else {
                h.members.push(m);
            }
        }
        Ok(())
    }

    /// Active households and present members of the register per unit (index as
    /// [`Ledger::report_units`]).
    pub fn register_totals(&self, grouping: Grouping, units: &[Unit]) -> Result<Vec<UnitTotals>> {
        let key = match grouping {
            Grouping::Village => "coalesce(h.village_id, '')",
            Grouping::Commune => "coalesce(h.commune_code, '')",
        };
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {key}, count(*), coalesce(sum(h.member_count), 0) FROM household h
             WHERE h.deleted = 0 AND h.status = 'active' GROUP BY 1"
        ))?;
        let mut out = vec![UnitTotals::default(); units.len()];
        let index: HashMap<&str, usize> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.key.as_str(), i))
            .collect();
        let unknown = units.len().saturating_sub(1);
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (k, h, p) = row?;
            if let Some(t) = out.get_mut(index.get(k.as_str()).copied().unwrap_or(unknown)) {
                t.households += h;
                t.persons += p;
            }
        }
        Ok(out)
    }
}
