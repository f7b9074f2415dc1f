//! Builders for the official forms and lists (biểu mẫu, danh sách) of QĐ 24/2021/QĐ-TTg and
//! TT 07/2021/TT-BLĐTBXH as [`Document`]s, over plain input structs that the caller fills from
//! the ledger. They compute only what is printed (row numbers, counts, totals, percentages);
//! they never classify households, score Phiếu B1/B2 or read the database, and they print
//! questionnaire items and points only as given (the rule set is data, not code here).
//!
//! The wording of the forms follows the structure in POVERTY-STANDARD.md §2.6; the official
//! annex text was not available, so titles and fixed sentences are kept in one place per form
//! and should be checked against the annex.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::format::{format_int, percent_of};
use super::model::*;

/// The issuing commune (đơn vị ban hành).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issuer {
    /// e.g. `["UỶ BAN NHÂN DÂN", "XÃ SƠN LỘ"]`.
    pub body_lines: Vec<String>,
    /// Commune name as written in sentences, e.g. `"xã Sơn Lộ"`.
    pub commune_name: String,
    /// Place name of the place-and-date line, e.g. `"Sơn Lộ"`.
    pub place: String,
    /// Signer authority, e.g. `["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]`.
    pub signer_title: Vec<String>,
    /// Signer's name, printed under the signature when known.
    pub signer_name: Option<String>,
}

impl Issuer {
    fn header(&self, number: Option<String>, date: Option<NaiveDate>) -> AdminHeader {
        AdminHeader {
            issuer_lines: self.body_lines.clone(),
            number,
            national_title: true,
            place_date: Some(PlaceDate::new(self.place.clone(), date)),
        }
    }
    fn signature(&self) -> Signature {
        Signature {
            place_date: None,
            title_lines: self.signer_title.clone(),
            note: None,
            name: self.signer_name.clone(),
        }
    }
}

/// "Số: 12/QĐ-UBND", or with a blank "Số: ……/QĐ-UBND" when the number is not given yet.
pub fn number_line(number: Option<&str>, suffix: &str) -> String {
    match number {
        Some(n) if !n.trim().is_empty() => format!("Số: {}/{}", n.trim(), suffix),
        _ => format!("Số: ……/{suffix}"),
    }
}

/// Sex (giới tính), for the birth-year columns "Nam" / "Nữ".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

/// A household member as printed on lists and forms (thành viên hộ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberLine {
    pub full_name: String,
    /// Relation to the head (quan hệ với chủ hộ): "Chủ hộ", "Vợ", "Con" …
    pub relation: String,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    pub ethnicity: String,
    /// Personal identification number (số định danh cá nhân / CCCD).
    pub id_number: String,
    /// Free note (membership changes: "Chuyển đi 03/2026").
    pub note: String,
}

/// A household on a list (hộ trong danh sách).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListHousehold {
    /// Name of the head (chủ hộ).
    pub head_name: String,
    /// Village as printed, e.g. "Thôn Đông" — lists are grouped by it when asked
    /// (group row "Thôn Đông", subtotal "Cộng Thôn Đông: 12 hộ, 40 khẩu").
    pub village: String,
    /// Members, the head first. May be empty (then the row shows `head_name` only).
    pub members: Vec<MemberLine>,
    /// Score A (điểm B1), as computed elsewhere.
    pub score_b1: Option<i64>,
    /// Score B (điểm B2), as computed elsewhere.
    pub score_b2: Option<i64>,
    /// Values of the list's extra columns, in order.
    pub extra: Vec<String>,
    pub note: String,
}

/// A list of households with or without member rows: the poor list, the near-poor list, the
/// escaped lists, the posting list of one village, the lists attached to the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdListInput {
    /// Heading, e.g. `"DANH SÁCH HỘ NGHÈO NĂM 2026"`.
    pub title: String,
    /// Italic line under it, e.g. `"(Kèm theo Quyết định số 12/QĐ-UBND ngày … của …)"`.
    pub subtitle: Option<String>,
    /// Households in print order (village by village when `group_by_village`).
    pub households: Vec<ListHousehold>,
    /// One row per member under each household.
    pub include_members: bool,
    /// A shaded row per village, a subtotal after it.
    pub group_by_village: bool,
    /// Print the B1/B2 score columns.
    pub show_scores: bool,
    /// Extra column headers (e.g. "Phân loại", "Nguyên nhân nghèo"); values in `ListHousehold::extra`.
    pub extra_columns: Vec<String>,
}

fn count_persons(h: &ListHousehold) -> i64 {
    (h.members.len().max(1)) as i64
}

fn summary(label: &str, households: i64, persons: i64) -> String {
    format!(
        "{label}: {} hộ, {} khẩu",
        format_int(households),
        format_int(persons)
    )
}

