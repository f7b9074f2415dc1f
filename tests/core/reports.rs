//! Reports: documents rendered to PDF (checked with pdftotext/pdfinfo, page 1 rendered to PNG
//! under target/tmp/reports for a person to look at), .xlsx (read back with calamine), CSV and
//! HTML, and the official form builders.

use std::path::PathBuf;
use std::process::Command;

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::NaiveDate;
use giamngheo_core::reports::csv::{render_csv_with, CsvNumbers, BOM};
use giamngheo_core::reports::forms::*;
use giamngheo_core::reports::*;

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&dir).expect("create output dir");
    dir
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn issuer() -> Issuer {
    Issuer {
        body_lines: vec!["UỶ BAN NHÂN DÂN".into(), "XÃ SƠN LỘ".into()],
        commune_name: "xã Sơn Lộ".into(),
        place: "Sơn Lộ".into(),
        signer_title: vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()],
        signer_name: Some("Nguyễn Văn Hùng".into()),
    }
}

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
const RELATIONS: &[&str] = &["Vợ", "Con", "Con", "Mẹ"];

/// Deterministic sample households: `n` households in `villages` villages with 1–4 members.
fn households(n: usize, villages: usize) -> Vec<ListHousehold> {
    (0..n)
        .map(|i| {
            let village = format!("Thôn {}", i * villages / n.max(1) + 1);
            let size = 1 + i % 4;
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
                        RELATIONS[(k - 1) % RELATIONS.len()].into()
                    },
                    birth_year: Some(1950 + ((i * 7 + k * 13) % 70) as i32),
                    sex: Some(if (i + k) % 2 == 0 {
                        Sex::Male
                    } else {
                        Sex::Female
                    }),
                    ethnicity: if i % 5 == 0 {
                        "Mường".into()
                    } else {
                        "Kinh".into()
                    },
                    id_number: format!("0381{:08}", i * 10 + k),
                    note: String::new(),
                })
                .collect::<Vec<_>>();
            ListHousehold {
                head_name: members[0].full_name.clone(),
                village,
                members,
                score_b1: Some(100 + (i % 40) as i64),
                score_b2: Some(10 * (i % 7) as i64),
                extra: vec![],
                note: if i == 3 {
                    "Hộ có người có công, \"ưu tiên\"".into()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

fn poor_list(n: usize) -> HouseholdListInput {
    HouseholdListInput {
        title: "DANH SÁCH HỘ NGHÈO NĂM 2026".into(),
        subtitle: Some(
            "(Kèm theo Quyết định số 12/QĐ-UBND ngày 05/11/2026 của Chủ tịch UBND xã Sơn Lộ)"
                .into(),
        ),
        households: households(n, 3),
        include_members: true,
        group_by_village: true,
        show_scores: true,
        extra_columns: vec![],
    }
}

fn pdftotext(path: &std::path::Path, page: Option<usize>) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.arg("-layout");
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = cmd.arg(path).arg("-").output().expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 text")
}

fn pdfinfo(path: &std::path::Path) -> String {
    let out = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "999"])
        .arg(path)
        .output()
        .expect("run pdfinfo");
    assert!(
        out.status.success(),
        "pdfinfo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn page_count(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("Pages: line")
}

