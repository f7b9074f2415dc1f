//! Benchmark: render a 150,000-row household list to .xlsx, CSV, PDF and HTML.
//!
//! Run: `cargo bench -p giamngheo-core --bench render -- [all|xlsx|csv|pdf|html] [households]
//! [--members]`. Prints one line per format with the time and output size. For the peak memory
//! of one format run the built binary under `/usr/bin/time -v` with that format only.

use std::time::Instant;

use giamngheo_core::reports::forms::*;
use giamngheo_core::reports::{render, Document, OutputFormat};

const SURNAMES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Đặng", "Bùi",
];
const GIVEN: &[&str] = &[
    "Văn Ánh",
    "Thị Hằng",
    "Đức Thắng",
    "Thị Ngọc Ước",
    "Quốc Việt",
    "Thị Kiều",
    "Hữu Nghĩa",
];

fn document(households: usize, members: bool) -> Document {
    let villages = 30;
    let list = HouseholdListInput {
        title: "DANH SÁCH HỘ NGHÈO NĂM 2026".into(),
        subtitle: None,
        households: (0..households)
            .map(|i| {
                let size = if members { 1 + i % 5 } else { 1 + i % 4 };
                let members = (0..size)
                    .map(|k| MemberLine {
                        full_name: format!(
                            "{} {} {}",
                            SURNAMES[(i + k) % SURNAMES.len()],
                            GIVEN[(i * 3 + k) % GIVEN.len()],
                            i
                        ),
                        relation: if k == 0 {
                            "Chủ hộ".into()
                        } else {
                            "Con".into()
                        },
                        birth_year: Some(1950 + ((i + k * 13) % 70) as i32),
                        sex: Some(if (i + k) % 2 == 0 {
                            Sex::Male
                        } else {
                            Sex::Female
                        }),
                        ethnicity: "Kinh".into(),
                        id_number: format!("0381{:08}", i * 10 + k),
                        note: String::new(),
                    })
                    .collect::<Vec<_>>();
                ListHousehold {
                    head_name: members[0].full_name.clone(),
                    village: format!("Thôn {}", i * villages / households.max(1) + 1),
                    members,
                    score_b1: Some(100 + (i % 40) as i64),
                    score_b2: Some(10 * (i % 7) as i64),
                    extra: vec![],
                    note: String::new(),
                }
            })
            .collect(),
        include_members: members,
        group_by_village: true,
        show_scores: true,
        extra_columns: vec![],
    };
    let issuer = Issuer {
        body_lines: vec!["UỶ BAN NHÂN DÂN".into(), "XÃ SƠN LỘ".into()],
        commune_name: "xã Sơn Lộ".into(),
        place: "Sơn Lộ".into(),
        signer_title: vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()],
        signer_name: None,
    };
    household_list(&issuer, None, &list)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let which = args
        .first()
        .map(String::as_str)
        .unwrap_or("all")
        .to_string();
    let households: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(150_000);
    let members = args.iter().any(|a| a == "--members");
    let t0 = Instant::now();
    let doc = document(households, members);
    let rows: usize = doc.tables().map(|t| t.rows.len()).sum();
    println!(
        "document: {households} households, {rows} table rows, built in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let formats: Vec<OutputFormat> = match which.as_str() {
        "all" => vec![
            OutputFormat::Csv,
            OutputFormat::Xlsx,
            OutputFormat::Pdf,
            OutputFormat::Html,
        ],
        name => match OutputFormat::parse(name) {
            Ok(f) => vec![f],
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
    };
    for f in formats {
        let t = Instant::now();
        match render(&doc, f) {
            Ok(bytes) => println!(
                "{:5}: {:7.2} s, {:8.1} MB",
                f.extension(),
                t.elapsed().as_secs_f64(),
                bytes.len() as f64 / 1e6
            ),
            Err(e) => {
                eprintln!("{}: {e}", f.extension());
                std::process::exit(1);
            }
        }
    }
}