/// The table of a household list.
pub fn household_list_table(input: &HouseholdListInput) -> Table {
    let mut columns = vec![Column::centered(4.0)];
    let mut top: Vec<HeaderCell> = vec![HeaderCell::span("TT", 1, 2)];
    if input.include_members {
        columns.push(Column::text(22.0));
        top.push(HeaderCell::span("Họ và tên chủ hộ, thành viên", 1, 2));
        columns.push(Column::centered(10.0));
        top.push(HeaderCell::span("Quan hệ với chủ hộ", 1, 2));
    } else {
        columns.push(Column::text(22.0));
        top.push(HeaderCell::span("Họ và tên chủ hộ", 1, 2));
    }
    columns.push(Column::centered(7.0));
    columns.push(Column::centered(7.0));
    top.push(HeaderCell::span("Năm sinh", 2, 1));
    columns.push(Column::centered(8.0));
    top.push(HeaderCell::span("Dân tộc", 1, 2));
    columns.push(Column::centered(14.0));
    top.push(HeaderCell::span("Số định danh cá nhân", 1, 2));
    columns.push(Column::text(10.0));
    top.push(HeaderCell::span("Thôn", 1, 2));
    if !input.include_members {
        columns.push(Column::integer(6.0));
        top.push(HeaderCell::span("Số khẩu", 1, 2));
    }
    if input.show_scores {
        columns.push(Column::integer(7.0));
        top.push(HeaderCell::span("Điểm B1", 1, 2));
        columns.push(Column::integer(7.0));
        top.push(HeaderCell::span("Điểm B2", 1, 2));
    }
    for e in &input.extra_columns {
        columns.push(Column::text(12.0));
        top.push(HeaderCell::span(e.clone(), 1, 2));
    }
    columns.push(Column::text(12.0));
    top.push(HeaderCell::span("Ghi chú", 1, 2));
    let ncols = columns.len() as u16;
    let mut table = Table::new(
        columns,
        vec![top, vec![HeaderCell::new("Nam"), HeaderCell::new("Nữ")]],
    );

    let person_cells = |m: Option<&MemberLine>, name_fallback: &str, include_relation: bool| {
        let mut cells = Vec::new();
        let name = m
            .map(|m| m.full_name.clone())
            .unwrap_or_else(|| name_fallback.to_string());
        cells.push(Cell::new(name));
        if include_relation {
            cells.push(Cell::new(m.map(|m| m.relation.clone()).unwrap_or_default()));
        }
        let year = |want: Sex| match m {
            Some(MemberLine {
                birth_year: Some(y),
                sex: Some(s),
                ..
            }) if *s == want => Cell::new(y.to_string()),
            _ => Cell::empty(),
        };
        cells.push(year(Sex::Male));
        cells.push(year(Sex::Female));
        cells.push(Cell::new(
            m.map(|m| m.ethnicity.clone()).unwrap_or_default(),
        ));
        cells.push(Cell::new(
            m.map(|m| m.id_number.clone()).unwrap_or_default(),
        ));
        cells
    };

    let mut seq = 0i64;
    let (mut total_h, mut total_p) = (0i64, 0i64);
    let (mut group_h, mut group_p) = (0i64, 0i64);
    let mut current_village: Option<&str> = None;
    let flush_group = |rows: &mut Vec<Row>, village: &str, h: i64, p: i64| {
        rows.push(Row::new(
            RowKind::Subtotal,
            vec![Cell::span(summary(&format!("Cộng {village}"), h, p), ncols)],
        ));
    };
    for hh in &input.households {
        if input.group_by_village && current_village != Some(hh.village.as_str()) {
            if let Some(v) = current_village {
                flush_group(&mut table.rows, v, group_h, group_p);
            }
            table.rows.push(Row::group(hh.village.clone(), ncols));
            current_village = Some(hh.village.as_str());
            group_h = 0;
            group_p = 0;
        }
        seq += 1;
        let persons = count_persons(hh);
        total_h += 1;
        total_p += persons;
        group_h += 1;
        group_p += persons;
        let mut cells = vec![Cell::new(seq.to_string())];
        cells.extend(person_cells(
            hh.members.first(),
            &hh.head_name,
            input.include_members,
        ));
        cells.push(Cell::new(hh.village.clone()));
        if !input.include_members {
            cells.push(Cell::new(Value::Int(persons)));
        }
        if input.show_scores {
            cells.push(
                hh.score_b1
                    .map(|v| Cell::new(Value::Int(v)))
                    .unwrap_or_else(Cell::empty),
            );
            cells.push(
                hh.score_b2
                    .map(|v| Cell::new(Value::Int(v)))
                    .unwrap_or_else(Cell::empty),
            );
        }
        for i in 0..input.extra_columns.len() {
            cells.push(Cell::new(hh.extra.get(i).cloned().unwrap_or_default()));
        }
        let note = match hh.members.first() {
            Some(m) if !m.note.is_empty() && hh.note.is_empty() => m.note.clone(),
            Some(m) if !m.note.is_empty() => format!("{}; {}", hh.note, m.note),
            _ => hh.note.clone(),
        };
        cells.push(Cell::new(note));
        table.rows.push(Row::data(cells));
        if input.include_members {
            for m in hh.members.iter().skip(1) {
                let mut cells = vec![Cell::empty()];
                cells.extend(person_cells(Some(m), "", true));
                cells.push(Cell::empty());
                if input.show_scores {
                    cells.push(Cell::empty());
                    cells.push(Cell::empty());
                }
                for _ in &input.extra_columns {
                    cells.push(Cell::empty());
                }
                cells.push(Cell::new(m.note.clone()));
                table.rows.push(Row::new(RowKind::Member, cells));
            }
        }
    }
    if let Some(v) = current_village {
        flush_group(&mut table.rows, v, group_h, group_p);
    }
    table.rows.push(Row::new(
        RowKind::Total,
        vec![Cell::span(summary("Tổng cộng", total_h, total_p), ncols)],
    ));
    table.font_size = Some(10.5);
    table
}

/// The blocks of a household list (title, subtitle, table) to put into any document.
pub fn household_list_blocks(input: &HouseholdListInput) -> Vec<Block> {
    let mut blocks = vec![Block::Paragraph(Paragraph::title(input.title.clone()))];
    if let Some(s) = &input.subtitle {
        blocks.push(Block::Paragraph(Paragraph::subtitle(s.clone())));
    } else {
        blocks.push(Block::Spacer(2.0));
    }
    blocks.push(Block::Table(household_list_table(input)));
    blocks
}

/// A stand-alone household list on landscape A4 with the commune heading and signature.
pub fn household_list(
    issuer: &Issuer,
    date: Option<NaiveDate>,
    input: &HouseholdListInput,
) -> Document {
    let mut doc = Document::new(input.title.clone(), Orientation::Landscape);
    doc.header = Some(issuer.header(None, date));
    doc.blocks.extend(household_list_blocks(input));
    doc.push(Block::Signatures(SignatureBlock {
        recipients: Vec::new(),
        signers: vec![issuer.signature()],
    }));
    doc
}

