//! `giamngheo`: the command line of Sổ Giảm Nghèo, over the same core as the desktop app.
//! Messages are Vietnamese on stderr; data goes to stdout (JSON with `--json`).
//!
//! Exit status (stable, for scripts):
//! - 0 success
//! - 1 the operation failed (database, file or I/O error)
//! - 2 usage error (unknown command or option, missing value)
//! - 3 the input data is invalid (validation errors; nothing was changed)
//! - 4 not found (no such household, rule set, …)

/// mimalloc, as in the desktop app: see the workspace `Cargo.toml`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod classify;
mod conflict_cmd;
mod exchange_cmd;
mod office_cmd;
mod report_cmd;

use args::{Args, UsageError};
use giamngheo_core::register::HouseholdQuery;
use giamngheo_core::setup::{AreaType, NodeKind, Role, SetupInput, VillageInput, VillageKind};
use giamngheo_core::{Error, Ledger};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const FLAGS: &[&str] = &["json", "help", "dry-run", "list", "version", "no-round"];

const HELP: &str = "Sổ Giảm Nghèo — dòng lệnh

Cách dùng: giamngheo [--db TỆP] [--json] LỆNH ...

Các lệnh:
  init --province-code 04 --province-name \"Cao Bằng\" --commune-code 01234 --commune-name \"Sơn Lộ\"
       [--area rural|urban] [--b1-region VÙNG] [--village \"Xóm Khưa Lốm\"]... [--user \"Họ tên\"]
       [--role reviewer|commune_officer]
                                 Tạo cơ sở dữ liệu mới cho một xã.
  generate --households N --seed S [--no-round]
                                 Sinh dữ liệu mẫu (tạo xã mẫu nếu cơ sở dữ liệu chưa có) và đợt rà
                                 soát định kỳ năm nay đã có quyết định (trừ khi có --no-round).
  household list [--search CHỮ] [--village MÃ|TÊN] [--limit N] [--offset N]
                                 Danh sách hộ (tìm không phân biệt hoa thường, có dấu hay không).
  household show MÃ              Chi tiết một hộ (mã hộ hoặc mã nội bộ).
  household history MÃ           Lịch sử thay đổi của một hộ: ai sửa gì, khi nào, trên máy nào.
  classify --rules 2022-2025     Phân loại hộ: đọc JSON Lines từ stdin, ghi JSON Lines ra stdout.
  rules list                     Các chuẩn nghèo đã có (mã, phiên bản, hiệu lực, căn cứ pháp lý).
  rules load TỆP [--dry-run]     Nạp tệp chuẩn nghèo cập nhật (xem thay đổi trước với --dry-run).
  round list                     Các đợt rà soát.
  round show MÃ                  Tiến độ một đợt rà soát theo thôn/xóm và các việc còn phải làm.
  round whatif MÃ --rules 2027-2030
                                 Chạy lại đợt theo chuẩn nghèo khác (không ghi gì): các hộ đổi loại.
  report TÊN --format xlsx|pdf|csv|html --out TỆP [--round MÃ] [--household MÃ] [--village MÃ|TÊN]
       [--date 2026-10-28]       Lập danh sách, biểu mẫu, báo cáo (mặc định: đợt rà soát đã có
                                 quyết định gần nhất).
  report --list                  Các tên báo cáo (poor-list, near-poor-list, …); --json để lấy JSON.

Trao đổi dữ liệu qua thẻ nhớ USB (xem docs/EXCHANGE.md):
  setup office --code 04 --name \"Sở …\"         Thiết lập máy văn phòng.
  keys --out TỆP                 Ghi khoá công khai và dấu vân tay của máy này.
  keys rollover [--grace-days 90] [--out TỆP]
                                 Văn phòng đổi khoá; các xã nhận khoá mới trong gói trả về.
  setup commune --code 01234 --name \"Sơn Lộ\" --area rural|urban --office-keys TỆP
       [--province-code 04] [--province-name TÊN] [--role reviewer --officer-keys TỆP]
                                 Thiết lập máy của xã, ghim khoá của văn phòng.
  enrol request --out THƯ_MỤC    Yêu cầu đăng ký thiết bị (in dấu vân tay).
  enrol accept TỆP --fingerprint DVT --out THƯ_MỤC
                                 Văn phòng: cấp chứng thư sau khi đối chiếu dấu vân tay.
  export --out THƯ_MỤC [--to MÃ] Ghi gói dữ liệu (văn phòng: một gói trả về cho mỗi máy).
  import ĐƯỜNG_DẪN… [--dry-run]  Nhập tệp gói hoặc cả thư mục (mã thoát 3 nếu có gói bị từ chối).
  status                         Đã gửi, đã nhận, đã xác nhận, còn chờ.
  correct --id MÃ --field TRƯỜNG --value GIÁ_TRỊ --reason LÝ_DO [--entity household]
                                 Văn phòng: sửa một trường kèm lý do.
  revoke MÃ_MÁY --after-seq N    Văn phòng: thu hồi chứng thư một máy.
  conflicts                      Các mục cần xem xét: từng giá trị đang tranh chấp, ai ghi, lúc nào,
                                 trên máy nào (văn phòng hay xã).
  resolve LOẠI MÃ TRƯỜNG --pick NGUỒN:SỐ | --value GIÁ_TRỊ [--note GHI_CHÚ]
                                 Chọn một giá trị đang có hoặc nhập giá trị mới (kiểm tra như khi sửa).
  resolve LOẠI MÃ --keep-version NGUỒN:SỐ [--note GHI_CHÚ]
                                 Giữ cả một phiên bản của bản ghi cho mọi mục nó đang tranh chấp.

Quyết định của văn phòng (đi tới xã trong gói trả về):
  office approve MÃ_HỘ [--round MÃ] | office approve --round MÃ
                                 Duyệt kết quả một hộ hoặc cả đợt của một xã.
  office lock …  / office unlock …
                                 Khoá / mở khoá (như duyệt: sửa sau đó của xã thành yêu cầu thay đổi).
  office return MÃ_HỘ --reason LÝ_DO [--device MÃ_MÁY]
                                 Trả lại hộ để sửa, chỉ định máy phải sửa.
  office list [--commune MÃ]     Các hộ có quyết định và trạng thái.
  office returned                Việc cần sửa (hộ bị trả lại), ở xã và ở văn phòng.
  changes                        Yêu cầu thay đổi hồ sơ đã duyệt/khoá.
  changes accept MÃ | changes refuse MÃ [--reason LÝ_DO]
                                 Chấp nhận (áp dụng như sửa của văn phòng) hoặc từ chối.
  duplicates                     Người có thể trùng giữa các xã (cùng số định danh; cùng tên và ngày sinh).
  duplicates merge MÃ_GIỮ MÃ_KHÁC | duplicates dismiss MÃ_A MÃ_B | duplicates marks
                                 Gộp (giữ một, đánh dấu bản kia), “không phải cùng một người”,
                                 các đánh dấu trùng đã nhận.

Tuỳ chọn chung:
  --db TỆP     tệp cơ sở dữ liệu (mặc định: biến GIAMNGHEO_DB hoặc thư mục dữ liệu ứng dụng)
  --json       in kết quả dạng JSON

Mã thoát: 0 thành công; 1 lỗi khi thực hiện (cơ sở dữ liệu, tệp); 2 sai cách dùng;
3 dữ liệu không hợp lệ (không có gì bị thay đổi); 4 không tìm thấy.
";

/// How a command failed.
enum Failure {
    Usage(String),
    Core(Error),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e.0)
    }
}
impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    giamngheo_core::allocator::tune();
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&raw) {
        Ok(()) => 0,
        Err(Failure::Usage(m)) => {
            eprintln!("Lỗi: {m}\nGõ `giamngheo --help` để xem cách dùng.");
            2
        }
        Err(Failure::Core(e)) => {
            eprintln!("Lỗi: {e}");
            for f in e.field_errors() {
                if !f.field.is_empty() {
                    eprintln!("  - {}: {}", f.field, f.message);
                }
            }
            match e {
                Error::Invalid(_) | Error::Field { .. } | Error::Fields(_) | Error::Conflict(_) => {
                    3
                }
                Error::NotFound(_) => 4,
                Error::Database(_) | Error::Io(_) => 1,
            }
        }
    };
    ExitCode::from(code)
}

