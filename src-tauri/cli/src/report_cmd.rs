//! `giamngheo report`: every list, form and report of the catalogue written to a file
//! (`report NAME --format xlsx|pdf|csv|html --out FILE`), and the catalogue itself
//! (`report --list [--json]`). It deliberately builds nothing itself: documents come from
//! `Ledger::build_report`, files from the core renderers. Progress goes to stderr.

use crate::args::{Args, UsageError};
use crate::{open_set_up, print_json, CmdResult, Failure};
use giamngheo_core::reports::{
    self, ExportStage, OutputFormat, Progress, ReportNeeds, ReportParams,
};
use std::io::Write;
use std::path::PathBuf;

/// `report --list` or `report NAME …`.
pub fn run(args: &Args, name: Option<&str>) -> CmdResult {
    if args.flag("list") {
        args.only(&["db", "json", "list"])?;
        return list(args);
    }
    let Some(name) = name else {
        return Err(Failure::Usage(
            "Thiếu tên báo cáo: `giamngheo report TÊN --format pdf --out TỆP` (xem `giamngheo report --list`).".into(),
        ));
    };
    args.only(&[
        "db",
        "json",
        "format",
        "out",
        "round",
        "household",
        "village",
        "date",
    ])?;
    let info = reports::report_info(name).map_err(|_| {
        Failure::Usage(format!(
            "Không có báo cáo tên “{name}”. Xem các tên bằng `giamngheo report --list`."
        ))
    })?;
    let format = match args.opt("format") {
        Some(f) => OutputFormat::parse(f).map_err(|e| Failure::Usage(e.to_string()))?,
        None => match args.opt("out").and_then(|o| {
            PathBuf::from(o)
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_owned)
        }) {
            Some(ext) => OutputFormat::parse(&ext).map_err(|e| Failure::Usage(e.to_string()))?,
            None => {
                return Err(Failure::Usage(
                    "Thiếu tuỳ chọn --format (xlsx, pdf, csv hoặc html).".into(),
                ))
            }
        },
    };
    let out = PathBuf::from(args.required("out")?);
    if info.needs == ReportNeeds::Household && args.opt("household").is_none() {
        return Err(Failure::Usage(format!(
            "Thiếu --household MÃ_HỘ: “{}” ({}) lập cho một hộ gia đình.",
            info.title, info.name
        )));
    }
    let date = match args.opt("date") {
        None => None,
        Some(d) => Some(giamngheo_core::register::parse_date(d).ok_or_else(|| {
            UsageError(format!(
                "Ngày “{d}” không hợp lệ: dùng dạng 2026-10-28 hoặc 28/10/2026."
            ))
        })?),
    };
    let ledger = open_set_up(args)?;
    let params = ReportParams {
        round_id: args.opt("round").map(str::to_owned),
        household_id: args.opt("household").map(str::to_owned),
        village_id: args.opt("village").map(str::to_owned),
        date,
    };
    eprintln!("Đang lập “{}”…", info.title);
    let mut last_shown = (ExportStage::Reading, 0usize);
    let mut callback = |stage: ExportStage, done: usize, total: usize| {
        let step = 5 * Progress::STEP;
        if total >= step && (stage != last_shown.0 || done >= last_shown.1 + step || done == total)
        {
            last_shown = (stage, done);
            let what = match stage {
                ExportStage::Reading => "đã đọc",
                ExportStage::Rendering => "đã xuất",
            };
            eprint!("\r  {what} {done}/{total} dòng");
            if done == total {
                eprintln!();
            }
        }
        true
    };
    let doc = ledger.export_report(&info.name, &params, format, &out, &mut callback)?;
    if args.flag("json") {
        print_json(&serde_json::json!({
            "name": info.name,
            "title": info.title,
            "format": format.extension(),
            "out": out.display().to_string(),
            "rows": doc.tables().map(|t| t.rows.len()).sum::<usize>(),
        }))?;
    } else {
        eprintln!("Đã ghi {} ({}).", out.display(), format.extension());
    }
    Ok(())
}

fn list(args: &Args) -> CmdResult {
    let catalog = reports::catalog();
    if args.flag("json") {
        return print_json(&catalog);
    }
    let mut out = std::io::stdout().lock();
    for r in &catalog {
        let needs = match r.needs {
            ReportNeeds::Round => "",
            ReportNeeds::Household => "  [--household]",
            ReportNeeds::None => "  [--household tuỳ chọn]",
        };
        let _ = writeln!(out, "{:<28} {}{}", r.name, r.title, needs);
    }
    Ok(())
}