/// What a statistical column shows, from a row's `counts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatValue {
    /// `counts[i]`.
    Count(usize),
    /// `counts[part] / counts[whole]` in percent; blank when the whole is zero.
    Percent { part: usize, whole: usize },
}

/// A column of a statistical table; consecutive columns with the same `group` share a merged
/// header cell ("Hộ nghèo" over "Số hộ", "Tỷ lệ (%)", "Số khẩu").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatColumn {
    pub group: Option<String>,
    pub label: String,
    pub value: StatValue,
}

/// A row: one village or one commune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatRow {
    pub label: String,
    pub counts: Vec<i64>,
}

/// A statistical report table (biểu tổng hợp) by village or by commune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatTableInput {
    pub title: String,
    pub subtitle: Option<String>,
    /// Header of the label column: "Thôn" or "Xã/phường".
    pub unit_label: String,
    pub columns: Vec<StatColumn>,
    pub rows: Vec<StatRow>,
    /// Label of the total row ("Tổng cộng"); `None` = no total row. Counts are summed and
    /// percentages recomputed from the sums.
    pub total_label: Option<String>,
    pub percent_places: u8,
    /// Print a row "(1) (2) (3) …" under the header, as official report forms do.
    pub numbering_row: bool,
}

fn stat_cell(counts: &[i64], v: StatValue, places: u8) -> Cell {
    match v {
        StatValue::Count(i) => counts
            .get(i)
            .map(|n| Cell::new(Value::Int(*n)))
            .unwrap_or_else(Cell::empty),
        StatValue::Percent { part, whole } => match (counts.get(part), counts.get(whole)) {
            (Some(p), Some(w)) => match percent_of(*p, *w) {
                Some(pct) => Cell::new(Value::Percent { value: pct, places }),
                None => Cell::empty(),
            },
            _ => Cell::empty(),
        },
    }
}

/// The statistical table.
pub fn stat_table(input: &StatTableInput) -> Table {
    let mut columns = vec![Column::centered(4.0), Column::text(18.0)];
    let any_group = input.columns.iter().any(|c| c.group.is_some());
    let header_rows = if any_group { 2 } else { 1 };
    let mut top = vec![
        HeaderCell::span("TT", 1, header_rows),
        HeaderCell::span(input.unit_label.clone(), 1, header_rows),
    ];
    let mut second = Vec::new();
    let mut i = 0;
    while i < input.columns.len() {
        let c = &input.columns[i];
        match &c.group {
            None => {
                top.push(HeaderCell::span(c.label.clone(), 1, header_rows));
                i += 1;
            }
            Some(g) => {
                let mut j = i;
                while j < input.columns.len() && input.columns[j].group.as_ref() == Some(g) {
                    second.push(HeaderCell::new(input.columns[j].label.clone()));
                    j += 1;
                }
                top.push(HeaderCell::span(g.clone(), (j - i) as u16, 1));
                i = j;
            }
        }
    }
    for c in &input.columns {
        columns.push(match c.value {
            StatValue::Count(_) => Column::integer(8.0),
            StatValue::Percent { .. } => Column::percent(8.0, input.percent_places),
        });
    }
    let mut header = vec![top];
    if any_group {
        header.push(second);
    }
    if input.numbering_row {
        header.push(
            (1..=columns.len())
                .map(|n| HeaderCell::new(format!("({n})")))
                .collect(),
        );
    }
    let mut table = Table::new(columns, header);
    let width = input.rows.iter().map(|r| r.counts.len()).max().unwrap_or(0);
    let mut sums = vec![0i64; width];
    for (n, r) in input.rows.iter().enumerate() {
        let mut cells = vec![Cell::new((n + 1).to_string()), Cell::new(r.label.clone())];
        for c in &input.columns {
            cells.push(stat_cell(&r.counts, c.value, input.percent_places));
        }
        for (s, v) in sums.iter_mut().zip(&r.counts) {
            *s += v;
        }
        table.rows.push(Row::data(cells));
    }
    if let Some(label) = &input.total_label {
        let mut cells = vec![Cell::span(label.clone(), 2)];
        for c in &input.columns {
            cells.push(stat_cell(&sums, c.value, input.percent_places));
        }
        table.rows.push(Row::new(RowKind::Total, cells));
    }
    table
}

/// A statistical report on landscape A4 with heading and signature.
pub fn stat_report(issuer: &Issuer, date: Option<NaiveDate>, input: &StatTableInput) -> Document {
    let mut doc = Document::new(input.title.clone(), Orientation::Landscape);
    doc.header = Some(issuer.header(None, date));
    doc.paragraph(Paragraph::title(input.title.clone()));
    match &input.subtitle {
        Some(s) => doc.paragraph(Paragraph::subtitle(s.clone())),
        None => doc.push(Block::Spacer(2.0)),
    };
    doc.table(stat_table(input));
    doc.push(Block::Signatures(SignatureBlock {
        recipients: Vec::new(),
        signers: vec![
            Signature::new(&["NGƯỜI LẬP BIỂU"], Some("(Ký, ghi rõ họ tên)")),
            issuer.signature(),
        ],
    }));
    doc
}

/// The applicant of a household request (Mẫu 01, Mẫu 04).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Applicant {
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub ethnicity: String,
    pub id_number: String,
    pub id_issued_on: Option<NaiveDate>,
    pub id_issued_by: String,
    /// Residence (nơi cư trú): village, commune, province.
    pub residence: String,
}

fn date_or_blank(d: Option<NaiveDate>) -> String {
    d.map(super::format::format_date_short).unwrap_or_default()
}