fn run(raw: &[String]) -> CmdResult {
    let args = Args::parse(raw, FLAGS)?;
    if args.flag("version") {
        println!("giamngheo {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    let words: Vec<&str> = args.positional.iter().map(String::as_str).collect();
    if args.flag("help") || words.is_empty() {
        print!("{HELP}");
        return Ok(());
    }
    match words.as_slice() {
        ["init"] => cmd_init(&args),
        ["generate"] => cmd_generate(&args),
        ["household", "list"] => cmd_household_list(&args),
        ["household", "show", id] => cmd_household_show(&args, id),
        ["household", "history", id] => cmd_household_history(&args, id),
        ["household", "show"] => Err(Failure::Usage(
            "Thiếu mã hộ: `giamngheo household show MÃ`.".into(),
        )),
        ["classify"] => cmd_classify(&args),
        ["rules", "list"] => cmd_rules_list(&args),
        ["rules", "load", file] => cmd_rules_load(&args, file),
        ["round", "list"] => cmd_round_list(&args),
        ["round", "show", id] => cmd_round_show(&args, id),
        ["round", "whatif", id] => cmd_round_whatif(&args, id),
        ["report"] => report_cmd::run(&args, None),
        ["report", name] => report_cmd::run(&args, Some(name)),
        // USB exchange (exchange_cmd.rs)
        ["setup", "office"] => exchange_cmd::setup_office(&args),
        ["setup", "commune"] => exchange_cmd::setup_commune(&args),
        ["keys"] => exchange_cmd::keys(&args),
        ["keys", "rollover"] => exchange_cmd::keys_rollover(&args),
        ["enrol", "request"] => exchange_cmd::enrol_request(&args),
        ["enrol", "accept", file] => exchange_cmd::enrol_accept(&args, file),
        ["export"] => exchange_cmd::export(&args),
        ["import", paths @ ..] => exchange_cmd::import(&args, paths),
        ["status"] => exchange_cmd::status(&args),
        ["correct"] => exchange_cmd::correct(&args),
        ["revoke", node] => exchange_cmd::revoke(&args, node),
        // Conflict review (conflict_cmd.rs)
        ["conflicts"] => conflict_cmd::conflicts(&args),
        ["resolve", rest @ ..] => conflict_cmd::resolve(&args, rest),
        // Office decisions, change requests, duplicate people (office_cmd.rs)
        ["office", rest @ ..] => office_cmd::office(&args, rest),
        ["changes", rest @ ..] => office_cmd::changes(&args, rest),
        ["duplicates", rest @ ..] => office_cmd::duplicates(&args, rest),
        [other, ..] => Err(Failure::Usage(format!("Lệnh không tồn tại: “{other}”."))),
        [] => unreachable!("handled above"),
    }
}

fn db_path(args: &Args) -> Result<PathBuf, Failure> {
    if let Some(p) = args.opt("db") {
        return Ok(PathBuf::from(p));
    }
    giamngheo_core::paths::default_db_path().ok_or_else(|| {
        Failure::Usage("Không xác định được thư mục dữ liệu: hãy dùng --db TỆP.".into())
    })
}

fn open(args: &Args) -> Result<Ledger, Failure> {
    Ok(Ledger::open(db_path(args)?)?)
}

fn open_set_up(args: &Args) -> Result<Ledger, Failure> {
    let ledger = open(args)?;
    if ledger.setup_info()?.is_none() {
        return Err(Failure::Core(Error::Conflict(format!(
            "Cơ sở dữ liệu {} chưa được thiết lập: hãy chạy `giamngheo init …` hoặc mở ứng dụng.",
            ledger.path().display()
        ))));
    }
    Ok(ledger)
}

fn print_json(v: &impl serde::Serialize) -> CmdResult {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Failure::Core(Error::Invalid(format!("Không tạo được JSON: {e}"))))?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = writeln!(out, "{s}");
    Ok(())
}

fn cmd_init(args: &Args) -> CmdResult {
    args.only(&[
        "db",
        "json",
        "province-code",
        "province-name",
        "commune-code",
        "commune-name",
        "area",
        "b1-region",
        "village",
        "user",
        "role",
    ])?;
    let area = args.opt("area").unwrap_or("rural");
    let area = AreaType::parse(area).ok_or_else(|| {
        UsageError(format!(
            "--area phải là rural hoặc urban, không phải “{area}”."
        ))
    })?;
    let role = args.opt("role").unwrap_or("commune_officer");
    let role =
        Role::parse(role).ok_or_else(|| UsageError(format!("--role không hợp lệ: “{role}”.")))?;
    let villages = args
        .opts("village")
        .into_iter()
        .map(|typed| {
            // "Bản Nà Pán" → kind bản, name "Nà Pán"; a name without a known prefix is a thôn.
            let folded = giamngheo_core::text::fold(&typed);
            let prefixes = [
                ("to dan pho ", 3, VillageKind::ToDanPho),
                ("thon ", 1, VillageKind::Thon),
                ("xom ", 1, VillageKind::Xom),
                ("ban ", 1, VillageKind::Ban),
                ("ap ", 1, VillageKind::Ap),
            ];
            let (name, kind) = prefixes
                .iter()
                .find(|(p, _, _)| folded.starts_with(p))
                .map(|(_, words, k)| {
                    (
                        typed
                            .split_whitespace()
                            .skip(*words)
                            .collect::<Vec<_>>()
                            .join(" "),
                        *k,
                    )
                })
                .unwrap_or((typed.trim().to_owned(), VillageKind::Thon));
            VillageInput {
                code: None,
                name,
                kind,
            }
        })
        .collect();
    let input = SetupInput {
        kind: NodeKind::Commune,
        province_code: args.required("province-code")?.into(),
        province_name: args.required("province-name")?.into(),
        commune_code: args.required("commune-code")?.into(),
        commune_name: args.required("commune-name")?.into(),
        area,
        b1_region: args.opt("b1-region").map(str::to_owned),
        villages,
        user_name: args.opt("user").unwrap_or("Cán bộ giảm nghèo").into(),
        user_role: role,
    };
    let mut ledger = open(args)?;
    let info = ledger.setup(&input)?;
    if args.flag("json") {
        print_json(&info)?;
    } else {
        eprintln!(
            "Đã tạo cơ sở dữ liệu cho {} ({}), {} thôn/xóm: {}",
            info.commune_name,
            info.commune_code,
            info.villages.len(),
            ledger.path().display()
        );
    }
    Ok(())
}

fn cmd_generate(args: &Args) -> CmdResult {
    args.only(&["db", "json", "households", "seed", "no-round"])?;
    let households: u32 = args
        .number("households")?
        .ok_or_else(|| UsageError("Thiếu tuỳ chọn bắt buộc --households.".into()))?;
    let seed: u64 = args.number("seed")?.unwrap_or(2026);
    if households == 0 || households > 2_000_000 {
        return Err(Failure::Usage(
            "--households phải từ 1 đến 2.000.000.".into(),
        ));
    }
    let mut ledger = open(args)?;
    let summary = giamngheo_core::populate::populate_with(
        &mut ledger,
        households,
        seed,
        !args.flag("no-round"),
    )?;
    if args.flag("json") {
        print_json(&summary)?;
    } else {
        eprintln!(
            "Đã thêm {} hộ ({} nhân khẩu) vào {}.",
            summary.households,
            summary.members,
            ledger.path().display()
        );
    }
    Ok(())
}

fn cmd_household_list(args: &Args) -> CmdResult {
    args.only(&["db", "json", "search", "village", "limit", "offset"])?;
    let ledger = open_set_up(args)?;
    let village_id = match args.opt("village") {
        None => None,
        Some(v) => {
            let folded = giamngheo_core::text::fold(v);
            let found = ledger.villages()?.into_iter().find(|x| {
                x.code == v || x.id == v || giamngheo_core::text::fold(&x.name) == folded
            });
            match found {
                Some(x) => Some(x.id),
                None => {
                    return Err(Failure::Core(Error::NotFound(format!(
                        "Không có thôn/xóm “{v}”."
                    ))))
                }
            }
        }
    };
    let limit: Option<u32> = args.number("limit")?;
    let offset: u32 = args.number("offset")?.unwrap_or(0);
    // One query for the whole filtered register (paging it is quadratic, see BENCHMARKS.md), then
    // the window asked for with --offset/--limit.
    let mut items = ledger.list_all_households(&HouseholdQuery {
        search: args.opt("search").map(str::to_owned),
        village_id,
        ..HouseholdQuery::default()
    })?;
    let start = (offset as usize).min(items.len());
    items.drain(..start);
    if let Some(l) = limit {
        items.truncate(l as usize);
    }
    if args.flag("json") {
        print_json(&items)?;
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{:<12} {:<28} {:<22} {:>4}",
            "MÃ HỘ", "CHỦ HỘ", "THÔN/XÓM", "NK"
        );
        for h in &items {
            let _ = writeln!(
                out,
                "{:<12} {:<28} {:<22} {:>4}",
                h.code, h.head_name, h.village, h.members
            );
        }
        eprintln!("{} hộ.", items.len());
    }
    Ok(())
}