fn png(pdf: &std::path::Path, page: usize, stem: &str) -> PathBuf {
    let prefix = out_dir().join(stem);
    let status = Command::new("pdftoppm")
        .args([
            "-png",
            "-r",
            "80",
            "-singlefile",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("run pdftoppm");
    assert!(status.success());
    let png = prefix.with_extension("png");
    assert!(
        std::fs::metadata(&png)
            .map(|m| m.len() > 1000)
            .unwrap_or(false),
        "PNG written"
    );
    png
}

/// Collapses runs of whitespace so words split by the layout compare reliably.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn long_poor_list_pdf_has_many_pages_each_with_the_header() {
    let input = poor_list(400);
    let doc = household_list(&issuer(), Some(date(2026, 11, 5)), &input);
    let path = out_dir().join("poor-list.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("render PDF");
    let info = pdfinfo(&path);
    let pages = page_count(&info);
    assert!(
        pages >= 10,
        "400 households with members should take many pages, got {pages}"
    );
    assert!(
        info.contains("841.89 x 595.28") || info.contains("842 x 595"),
        "landscape A4: {info}"
    );
    let first = squash(&pdftotext(&path, Some(1)));
    for needle in [
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UỶ BAN NHÂN DÂN",
        "XÃ SƠN LỘ",
        "Sơn Lộ, ngày 05 tháng 11 năm 2026",
        "DANH SÁCH HỘ NGHÈO NĂM 2026",
        "Thôn 1",
        "Nguyễn Văn Ánh 0",
    ] {
        assert!(first.contains(needle), "page 1 lacks {needle:?}:\n{first}");
    }
    for p in 1..=pages {
        let text = squash(&pdftotext(&path, Some(p)));
        assert!(
            text.contains("Họ và tên chủ hộ, thành viên"),
            "page {p} lacks the table header"
        );
        assert!(text.contains("Điểm B1"), "page {p} lacks the table header");
        assert!(
            text.contains(&format!("Trang {p}/{pages}")),
            "page {p} lacks its number"
        );
    }
    let last = squash(&pdftotext(&path, Some(pages)));
    let persons: usize = input.households.iter().map(|h| h.members.len()).sum();
    let total = format!(
        "Tổng cộng: 400 hộ, {} khẩu",
        giamngheo_core::reports::format::format_int(persons as i64)
    );
    assert!(last.contains(&total), "last page lacks {total:?}:\n{last}");
    assert!(
        last.contains("CHỦ TỊCH") && last.contains("Nguyễn Văn Hùng"),
        "signature on the last page"
    );
    // Every household appears exactly once in the whole text.
    let all = squash(&pdftotext(&path, None));
    for i in [0usize, 137, 399] {
        let name = &input.households[i].head_name;
        assert!(
            all.contains(name.as_str()),
            "household {i} ({name}) missing"
        );
    }
    png(&path, 1, "poor-list-page1");
    png(&path, 2, "poor-list-page2");
}

#[test]
fn pdf_embeds_a_font_subset_and_stays_small() {
    let doc = household_list(&issuer(), None, &poor_list(5));
    let bytes = render_pdf(&doc).expect("render");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/FontFile2"), "TrueType font embedded");
    assert!(text.contains("+LiberationSerif"), "subset tag present");
    assert!(text.contains("/ToUnicode"));
    // Three full faces are about 1.1 MB; subsets of a one-page list are far smaller.
    assert!(bytes.len() < 200_000, "subset PDF is {} bytes", bytes.len());
    let path = out_dir().join("blank-date.pdf");
    std::fs::write(&path, &bytes).expect("write");
    let t = squash(&pdftotext(&path, Some(1)));
    assert!(
        t.contains("Sơn Lộ, ngày …… tháng …… năm ……"),
        "blank date line: {t}"
    );
    assert!(
        !t.contains("Trang 1/1"),
        "a one-page document carries no page number"
    );
}

#[test]
fn decision_with_attached_lists_mixes_portrait_and_landscape() {
    let input = DecisionInput {
        issuer: issuer(),
        number: Some("12".into()),
        date: Some(date(2026, 11, 5)),
        year: 2026,
        legal_bases: vec![
            "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025".into(),
            "Quyết định số 24/2021/QĐ-TTg ngày 16 tháng 7 năm 2021 của Thủ tướng Chính phủ".into(),
        ],
        proposed_by: "Ban chỉ đạo rà soát hộ nghèo, hộ cận nghèo xã".into(),
        counts: vec![
            DecisionCount { label: "Số hộ nghèo".into(), households: 40, persons: 1_234 },
            DecisionCount { label: "Số hộ cận nghèo".into(), households: 12, persons: 50 },
        ],
        executors: "Văn phòng HĐND và UBND xã, công chức Văn hóa - Xã hội, trưởng các thôn và các hộ gia đình có tên tại Điều 1".into(),
        recipients: vec!["- Như Điều 3;".into(), "- Lưu: VT.".into()],
        lists: vec![poor_list(40)],
    };
    let doc = form_02(&input);
    let path = out_dir().join("mau-02.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("render");
    let info = pdfinfo(&path);
    let sizes: Vec<&str> = info
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .collect();
    assert!(
        sizes[0].contains("595.28 x 841.89"),
        "decision page is portrait: {}",
        sizes[0]
    );
    assert!(sizes.len() >= 2, "{info}");
    assert!(
        sizes[1..].iter().all(|s| s.contains("841.89 x 595.28")),
        "list pages are landscape: {info}"
    );
    let t = squash(&pdftotext(&path, Some(1)));
    for needle in [
        "Số: 12/QĐ-UBND",
        "QUYẾT ĐỊNH",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ SƠN LỘ",
        "Căn cứ Quyết định số 24/2021/QĐ-TTg",
        "1. Số hộ nghèo: 40 hộ, 1.234 khẩu.",
        "Điều 2.",
        "Nơi nhận:",
    ] {
        assert!(t.contains(needle), "decision lacks {needle:?}:\n{t}");
    }
    let all = squash(&pdftotext(&path, None));
    assert!(
        all.contains("(Kèm theo Quyết định số 12/QĐ-UBND ngày 05/11/2026"),
        "attached list subtitle"
    );
    png(&path, 1, "mau-02-page1");
}

fn certificate() -> CertificateInput {
    let members = households(1, 1).remove(0).members;
    CertificateInput {
        issuer: issuer(),
        number: Some("37".into()),
        date: Some(date(2026, 1, 15)),
        head: Applicant {
            full_name: members[0].full_name.clone(),
            birth_date: None,
            ethnicity: "Mường".into(),
            id_number: "038100000000".into(),
            id_issued_on: Some(date(2021, 4, 2)),
            id_issued_by: "Cục Cảnh sát QLHC về TTXH".into(),
            residence: "Thôn 1, xã Sơn Lộ, tỉnh Thanh Hóa".into(),
        },
        members,
        indicators: vec![
            "Việc làm".into(),
            "Người phụ thuộc".into(),
            "Dinh dưỡng".into(),
            "Bảo hiểm y tế".into(),
            "Trình độ giáo dục của người lớn".into(),
            "Tình trạng đi học của trẻ em".into(),
            "Chất lượng nhà ở".into(),
            "Diện tích nhà ở bình quân đầu người".into(),
            "Nguồn nước sinh hoạt".into(),
            "Nhà tiêu hợp vệ sinh".into(),
            "Sử dụng dịch vụ viễn thông".into(),
            "Phương tiện phục vụ tiếp cận thông tin".into(),
        ],
        years: vec![2022, 2023, 2024, 2025],
        results: vec![
            YearResult {
                year: 2022,
                class: Some(YearClass::Poor),
                deprived: vec![0, 3, 6],
            },
            YearResult {
                year: 2023,
                class: Some(YearClass::NearPoor),
                deprived: vec![3],
            },
        ],
    }
}

#[test]
fn certificate_prints_number_members_and_yearly_grid() {
    let doc = form_03(&certificate());
    let path = out_dir().join("mau-03.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("render");
    assert_eq!(page_count(&pdfinfo(&path)), 1);
    let t = pdftotext(&path, Some(1));
    let s = squash(&t);
    for needle in [
        "Số: 37/GCN-HN.HCN",
        "GIẤY CHỨNG NHẬN HỘ NGHÈO, HỘ CẬN NGHÈO",
        "Ủy ban nhân dân xã Sơn Lộ chứng nhận:",
        "Sơn Lộ, ngày 15 tháng 01 năm 2026",
        "038100000000 Ngày cấp: 02/04/2021",
        "Kết quả rà soát hằng năm",
        "12. Phương tiện phục vụ tiếp cận thông tin",
    ] {
        assert!(s.contains(needle), "certificate lacks {needle:?}:\n{s}");
    }
    // The 2022 row: N and three marks; 2023: CN and one mark; 2024/2025 blank.
    let row = |year: &str| {
        t.lines()
            .find(|l| l.trim_start().starts_with(year))
            .map(squash)
            .unwrap_or_default()
    };
    assert_eq!(row("2022"), "2022 N x x x");
    assert_eq!(row("2023"), "2023 CN x");
    assert_eq!(row("2024"), "2024");
    png(&path, 1, "mau-03-page1");
}

#[test]
fn requests_and_surveys_render_blank_and_prefilled() {
    let blank = RequestInput {
        addressee: "Chủ tịch Ủy ban nhân dân xã Sơn Lộ".into(),
        applicant: Applicant::default(),
        members: vec![],
        reason: String::new(),
        place: String::new(),
        date: None,
    };
    let path = out_dir().join("mau-01-blank.pdf");
    write_file(
        &form_01(RequestKind::Review, &blank),
        OutputFormat::Pdf,
        &path,
    )
    .expect("render");
    let t = squash(&pdftotext(&path, None));
    assert!(
        t.contains("Mẫu số 01")
            && t.contains("GIẤY ĐỀ NGHỊ")
            && t.contains("Về việc rà soát hộ nghèo, hộ cận nghèo")
    );
    assert!(t.contains("Họ và tên: ....."), "blank field has dots: {t}");
    assert!(
        t.contains("Ngày …… tháng …… năm ……"),
        "blank date without a place"
    );
    png(&path, 1, "mau-01-blank");

    let filled = RequestInput {
        applicant: Applicant {
            full_name: "Lò Thị Xuân".into(),
            ethnicity: "Thái".into(),
            ..Applicant::default()
        },
        members: households(1, 1).remove(0).members,
        reason: "Thu nhập tăng do có việc làm ổn định".into(),
        place: "Sơn Lộ".into(),
        date: Some(date(2026, 10, 1)),
        ..blank
    };
    let path = out_dir().join("mau-04.pdf");
    write_file(&form_04(&filled), OutputFormat::Pdf, &path).expect("render");
    let t = squash(&pdftotext(&path, None));
    assert!(t.contains("Công nhận hộ thoát nghèo, hộ thoát cận nghèo"));
    assert!(
        t.contains("Họ và tên: Lò Thị Xuân") && t.contains("Sơn Lộ, ngày 01 tháng 10 năm 2026")
    );

    // Phiếu B2 pre-filled: points only as given by the rule set, total summed.
    let items = ["Việc làm", "Người phụ thuộc", "Dinh dưỡng"];
    let b2 = SurveyInput {
        kind: SurveyKind::B2,
        issuer: issuer(),
        household_head: "Lò Thị Xuân".into(),
        address: "Thôn 2".into(),
        household_code: String::new(),
        items: items
            .iter()
            .enumerate()
            .map(|(i, l)| SurveyItem {
                label: l.to_string(),
                checked: Some(i != 1),
                answer: None,
                points: Some(if i != 1 { 10 } else { 0 }),
                heading: false,
                scale: Vec::new(),
            })
            .collect(),
        details: Vec::new(),
        point_columns: Vec::new(),
        total: None,
        annex: None,
        notes: Vec::new(),
        place: "Sơn Lộ".into(),
        date: None,
    };
    let path = out_dir().join("phieu-b2.pdf");
    write_file(&survey_form(&b2), OutputFormat::Pdf, &path).expect("render");
    let t = squash(&pdftotext(&path, None));
    assert!(
        t.contains("PHIẾU B2") && t.contains("Tổng điểm B 20"),
        "{t}"
    );
    // Blank Phiếu A: no marks at all.
    let a = SurveyInput {
        kind: SurveyKind::A,
        items: vec![
            SurveyItem::blank("Hộ có ô tô"),
            SurveyItem::blank("Hộ có nhà kiên cố trên 100 m²"),
        ],
        ..b2
    };
    let table = survey_form(&a);
    let tbl = table.tables().next().expect("table");
    assert!(tbl
        .rows
        .iter()
        .all(|r| r.cells[2].value == Value::Empty && r.cells[3].value == Value::Empty));
    let html = render_html(&table).expect("html");
    assert!(html.contains("Hộ có nhà kiên cố trên 100 m²"));
}

fn cell(r: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    r.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

#[test]
fn xlsx_reads_back_cell_by_cell_with_merged_header() {
    let mut input = poor_list(6);
    input.households[0].members[0].full_name = "Nguyễn Thị Ánh, \"Bé\"".into();
    let doc = household_list(&issuer(), Some(date(2026, 11, 5)), &input);
    let path = out_dir().join("poor-list.xlsx");
    write_file(&doc, OutputFormat::Xlsx, &path).expect("render xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    let names = wb.sheet_names();
    assert_eq!(names, vec!["DANH SÁCH HỘ NGHÈO NĂM 2026".to_string()]);
    let range = wb.worksheet_range(&names[0]).expect("sheet");
    // Layout: row 0 heading, row 2 title, row 3 subtitle, rows 4–5 table header.
    assert_eq!(
        cell(&range, 0, 0),
        Data::String("UỶ BAN NHÂN DÂN\nXÃ SƠN LỘ".into())
    );
    assert_eq!(
        cell(&range, 0, 4),
        Data::String("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nSơn Lộ, ngày 05 tháng 11 năm 2026".into())
    );
    assert_eq!(
        cell(&range, 2, 0),
        Data::String("DANH SÁCH HỘ NGHÈO NĂM 2026".into())
    );
    let header_top = 4;
    let expect_header = [
        (0, "TT"),
        (1, "Họ và tên chủ hộ, thành viên"),
        (2, "Quan hệ với chủ hộ"),
        (3, "Năm sinh"),
        (5, "Dân tộc"),
        (6, "Số định danh cá nhân"),
        (7, "Thôn"),
        (8, "Điểm B1"),
        (9, "Điểm B2"),
        (10, "Ghi chú"),
    ];
    for (c, text) in expect_header {
        assert_eq!(
            cell(&range, header_top, c),
            Data::String(text.into()),
            "header col {c}"
        );
    }
    assert_eq!(cell(&range, header_top + 1, 3), Data::String("Nam".into()));
    assert_eq!(cell(&range, header_top + 1, 4), Data::String("Nữ".into()));
    let merges = wb
        .worksheet_merge_cells(&names[0])
        .expect("merge info")
        .expect("merges");
    let has = |r0: u32, c0: u32, r1: u32, c1: u32| {
        merges
            .iter()
            .any(|d| d.start == (r0, c0) && d.end == (r1, c1))
    };
    assert!(
        has(header_top, 0, header_top + 1, 0),
        "TT spans two header rows"
    );
    assert!(has(header_top, 3, header_top, 4), "Năm sinh spans Nam/Nữ");
    assert!(
        has(header_top + 2, 0, header_top + 2, 10),
        "group row spans the table"
    );
    // Body: group row, household 0 (one member), household 1 (two members)...
    let body = header_top + 2;
    assert_eq!(cell(&range, body, 0), Data::String("Thôn 1".into()));
    assert_eq!(cell(&range, body + 1, 0), Data::String("1".into()));
    assert_eq!(
        cell(&range, body + 1, 1),
        Data::String("Nguyễn Thị Ánh, \"Bé\"".into())
    );
    assert_eq!(cell(&range, body + 1, 2), Data::String("Chủ hộ".into()));
    assert_eq!(cell(&range, body + 1, 3), Data::String("1950".into()));
    assert_eq!(
        cell(&range, body + 1, 8),
        Data::Float(100.0),
        "B1 is a number"
    );
    assert_eq!(cell(&range, body + 1, 9), Data::Float(0.0));
    assert_eq!(cell(&range, body + 2, 0), Data::String("2".into()));
    assert_eq!(
        cell(&range, body + 3, 0),
        Data::Empty,
        "member row has no TT"
    );
    assert_eq!(cell(&range, body + 3, 2), Data::String("Vợ".into()));
    // Totals: 6 households with 1+2+3+4+1+2 members.
    let last_row = range.end().expect("non-empty").0;
    let total_row = (0..=last_row)
        .find(|r| matches!(cell(&range, *r, 0), Data::String(ref s) if s.starts_with("Tổng cộng")))
        .expect("total row");
    assert_eq!(
        cell(&range, total_row, 0),
        Data::String("Tổng cộng: 6 hộ, 13 khẩu".into())
    );
}

fn zip_entry(path: &std::path::Path, name: &str) -> String {
    let file = std::fs::File::open(path).expect("open xlsx");
    let mut archive = zip::ZipArchive::new(file).expect("xlsx is a zip");
    let mut entry = archive.by_name(name).expect("entry present");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).expect("utf-8 xml");
    text
}

#[test]
fn xlsx_print_setup_freezes_and_repeats_the_table_header() {
    let doc = household_list(&issuer(), None, &poor_list(30));
    let path = out_dir().join("print-setup.xlsx");
    write_file(&doc, OutputFormat::Xlsx, &path).expect("render");
    let sheet = zip_entry(&path, "xl/worksheets/sheet1.xml");
    let book = zip_entry(&path, "xl/workbook.xml");
    // Header rows are sheet rows 5–6 (1-based): frozen below them, repeated when printed.
    assert!(
        sheet.contains(
            r#"<pane ySplit="6" topLeftCell="A7" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{sheet}"
    );
    assert!(
        book.contains("_xlnm.Print_Titles") && book.contains("!$5:$6"),
        "{book}"
    );
    assert!(sheet.contains(r#"paperSize="9""#) && sheet.contains(r#"orientation="landscape""#));
    assert!(sheet.contains(r#"fitToPage="1""#), "fit to one page wide");
    let styles = zip_entry(&path, "xl/styles.xml");
    assert!(
        styles.contains(r##"formatCode="#,##0""##),
        "thousands format for integers"
    );
}

#[test]
fn xlsx_stat_table_numbers_and_percent_fractions() {
    let input = stat_input();
    let doc = stat_report(&issuer(), None, &input);
    let path = out_dir().join("stat.xlsx");
    write_file(&doc, OutputFormat::Xlsx, &path).expect("render");
    let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).expect("sheet");
    // Find the header row with "TT".
    let top = (0..20)
        .find(|r| cell(&range, *r, 0) == Data::String("TT".into()))
        .expect("header row");
    assert_eq!(cell(&range, top, 3), Data::String("Hộ nghèo".into()));
    assert_eq!(cell(&range, top + 1, 3), Data::String("Số hộ".into()));
    assert_eq!(cell(&range, top + 1, 4), Data::String("Tỷ lệ (%)".into()));
    let first = top + 2;
    assert_eq!(cell(&range, first, 1), Data::String("Thôn 1".into()));
    assert_eq!(cell(&range, first, 2), Data::Float(200.0));
    assert_eq!(cell(&range, first, 3), Data::Float(25.0));
    assert_eq!(
        cell(&range, first, 4),
        Data::Float(0.125),
        "percent stored as a fraction"
    );
    // Total row recomputes the percentage from the sums: (25+3+0)/(200+150+0).
    let total = first + 3;
    assert_eq!(cell(&range, total, 0), Data::String("Tổng cộng".into()));
    assert_eq!(cell(&range, total, 2), Data::Float(350.0));
    match cell(&range, total, 4) {
        Data::Float(f) => assert!((f - 28.0 / 350.0).abs() < 1e-12, "{f}"),
        other => panic!("total percent {other:?}"),
    }
    // Village 3 has no households: its percentage is blank, not NaN.
    assert_eq!(cell(&range, first + 2, 4), Data::Empty);
}

fn stat_input() -> StatTableInput {
    StatTableInput {
        title: "TỔNG HỢP KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2026".into(),
        subtitle: None,
        unit_label: "Thôn".into(),
        columns: vec![
            StatColumn {
                group: None,
                label: "Tổng số hộ".into(),
                value: StatValue::Count(0),
            },
            StatColumn {
                group: Some("Hộ nghèo".into()),
                label: "Số hộ".into(),
                value: StatValue::Count(1),
            },
            StatColumn {
                group: Some("Hộ nghèo".into()),
                label: "Tỷ lệ (%)".into(),
                value: StatValue::Percent { part: 1, whole: 0 },
            },
            StatColumn {
                group: Some("Hộ cận nghèo".into()),
                label: "Số hộ".into(),
                value: StatValue::Count(2),
            },
            StatColumn {
                group: Some("Hộ cận nghèo".into()),
                label: "Tỷ lệ (%)".into(),
                value: StatValue::Percent { part: 2, whole: 0 },
            },
        ],
        rows: vec![
            StatRow {
                label: "Thôn 1".into(),
                counts: vec![200, 25, 10],
            },
            StatRow {
                label: "Thôn 2".into(),
                counts: vec![150, 3, 1],
            },
            StatRow {
                label: "Thôn 3".into(),
                counts: vec![0, 0, 0],
            },
        ],
        total_label: Some("Tổng cộng".into()),
        percent_places: 2,
        numbering_row: false,
    }
}

#[test]
fn stat_table_percentages_match_an_independent_computation() {
    let input = stat_input();
    let t = stat_table(&input);
    let texts: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.cells.iter().map(|c| c.value.display()).collect())
        .collect();
    assert_eq!(
        texts[0],
        vec!["1", "Thôn 1", "200", "25", "12,50%", "10", "5,00%"]
    );
    assert_eq!(
        texts[1],
        vec!["2", "Thôn 2", "150", "3", "2,00%", "1", "0,67%"]
    );
    assert_eq!(texts[2], vec!["3", "Thôn 3", "0", "0", "", "0", ""]);
    let poor: i64 = input.rows.iter().map(|r| r.counts[1]).sum();
    let all: i64 = input.rows.iter().map(|r| r.counts[0]).sum();
    let want = format!("{:.2}%", poor as f64 * 100.0 / all as f64).replace('.', ",");
    assert_eq!(
        texts[3],
        vec![
            "Tổng cộng".to_string(),
            "350".into(),
            "28".into(),
            want,
            "11".into(),
            "3,14%".into()
        ]
    );
    let path = out_dir().join("stat.pdf");
    write_file(
        &stat_report(&issuer(), Some(date(2026, 12, 1)), &input),
        OutputFormat::Pdf,
        &path,
    )
    .expect("pdf");
    let s = squash(&pdftotext(&path, None));
    assert!(s.contains("Tổng cộng 350 28 8,00% 11 3,14%"), "{s}");
    png(&path, 1, "stat-page1");
}

/// A tiny RFC 4180 reader for the round trip.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                c => field.push(c),
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[test]
fn csv_has_bom_one_flat_header_and_round_trips_quotes() {
    let mut input = poor_list(4);
    input.households[1].members[0].full_name = "Trần \"Tí\", con\nông Ba".into();
    let doc = household_list(&issuer(), None, &input);
    let bytes = render(&doc, OutputFormat::Csv).expect("csv");
    assert!(bytes.starts_with(BOM));
    let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    assert!(text.contains("\r\n"), "CRLF line ends");
    let rows = parse_csv(text);
    assert_eq!(
        rows[0],
        vec![
            "TT",
            "Họ và tên chủ hộ, thành viên",
            "Quan hệ với chủ hộ",
            "Năm sinh - Nam",
            "Năm sinh - Nữ",
            "Dân tộc",
            "Số định danh cá nhân",
            "Thôn",
            "Điểm B1",
            "Điểm B2",
            "Ghi chú"
        ]
    );
    assert!(
        rows.iter().all(|r| r.len() == 11),
        "every row has 11 fields"
    );
    let tran = rows.iter().find(|r| r[0] == "2").expect("household 2");
    assert_eq!(tran[1], "Trần \"Tí\", con\nông Ba");
    assert_eq!(tran[8], "101", "plain numbers by default");
    let viet = render_csv_with(&doc, CsvNumbers::Vietnamese).expect("csv");
    assert!(viet.starts_with(BOM));
    let stat = render_csv_with(
        &stat_report(&issuer(), None, &stat_input()),
        CsvNumbers::Vietnamese,
    )
    .expect("csv");
    let stat_rows = parse_csv(std::str::from_utf8(&stat[3..]).expect("utf-8"));
    assert_eq!(
        stat_rows[1][4], "12,50%",
        "Vietnamese percentages, quoted because of the comma"
    );
}

#[test]
fn html_escapes_data_and_repeats_headers_when_printed() {
    let mut input = poor_list(3);
    input.households[0].members[0].full_name = "<script>alert('x')</script> & \"Bố\"".into();
    let doc = household_list(&issuer(), Some(date(2026, 11, 5)), &input);
    let html = render_html(&doc).expect("html");
    assert!(!html.contains("<script>"), "raw script must not survive");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bố&quot;"));
    assert!(html.contains("@page { size: A4 landscape;"));
    assert!(html.contains("thead { display: table-header-group; }"));
    assert!(html.contains("<th colspan=\"2\">Năm sinh</th>"));
    assert!(html.contains("<th rowspan=\"2\">TT</th>"));
    assert!(html.contains("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert!(html.contains("<html lang=\"vi\">"));
    std::fs::write(out_dir().join("poor-list.html"), html).expect("write");
}

#[test]
fn bad_table_is_refused_in_vietnamese_and_writes_nothing() {
    let mut doc = household_list(&issuer(), None, &poor_list(2));
    if let Some(Block::Table(t)) = doc.blocks.iter_mut().find(|b| matches!(b, Block::Table(_))) {
        t.rows.push(Row::data(vec![Cell::new("lẻ")]));
    }
    for format in [
        OutputFormat::Pdf,
        OutputFormat::Xlsx,
        OutputFormat::Csv,
        OutputFormat::Html,
    ] {
        let path = out_dir().join(format!("bad.{}", format.extension()));
        let _ = std::fs::remove_file(&path);
        let err = write_file(&doc, format, &path).expect_err("must fail");
        assert!(
            err.to_string().contains("có 1 cột nhưng bảng có 11 cột"),
            "{err}"
        );
        assert!(!path.exists(), "{format:?} wrote a file despite the error");
    }
    assert!(OutputFormat::parse("docx")
        .expect_err("unknown")
        .to_string()
        .contains("không được hỗ trợ"));
}

#[test]
fn long_renderings_report_progress_and_can_be_cancelled() {
    let doc = household_list(&issuer(), None, &poor_list(1500));
    let total: usize = doc.tables().map(|t| t.rows.len()).sum();
    for format in [
        OutputFormat::Pdf,
        OutputFormat::Xlsx,
        OutputFormat::Csv,
        OutputFormat::Html,
    ] {
        let mut seen = Vec::new();
        let mut cb = |done: usize, all: usize| {
            seen.push((done, all));
            true
        };
        let mut progress = Progress::new(&doc, &mut cb);
        render_with_progress(&doc, format, &mut progress).expect("render");
        assert!(seen.len() >= 2, "{format:?}: {seen:?}");
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "{format:?} progress increases"
        );
        assert_eq!(
            seen.last(),
            Some(&(total, total)),
            "{format:?} ends at 100 %"
        );

        let path = out_dir().join(format!("cancelled.{}", format.extension()));
        let _ = std::fs::remove_file(&path);
        let mut stop = |_done: usize, _all: usize| false;
        let mut progress = Progress::new(&doc, &mut stop);
        let err =
            write_file_with_progress(&doc, format, &path, &mut progress).expect_err("cancelled");
        assert_eq!(err.kind(), "conflict");
        assert!(err.to_string().contains("Đã hủy"), "{err}");
        assert!(
            !path.exists(),
            "{format:?}: a cancelled export writes nothing"
        );
    }
}

#[test]
fn decomposed_vietnamese_is_printed_precomposed_in_every_format() {
    let mut input = poor_list(2);
    // "Nguyễn Thị Ước" typed with a decomposed (NFD) input method.
    input.households[0].members[0].full_name =
        "Nguye\u{302}\u{303}n Thi\u{323} U\u{31b}o\u{31b}\u{301}c".into();
    let doc = household_list(&issuer(), None, &input);
    let composed = "Nguyễn Thị Ước";
    let csv = String::from_utf8(render(&doc, OutputFormat::Csv).expect("csv")).expect("utf-8");
    assert!(csv.contains(composed));
    let html = render_html(&doc).expect("html");
    assert!(html.contains(composed));
    let path = out_dir().join("nfc.xlsx");
    write_file(&doc, OutputFormat::Xlsx, &path).expect("xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).expect("sheet");
    assert!(range
        .used_cells()
        .any(|(_, _, v)| *v == Data::String(composed.into())));
    let path = out_dir().join("nfc.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("pdf");
    assert!(pdftotext(&path, None).contains(composed));
}

#[test]
fn a_list_longer_than_an_excel_sheet_is_refused_before_rendering() {
    use giamngheo_core::reports::xlsx::{check_fits, MAX_SHEET_ROWS};
    let doc = household_list(&issuer(), Some(date(2026, 11, 5)), &poor_list(30));
    check_fits(&doc, MAX_SHEET_ROWS).expect("fits");
    let rows: usize = doc.tables().map(|t| t.rows.len()).sum();
    let err = check_fits(&doc, rows).expect_err("over a small limit");
    let m = err.to_string();
    assert!(
        m.contains("giới hạn") && m.contains("CSV") && m.contains("không ghi tệp"),
        "{m}"
    );
}