fn applicant_fields(a: &Applicant) -> Vec<Block> {
    vec![
        Block::Paragraph(Paragraph::field("Họ và tên: ", &a.full_name)),
        Block::Paragraph(Paragraph::field(
            "Ngày tháng năm sinh: ",
            &date_or_blank(a.birth_date),
        )),
        Block::Paragraph(Paragraph::field("Dân tộc: ", &a.ethnicity)),
        Block::Paragraph(Paragraph::field(
            "Số định danh cá nhân/Căn cước công dân: ",
            &a.id_number,
        )),
        Block::Paragraph(Paragraph::field(
            "Ngày cấp: ",
            &match (a.id_issued_on, a.id_issued_by.trim()) {
                (None, "") => String::new(),
                (d, by) => format!("{}    Nơi cấp: {}", date_or_blank(d), by),
            },
        )),
        Block::Paragraph(Paragraph::field("Nơi cư trú: ", &a.residence)),
    ]
}

/// The member table of requests and certificates.
pub fn member_table(members: &[MemberLine], blank_rows: usize) -> Table {
    let mut t = Table::new(
        vec![
            Column::centered(4.0),
            Column::text(22.0),
            Column::centered(9.0),
            Column::centered(11.0),
            Column::centered(7.0),
            Column::centered(7.0),
            Column::text(14.0),
        ],
        vec![
            vec![
                HeaderCell::span("TT", 1, 2),
                HeaderCell::span("Họ và tên", 1, 2),
                HeaderCell::span("Dân tộc", 1, 2),
                HeaderCell::span("Quan hệ với chủ hộ", 1, 2),
                HeaderCell::span("Năm sinh", 2, 1),
                HeaderCell::span("Ghi chú", 1, 2),
            ],
            vec![HeaderCell::new("Nam"), HeaderCell::new("Nữ")],
        ],
    );
    for (i, m) in members.iter().enumerate() {
        let year = |want: Sex| match (m.birth_year, m.sex) {
            (Some(y), Some(s)) if s == want => Cell::new(y.to_string()),
            _ => Cell::empty(),
        };
        t.rows.push(Row::data(vec![
            Cell::new((i + 1).to_string()),
            Cell::new(m.full_name.clone()),
            Cell::new(m.ethnicity.clone()),
            Cell::new(m.relation.clone()),
            year(Sex::Male),
            year(Sex::Female),
            Cell::new(m.note.clone()),
        ]));
    }
    for i in 0..blank_rows {
        let mut cells = vec![Cell::new((members.len() + i + 1).to_string())];
        cells.extend((0..6).map(|_| Cell::empty()));
        t.rows.push(Row::data(cells));
    }
    t
}

/// Which request Mẫu 01 makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestKind {
    /// Rà soát hộ nghèo, hộ cận nghèo.
    Review,
    /// Xác định hộ có mức sống trung bình.
    AverageLivingStandard,
}

/// Input of Mẫu 01 and Mẫu 04 (a household's request to the commune chair).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestInput {
    /// Addressee, e.g. `"Chủ tịch Ủy ban nhân dân xã Sơn Lộ"`.
    pub addressee: String,
    pub applicant: Applicant,
    pub members: Vec<MemberLine>,
    /// Reason (lý do): natural disaster, accident … or the improvement that lets the household
    /// leave poverty. Empty = dotted lines to write on.
    pub reason: String,
    pub place: String,
    pub date: Option<NaiveDate>,
}

fn request_document(title: &str, subject: &str, ask: &str, input: &RequestInput) -> Document {
    let mut doc = Document::new(title.to_string(), Orientation::Portrait);
    doc.header = Some(AdminHeader {
        issuer_lines: Vec::new(),
        number: None,
        national_title: true,
        place_date: None,
    });
    doc.paragraph(Paragraph::title(title.to_string()));
    doc.paragraph(Paragraph::subtitle(subject.to_string()).size(13.0));
    let mut to = Paragraph::new(vec![
        Run::plain("Kính gửi: "),
        Run::plain(input.addressee.clone()),
    ]);
    to.align = Align::Center;
    to.space_after = 8.0;
    doc.paragraph(to);
    doc.blocks.extend(applicant_fields(&input.applicant));
    doc.paragraph(Paragraph::field(
        "Số thành viên trong hộ: ",
        &if input.members.is_empty() {
            String::new()
        } else {
            format!("{} người, gồm:", input.members.len())
        },
    ));
    let blank = if input.members.is_empty() { 6 } else { 0 };
    doc.table(member_table(&input.members, blank));
    doc.paragraph(Paragraph::field("Lý do đề nghị: ", &input.reason));
    if input.reason.trim().is_empty() {
        for _ in 0..2 {
            doc.paragraph(Paragraph::field("", ""));
        }
    }
    doc.paragraph(Paragraph::prose(ask.to_string()));
    doc.push(Block::Signatures(SignatureBlock {
        recipients: Vec::new(),
        signers: vec![Signature {
            place_date: Some(PlaceDate::new(input.place.clone(), input.date)),
            title_lines: vec!["NGƯỜI ĐỀ NGHỊ".into()],
            note: Some("(Ký, ghi rõ họ tên)".into()),
            name: if input.applicant.full_name.is_empty() {
                None
            } else {
                Some(input.applicant.full_name.clone())
            },
        }],
    }));
    doc
}