/// The internal id of a household given by its display code or its id.
fn resolve_household(ledger: &Ledger, id: &str) -> Result<String, Failure> {
    let resolved: Option<String> = ledger
        .conn()
        .query_row(
            "SELECT id FROM household WHERE (id = ?1 OR code = ?1) AND deleted = 0 LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .ok();
    resolved.ok_or_else(|| Failure::Core(Error::NotFound(format!("Không tìm thấy hộ “{id}”."))))
}

fn cmd_household_history(args: &Args, id: &str) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open_set_up(args)?;
    let history = ledger.household_history(&resolve_household(&ledger, id)?)?;
    if args.flag("json") {
        return print_json(&history);
    }
    let mut out = std::io::stdout().lock();
    for e in &history {
        let _ = writeln!(
            out,
            "{} · {} · máy {} — {}",
            e.time, e.user, e.device, e.what
        );
        for c in &e.changes {
            let _ = writeln!(out, "    {}: {}", c.label, c.value);
        }
    }
    Ok(())
}

fn cmd_household_show(args: &Args, id: &str) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open_set_up(args)?;
    let hid = resolve_household(&ledger, id)?;
    let detail = ledger.household(&hid)?;
    if args.flag("json") {
        print_json(&detail)?;
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "Hộ {} — chủ hộ {} — {}",
            detail.code, detail.head_name, detail.village
        );
        let _ = writeln!(out, "Địa chỉ: {}", detail.address);
        for m in &detail.members {
            let _ = writeln!(
                out,
                "  - {} ({}, {}, {}){}",
                m.full_name,
                giamngheo_core::register::RELATIONS
                    .iter()
                    .find(|(c, _)| *c == m.relation)
                    .map(|(_, l)| *l)
                    .unwrap_or(""),
                if m.sex == "female" { "nữ" } else { "nam" },
                m.age_text,
                if m.status == "present" {
                    String::new()
                } else {
                    format!(" [{}]", m.status)
                }
            );
        }
    }
    Ok(())
}