/// Mẫu số 01: request for review or for the average-living-standard determination.
pub fn form_01(kind: RequestKind, input: &RequestInput) -> Document {
    let subject = match kind {
        RequestKind::Review => "Về việc rà soát hộ nghèo, hộ cận nghèo",
        RequestKind::AverageLivingStandard => "Về việc xác định hộ làm nông nghiệp, lâm nghiệp, ngư nghiệp và diêm nghiệp có mức sống trung bình",
    };
    let ask = match kind {
        RequestKind::Review => "Tôi làm giấy đề nghị này kính đề nghị Ủy ban nhân dân xem xét, tổ chức rà soát hộ nghèo, hộ cận nghèo đối với hộ gia đình tôi. Tôi xin cam đoan những thông tin trên là đúng sự thật.",
        RequestKind::AverageLivingStandard => "Tôi làm giấy đề nghị này kính đề nghị Ủy ban nhân dân xem xét, xác định hộ gia đình tôi là hộ có mức sống trung bình. Tôi xin cam đoan những thông tin trên là đúng sự thật.",
    };
    let mut doc = request_document("GIẤY ĐỀ NGHỊ", subject, ask, input);
    doc.title = format!("Mẫu số 01 - Giấy đề nghị - {}", input.applicant.full_name)
        .trim_end_matches(" - ")
        .to_string();
    doc.blocks.insert(
        0,
        Block::Paragraph(Paragraph::text("Mẫu số 01").align(Align::Right).size(12.0)),
    );
    doc
}

/// Mẫu số 04: request to be recognised as having escaped poverty / near-poverty.
pub fn form_04(input: &RequestInput) -> Document {
    let mut doc = request_document(
        "GIẤY ĐỀ NGHỊ",
        "Công nhận hộ thoát nghèo, hộ thoát cận nghèo",
        "Hộ gia đình tôi đề nghị Ủy ban nhân dân xem xét, công nhận hộ gia đình tôi thoát nghèo/thoát cận nghèo. Tôi xin cam đoan những thông tin trên là đúng sự thật.",
        input,
    );
    doc.title = format!(
        "Mẫu số 04 - Giấy đề nghị thoát nghèo - {}",
        input.applicant.full_name
    )
    .trim_end_matches(" - ")
    .to_string();
    doc.blocks.insert(
        0,
        Block::Paragraph(Paragraph::text("Mẫu số 04").align(Align::Right).size(12.0)),
    );
    doc
}

/// One line of Điều 1 of the decision: "Số hộ nghèo: 120 hộ, 480 khẩu".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionCount {
    pub label: String,
    pub households: i64,
    pub persons: i64,
}

/// Input of Mẫu 02 (quyết định công nhận danh sách).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionInput {
    pub issuer: Issuer,
    /// Decision number without suffix ("12"); `None` leaves "……".
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    pub year: i32,
    /// Legal bases, each printed as an italic "Căn cứ …;" line.
    pub legal_bases: Vec<String>,
    /// "Theo đề nghị của …".
    pub proposed_by: String,
    pub counts: Vec<DecisionCount>,
    /// Bodies in charge of carrying it out (Điều 3).
    pub executors: String,
    pub recipients: Vec<String>,
    /// The attached lists (danh sách kèm theo), each on its own landscape pages.
    pub lists: Vec<HouseholdListInput>,
}

/// Mẫu số 02: the commune decision recognising the lists, with the lists attached.
pub fn form_02(input: &DecisionInput) -> Document {
    let title = format!(
        "Quyết định công nhận danh sách hộ nghèo, hộ cận nghèo năm {}",
        input.year
    );
    let mut doc = Document::new(title, Orientation::Portrait);
    let number = number_line(input.number.as_deref(), "QĐ-UBND");
    doc.header = Some(input.issuer.header(Some(number.clone()), input.date));
    doc.paragraph(Paragraph::title("QUYẾT ĐỊNH"));
    let mut subject = Paragraph::new(vec![Run::bold(format!(
        "Về việc công nhận danh sách hộ nghèo, hộ cận nghèo; hộ thoát nghèo, hộ thoát cận nghèo năm {} trên địa bàn {}",
        input.year, input.issuer.commune_name
    ))]);
    subject.align = Align::Center;
    subject.space_after = 8.0;
    doc.paragraph(subject);
    let mut authority = Paragraph::new(vec![Run::bold(format!(
        "CHỦ TỊCH ỦY BAN NHÂN DÂN {}",
        input.issuer.commune_name.to_uppercase()
    ))]);
    authority.align = Align::Center;
    authority.space_after = 6.0;
    doc.paragraph(authority);
    for b in &input.legal_bases {
        let mut p = Paragraph::new(vec![Run::italic(format!(
            "Căn cứ {};",
            b.trim().trim_end_matches(';')
        ))]);
        p.indent_mm = 10.0;
        p.align = Align::Justify;
        doc.paragraph(p);
    }
    let mut p = Paragraph::new(vec![Run::italic(format!(
        "Theo đề nghị của {}.",
        input.proposed_by.trim().trim_end_matches('.')
    ))]);
    p.indent_mm = 10.0;
    doc.paragraph(p);
    let mut decide = Paragraph::new(vec![Run::bold("QUYẾT ĐỊNH:")]);
    decide.align = Align::Center;
    decide.space_after = 6.0;
    doc.paragraph(decide);
    let mut art1 = Paragraph::new(vec![
        Run::bold("Điều 1. "),
        Run::plain(format!(
            "Công nhận danh sách hộ nghèo, hộ cận nghèo; hộ thoát nghèo, hộ thoát cận nghèo năm {} trên địa bàn {} (có danh sách kèm theo), cụ thể:",
            input.year, input.issuer.commune_name
        )),
    ]);
    art1.indent_mm = 10.0;
    doc.paragraph(art1);
    for (i, c) in input.counts.iter().enumerate() {
        let mut p = Paragraph::text(format!(
            "{}. {}: {} hộ, {} khẩu.",
            i + 1,
            c.label,
            format_int(c.households),
            format_int(c.persons)
        ));
        p.indent_mm = 10.0;
        doc.paragraph(p);
    }
    let mut art2 = Paragraph::new(vec![
        Run::bold("Điều 2. "),
        Run::plain("Quyết định này có hiệu lực kể từ ngày ký."),
    ]);
    art2.indent_mm = 10.0;
    doc.paragraph(art2);
    let mut art3 = Paragraph::new(vec![
        Run::bold("Điều 3. "),
        Run::plain(format!(
            "{} chịu trách nhiệm thi hành Quyết định này.",
            input.executors.trim().trim_end_matches('.')
        )),
    ]);
    art3.indent_mm = 10.0;
    doc.paragraph(art3);
    doc.push(Block::Signatures(SignatureBlock {
        recipients: input.recipients.clone(),
        signers: vec![input.issuer.signature()],
    }));
    let date_text = input
        .date
        .map(super::format::format_date_short)
        .unwrap_or_else(|| "……".into());
    for list in &input.lists {
        doc.push(Block::Section(Orientation::Landscape));
        let mut l = list.clone();
        if l.subtitle.is_none() {
            l.subtitle = Some(format!(
                "(Kèm theo Quyết định số {}/QĐ-UBND ngày {} của Chủ tịch Ủy ban nhân dân {})",
                input.number.clone().unwrap_or_else(|| "……".into()),
                date_text,
                input.issuer.commune_name
            ));
        }
        doc.blocks.extend(household_list_blocks(&l));
    }
    doc
}