/// `classify --rules ID`: the stable JSON Lines contract (see classify.rs). Exit status 0 unless
/// stdin cannot be read; an unknown rule set is a usage error (2).
fn cmd_classify(args: &Args) -> CmdResult {
    args.only(&["rules", "db"])?;
    let rules_id = args.required("rules")?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let code = classify::run(rules_id, &mut input, &mut out, &mut err);
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

fn cmd_rules_list(args: &Args) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open(args)?;
    let sets = ledger.rule_sets()?;
    let list: Vec<serde_json::Value> = sets
        .all()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id, "version": r.version, "label": r.label, "legal_basis": r.legal_basis,
                "valid_from": r.valid_from, "valid_to": r.valid_to,
                "indicators": r.indicators.len(), "score_a_line": r.score_a_line.is_some(),
            })
        })
        .collect();
    if args.flag("json") {
        return print_json(&list);
    }
    let mut out = std::io::stdout().lock();
    for r in sets.all() {
        let _ = writeln!(
            out,
            "{} (phiên bản {}): {} — hiệu lực {} đến {}",
            r.id,
            r.version,
            r.legal_basis,
            r.valid_from.format("%d/%m/%Y"),
            r.valid_to.format("%d/%m/%Y")
        );
    }
    Ok(())
}

fn cmd_rules_load(args: &Args, file: &str) -> CmdResult {
    args.only(&["db", "json", "dry-run"])?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        Failure::Core(Error::Io(format!(
            "Không đọc được tệp chuẩn nghèo {file}: {}",
            giamngheo_core::error::describe_io_error(&e)
        )))
    })?;
    let mut ledger = open_set_up(args)?;
    let (set, changes) = ledger.preview_rule_set(&text)?;
    let changes: Vec<String> = changes
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.description)
        .collect();
    if !args.flag("dry-run") {
        ledger.load_rule_set(&text)?;
    }
    let report = serde_json::json!({
        "id": set.id, "version": set.version, "loaded": !args.flag("dry-run"), "changes": changes,
    });
    if args.flag("json") {
        return print_json(&report);
    }
    eprintln!(
        "{} chuẩn nghèo {} phiên bản {} ({} thay đổi so với phiên bản trước):",
        if args.flag("dry-run") {
            "Sẽ nạp"
        } else {
            "Đã nạp"
        },
        set.id,
        set.version,
        changes.len()
    );
    for c in changes {
        eprintln!("  - {c}");
    }
    Ok(())
}