/// Household classification in one year of the certificate grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum YearClass {
    /// Hộ nghèo — "N".
    Poor,
    /// Hộ cận nghèo — "CN".
    NearPoor,
}

/// One year of the certificate grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearResult {
    pub year: i32,
    pub class: Option<YearClass>,
    /// Indices (0-based, into `CertificateInput::indicators`) of the deprived indicators.
    pub deprived: Vec<usize>,
}

/// Input of Mẫu 03 (giấy chứng nhận hộ nghèo, hộ cận nghèo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInput {
    pub issuer: Issuer,
    /// Certificate number without suffix; `None` leaves "……".
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    pub head: Applicant,
    pub members: Vec<MemberLine>,
    /// Indicator names of the rule set in order (12 for 2022–2025); columns are numbered 1…n.
    pub indicators: Vec<String>,
    /// Years of the grid (2022–2025); years without a result print blank rows.
    pub years: Vec<i32>,
    pub results: Vec<YearResult>,
}

/// Mẫu số 03: certificate per household with the member table and the yearly grid.
pub fn form_03(input: &CertificateInput) -> Document {
    let mut doc = Document::new(
        format!(
            "Mẫu số 03 - Giấy chứng nhận hộ nghèo, hộ cận nghèo - {}",
            input.head.full_name
        ),
        Orientation::Portrait,
    );
    doc.header = Some(input.issuer.header(
        Some(number_line(input.number.as_deref(), "GCN-HN.HCN")),
        input.date,
    ));
    doc.paragraph(Paragraph::title("GIẤY CHỨNG NHẬN HỘ NGHÈO, HỘ CẬN NGHÈO"));
    doc.push(Block::Spacer(2.0));
    doc.paragraph(Paragraph::text(format!(
        "Ủy ban nhân dân {} chứng nhận:",
        input.issuer.commune_name
    )));
    doc.paragraph(Paragraph::field(
        "Họ và tên chủ hộ: ",
        &input.head.full_name,
    ));
    doc.paragraph(Paragraph::field("Dân tộc: ", &input.head.ethnicity));
    doc.paragraph(Paragraph::field(
        "Số định danh cá nhân/CCCD: ",
        &match (input.head.id_number.trim(), input.head.id_issued_on) {
            ("", None) => String::new(),
            (n, d) => format!("{n}    Ngày cấp: {}", date_or_blank(d)),
        },
    ));
    doc.paragraph(Paragraph::field("Nơi cư trú: ", &input.head.residence));
    doc.paragraph(Paragraph::text("Thành viên hộ gia đình:"));
    doc.table(member_table(
        &input.members,
        if input.members.is_empty() { 6 } else { 0 },
    ));
    doc.paragraph(Paragraph::new(vec![Run::bold("Kết quả rà soát hằng năm")]).align(Align::Center));
    let n = input.indicators.len();
    let mut columns = vec![Column::centered(8.0), Column::centered(10.0)];
    columns.extend((0..n).map(|_| Column::centered(4.0)));
    let mut top = vec![
        HeaderCell::span("Năm", 1, 2),
        HeaderCell::span("Hộ nghèo (N)/ cận nghèo (CN)", 1, 2),
    ];
    let mut second = Vec::new();
    if n > 0 {
        top.push(HeaderCell::span(
            "Chỉ số thiếu hụt dịch vụ xã hội cơ bản",
            n as u16,
            1,
        ));
        second.extend((1..=n).map(|i| HeaderCell::new(i.to_string())));
    }
    let header = if n > 0 {
        vec![top, second]
    } else {
        vec![top
            .into_iter()
            .map(|mut c| {
                c.rowspan = 1;
                c
            })
            .collect()]
    };
    let mut grid = Table::new(columns, header);
    for year in &input.years {
        let r = input.results.iter().find(|r| r.year == *year);
        let mut cells = vec![Cell::new(year.to_string())];
        cells.push(Cell::new(match r.and_then(|r| r.class) {
            Some(YearClass::Poor) => "N",
            Some(YearClass::NearPoor) => "CN",
            None => "",
        }));
        for i in 0..n {
            let x = r.map(|r| r.deprived.contains(&i)).unwrap_or(false);
            cells.push(if x { Cell::new("x") } else { Cell::empty() });
        }
        grid.rows.push(Row::data(cells));
    }
    grid.font_size = Some(10.5);
    doc.table(grid);
    if n > 0 {
        let legend = input
            .indicators
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{}. {}", i + 1, name))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Paragraph::new(vec![Run::italic(format!(
            "Ghi chú: đánh dấu \"x\" vào chỉ số hộ bị thiếu hụt. Các chỉ số: {legend}."
        ))]);
        p.size = Some(11.0);
        doc.paragraph(p);
    }
    doc.push(Block::Signatures(SignatureBlock {
        recipients: Vec::new(),
        signers: vec![input.issuer.signature()],
    }));
    doc
}

/// Which questionnaire (phiếu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SurveyKind {
    /// Phiếu A — nhận dạng nhanh đặc điểm hộ gia đình (yes/no checklist).
    A,
    /// Phiếu B1 — thu thập thông tin hộ gia đình, tính điểm A (answer and points).
    B1,
    /// Phiếu B2 — các chỉ số thiếu hụt, tính điểm B (deprived yes/no and points).
    B2,
}

/// One item of a questionnaire, as given by the rule set; answers only when pre-filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyItem {
    pub label: String,
    /// Phiếu A / B2: ticked (`Some(true)` = Có / thiếu hụt). B1: the chosen option.
    pub checked: Option<bool>,
    /// Phiếu B1 without a point table: the answer text.
    pub answer: Option<String>,
    /// The household's points for this item (B1 chosen option, B2); summed into the total.
    pub points: Option<i64>,
    /// A question heading (Phiếu B1): no box, no points.
    #[serde(default)]
    pub heading: bool,
    /// The point scale of this option, one value per [`SurveyInput::point_columns`] (B1
    /// tables): printed on blank and pre-filled forms alike.
    #[serde(default)]
    pub scale: Vec<Option<i64>>,
}

impl SurveyItem {
    /// A blank item (paper fallback).
    pub fn blank(label: impl Into<String>) -> Self {
        SurveyItem {
            label: label.into(),
            checked: None,
            answer: None,
            points: None,
            heading: false,
            scale: Vec::new(),
        }
    }
    /// A question heading (Phiếu B1).
    pub fn heading(label: impl Into<String>) -> Self {
        SurveyItem {
            heading: true,
            ..Self::blank(label)
        }
    }
}

/// Input of Phiếu A / B1 / B2, blank or pre-filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyInput {
    pub kind: SurveyKind,
    pub issuer: Issuer,
    pub household_head: String,
    pub address: String,
    /// Household code (mã hộ) when known.
    pub household_code: String,
    /// More register facts printed under the address ("Số nhân khẩu", "Dân tộc"…): label and
    /// value; an empty value prints dots to write on.
    #[serde(default)]
    pub details: Vec<(String, String)>,
    pub items: Vec<SurveyItem>,
    /// Phiếu B1 with a point table: the header of each point column (one per region variant,
    /// or only the commune's). Empty = one "Điểm" column.
    #[serde(default)]
    pub point_columns: Vec<String>,
    /// The total printed (score A as the survey stored it); `None` = the sum of the items'
    /// points, blank when no item has points.
    #[serde(default)]
    pub total: Option<i64>,
    /// Where the form's content comes from (printed top right instead of the default annex).
    #[serde(default)]
    pub annex: Option<String>,
    /// Paragraphs after the table: the rule, the result, legends.
    #[serde(default)]
    pub notes: Vec<String>,
    pub place: String,
    pub date: Option<NaiveDate>,
}