fn cmd_round_list(args: &Args) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open_set_up(args)?;
    let rounds = ledger.rounds()?;
    if args.flag("json") {
        return print_json(&rounds);
    }
    let mut out = std::io::stdout().lock();
    for r in &rounds {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}/{} hộ đã rà soát, {} nghèo, {} cận nghèo{}",
            r.id,
            r.title,
            r.rules_id,
            r.surveyed,
            r.households,
            r.poor,
            r.near_poor,
            if r.locked {
                ", đã có quyết định"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn resolve_round(ledger: &Ledger, id: &str) -> Result<String, Failure> {
    let rounds = ledger.rounds()?;
    rounds
        .iter()
        .find(|r| r.id == id || r.id.starts_with(id))
        .map(|r| r.id.clone())
        .ok_or_else(|| {
            Failure::Core(Error::NotFound(format!(
                "Không tìm thấy đợt rà soát “{id}”."
            )))
        })
}

fn cmd_round_show(args: &Args, id: &str) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open_set_up(args)?;
    let detail = ledger.round(&resolve_round(&ledger, id)?)?;
    if args.flag("json") {
        return print_json(&detail);
    }
    let mut out = std::io::stdout().lock();
    let r = &detail.round;
    let _ = writeln!(
        out,
        "{} — chuẩn nghèo {} — {}",
        r.title, r.rules_id, r.status
    );
    for v in &detail.villages {
        let _ = writeln!(
            out,
            "  {:<22} {:>4}/{:<4} hộ, {} nghèo, {} cận nghèo{}",
            v.village,
            v.surveyed,
            v.total,
            v.poor,
            v.near_poor,
            v.meeting
                .as_ref()
                .map(|m| format!(", họp dân {}% đồng ý", m.agreement_pct))
                .unwrap_or_default()
        );
    }
    for b in &detail.blockers {
        let _ = writeln!(out, "  Còn phải làm: {b}");
    }
    Ok(())
}

fn cmd_round_whatif(args: &Args, id: &str) -> CmdResult {
    args.only(&["db", "json", "rules"])?;
    let ledger = open_set_up(args)?;
    let rules = args.required("rules")?;
    let w = ledger.what_if(&resolve_round(&ledger, id)?, rules)?;
    if args.flag("json") {
        return print_json(&w);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Theo chuẩn nghèo {}: {} trong {} hộ đổi loại, {} hộ không phân loại được.",
        w.rules_label,
        w.changed.len(),
        w.households,
        w.unclassifiable.len()
    );
    for v in &w.by_village {
        let _ = writeln!(
            out,
            "  {:<22} nghèo {} → {}, cận nghèo {} → {}, đổi loại {}",
            v.village,
            v.poor_before,
            v.poor_after,
            v.near_poor_before,
            v.near_poor_after,
            v.changed
        );
    }
    Ok(())
}