/// Phiếu A, B1 or B2 (blank when the items carry no answers).
pub fn survey_form(input: &SurveyInput) -> Document {
    let (title, sub, annex) = match input.kind {
        SurveyKind::A => (
            "PHIẾU A",
            "Nhận dạng nhanh đặc điểm hộ gia đình",
            "Phụ lục II",
        ),
        SurveyKind::B1 => (
            "PHIẾU B1",
            "Thu thập thông tin đặc điểm, điều kiện sống của hộ gia đình (điểm A)",
            "Phiếu B1",
        ),
        SurveyKind::B2 => (
            "PHIẾU B2",
            "Thu thập thông tin mức độ thiếu hụt dịch vụ xã hội cơ bản của hộ gia đình (điểm B)",
            "Phiếu B2",
        ),
    };
    let mut doc = Document::new(
        format!("{title} - {}", input.household_head)
            .trim_end_matches(" - ")
            .to_string(),
        Orientation::Portrait,
    );
    doc.header = Some(AdminHeader {
        issuer_lines: input.issuer.body_lines.clone(),
        number: None,
        national_title: true,
        place_date: None,
    });
    doc.paragraph(
        Paragraph::text(input.annex.clone().unwrap_or_else(|| annex.to_string()))
            .align(Align::Right)
            .size(11.0),
    );
    doc.paragraph(Paragraph::title(title));
    doc.paragraph(Paragraph::subtitle(sub));
    doc.paragraph(Paragraph::field(
        "Họ và tên chủ hộ: ",
        &input.household_head,
    ));
    doc.paragraph(Paragraph::field("Địa chỉ: ", &input.address));
    doc.paragraph(Paragraph::field("Mã hộ: ", &input.household_code));
    for (label, value) in &input.details {
        doc.paragraph(Paragraph::field(format!("{label}: "), value));
    }
    let mark = |b: Option<bool>, want: bool| {
        if b == Some(want) {
            Cell::new("x")
        } else {
            Cell::empty()
        }
    };
    let scaled = input.kind == SurveyKind::B1 && !input.point_columns.is_empty();
    let mut t = match input.kind {
        SurveyKind::A => Table::new(
            vec![
                Column::centered(5.0),
                Column::text(60.0),
                Column::centered(8.0),
                Column::centered(8.0),
            ],
            vec![vec![
                HeaderCell::new("TT"),
                HeaderCell::new("Đặc điểm của hộ gia đình"),
                HeaderCell::new("Có"),
                HeaderCell::new("Không"),
            ]],
        ),
        SurveyKind::B1 if scaled => {
            let n = input.point_columns.len();
            let mut columns = vec![
                Column::centered(5.0),
                Column::text(if n > 1 { 38.0 } else { 55.0 }),
                Column::centered(7.0),
            ];
            columns.extend((0..n).map(|_| Column::integer(if n > 1 { 6.0 } else { 12.0 })));
            let mut top = vec![
                HeaderCell::span("TT", 1, 2),
                HeaderCell::span("Chỉ tiêu, lựa chọn", 1, 2),
                HeaderCell::span("Chọn", 1, 2),
                HeaderCell::span("Điểm", n as u16, 1),
            ];
            if n == 0 {
                top.pop();
            }
            Table::new(
                columns,
                vec![
                    top,
                    input
                        .point_columns
                        .iter()
                        .map(|c| HeaderCell::new(c.clone()))
                        .collect(),
                ],
            )
        }
        SurveyKind::B1 => Table::new(
            vec![
                Column::centered(5.0),
                Column::text(45.0),
                Column::text(25.0),
                Column::integer(8.0),
            ],
            vec![vec![
                HeaderCell::new("TT"),
                HeaderCell::new("Chỉ tiêu"),
                HeaderCell::new("Thông tin của hộ"),
                HeaderCell::new("Điểm"),
            ]],
        ),
        SurveyKind::B2 => Table::new(
            vec![
                Column::centered(5.0),
                Column::text(45.0),
                Column::centered(10.0),
                Column::centered(10.0),
                Column::integer(8.0),
            ],
            vec![
                vec![
                    HeaderCell::span("TT", 1, 2),
                    HeaderCell::span("Chỉ số", 1, 2),
                    HeaderCell::span("Tình trạng", 2, 1),
                    HeaderCell::span("Điểm", 1, 2),
                ],
                vec![
                    HeaderCell::new("Thiếu hụt"),
                    HeaderCell::new("Không thiếu hụt"),
                ],
            ],
        ),
    };
    let width = t.columns.len();
    let mut total: Option<i64> = None;
    let mut number = 0usize;
    let mut option = 0usize;
    for item in &input.items {
        if let Some(p) = item.points {
            total = Some(total.unwrap_or(0) + p);
        }
        if item.heading {
            number += 1;
            option = 0;
            t.rows.push(Row::new(
                RowKind::Group,
                vec![
                    Cell::new(number.to_string()),
                    Cell::span(item.label.clone(), (width - 1) as u16),
                ],
            ));
            continue;
        }
        let no = if scaled {
            option += 1;
            Cell::new(option_letter(option))
        } else {
            number += 1;
            Cell::new(number.to_string())
        };
        let points = item
            .points
            .map(|p| Cell::new(Value::Int(p)))
            .unwrap_or_else(Cell::empty);
        let cells = match input.kind {
            SurveyKind::A => vec![
                no,
                Cell::new(item.label.clone()),
                mark(item.checked, true),
                mark(item.checked, false),
            ],
            SurveyKind::B1 if scaled => {
                let mut c = vec![no, Cell::new(item.label.clone()), mark(item.checked, true)];
                for k in 0..input.point_columns.len() {
                    c.push(
                        item.scale
                            .get(k)
                            .copied()
                            .flatten()
                            .map(|p| Cell::new(Value::Int(p)))
                            .unwrap_or_else(Cell::empty),
                    );
                }
                c
            }
            SurveyKind::B1 => vec![
                no,
                Cell::new(item.label.clone()),
                Cell::new(item.answer.clone().unwrap_or_default()),
                points,
            ],
            SurveyKind::B2 => vec![
                no,
                Cell::new(item.label.clone()),
                mark(item.checked, true),
                mark(item.checked, false),
                points,
            ],
        };
        t.rows.push(Row::data(cells));
    }
    match input.kind {
        SurveyKind::A => {}
        SurveyKind::B1 | SurveyKind::B2 => {
            let label = if input.kind == SurveyKind::B1 {
                "Tổng điểm A"
            } else {
                "Tổng điểm B"
            };
            let total_cell = input
                .total
                .or(total)
                .map(|v| Cell::new(Value::Int(v)))
                .unwrap_or_else(Cell::empty);
            let cells = if scaled && input.point_columns.len() > 1 {
                // One total for the household's variant: written in by hand on a blank form.
                vec![
                    Cell::span(label, 3),
                    Cell::span(total_cell.value.display(), input.point_columns.len() as u16),
                ]
            } else {
                vec![Cell::span(label, (width - 1) as u16), total_cell]
            };
            t.rows.push(Row::new(RowKind::Total, cells));
        }
    }
    doc.table(t);
    for note in &input.notes {
        let mut p = Paragraph::new(vec![Run::italic(note.clone())]);
        p.size = Some(11.0);
        doc.paragraph(p);
    }
    if input.kind == SurveyKind::A && input.notes.is_empty() {
        doc.paragraph(Paragraph::field("Kết quả: ", ""));
    }
    let sign = |title: &str| Signature {
        place_date: None,
        title_lines: vec![title.to_string()],
        note: Some("(Ký, ghi rõ họ tên)".into()),
        name: None,
    };
    let mut pd = Paragraph::new(vec![Run::italic(
        PlaceDate::new(input.place.clone(), input.date).text(),
    )]);
    pd.align = Align::Right;
    doc.paragraph(pd);
    doc.push(Block::Signatures(SignatureBlock {
        recipients: Vec::new(),
        signers: vec![sign("CHỦ HỘ"), sign("RÀ SOÁT VIÊN")],
    }));
    doc
}

/// "a", "b", … "z", "aa", … for the options of a B1 question.
fn option_letter(n: usize) -> String {
    let mut n = n;
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    out.iter().rev().collect()
}
