//! The exchange commands of the CLI (trao đổi dữ liệu qua USB): `setup office`, `setup commune`,
//! `keys`, `enrol request|accept`, `export`, `import`, `status`, `correct`, `revoke`. Each prints
//! JSON with `--json` (the contract of issue 4) and a short Vietnamese summary otherwise.
//!
//! Deliberately absent: any exchange logic — every command is one call into
//! `giamngheo_core::sync` on the opened ledger.

use crate::args::{Args, UsageError};
use crate::{open, open_set_up, print_json, CmdResult, Failure};
use giamngheo_core::exchange::KeysFile;
use giamngheo_core::setup::{AreaType, NodeKind, Role, SetupInput};
use giamngheo_core::sync::ImportStatus;
use giamngheo_core::Error;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

fn read_keys(path: &str) -> Result<KeysFile, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Core(Error::Io(format!(
            "Không đọc được tệp khoá công khai {path}: {e}"
        )))
    })?;
    Ok(KeysFile::from_json(&text)?)
}

fn out_dir(args: &Args) -> Result<PathBuf, Failure> {
    Ok(PathBuf::from(args.required("out")?))
}

/// `setup office --code CODE --name NAME [--province-name TÊN] [--user HỌ_TÊN]`
pub fn setup_office(args: &Args) -> CmdResult {
    args.only(&["db", "json", "code", "name", "province-name", "user"])?;
    let code = args.required("code")?.trim().to_owned();
    let name = args.required("name")?;
    let input = SetupInput {
        kind: NodeKind::Office,
        province_code: code.chars().take(2).collect(),
        province_name: args.opt("province-name").unwrap_or(name).into(),
        commune_code: code.clone(),
        commune_name: name.into(),
        area: AreaType::Rural,
        b1_region: None,
        villages: Vec::new(),
        user_name: args.opt("user").unwrap_or("Cán bộ văn phòng").into(),
        user_role: Role::OfficeOfficer,
    };
    let mut ledger = open(args)?;
    let info = ledger.setup(&input)?;
    if args.flag("json") {
        print_json(&info)?;
    } else {
        eprintln!(
            "Đã thiết lập văn phòng {} (mã {}, mã ngắn {}): {}",
            info.commune_name,
            info.commune_code,
            info.short_code,
            ledger.path().display()
        );
        eprintln!("Tiếp theo: `giamngheo --db … keys --out TỆP` để lấy tệp khoá công khai gửi cho các xã.");
    }
    Ok(())
}

/// `setup commune --code CODE --name NAME --area rural|urban --office-keys FILE
///  [--province-code 04] [--province-name TÊN] [--role reviewer|commune_officer]
///  [--officer-keys FILE] [--user HỌ_TÊN]`
pub fn setup_commune(args: &Args) -> CmdResult {
    args.only(&[
        "db",
        "json",
        "code",
        "name",
        "area",
        "office-keys",
        "officer-keys",
        "province-code",
        "province-name",
        "role",
        "user",
        "b1-region",
    ])?;
    let area = args.required("area")?;
    let area = AreaType::parse(area).ok_or_else(|| {
        UsageError(format!(
            "--area phải là rural hoặc urban, không phải “{area}”."
        ))
    })?;
    let role = match args.opt("role").unwrap_or("commune_officer") {
        "reviewer" => Role::Reviewer,
        "commune_officer" => Role::CommuneOfficer,
        other => {
            return Err(Failure::Usage(format!(
                "--role phải là reviewer hoặc commune_officer, không phải “{other}”."
            )))
        }
    };
    // Check both keys files before anything is written.
    let office = read_keys(args.required("office-keys")?)?;
    let officer = match args.opt("officer-keys") {
        Some(p) => Some(read_keys(p)?),
        None => None,
    };
    if officer.is_some() && role != Role::Reviewer {
        return Err(Failure::Usage(
            "--officer-keys chỉ dùng cho máy rà soát viên (--role reviewer).".into(),
        ));
    }
    // The province: given, or the office's 2-digit code (short code VP04 → 04).
    let province_code = match args.opt("province-code") {
        Some(p) => p.trim().to_owned(),
        None => office
            .short_code
            .as_deref()
            .and_then(|s| s.strip_prefix("VP"))
            .map(|c| c.chars().take(2).collect::<String>())
            .filter(|c| c.len() == 2 && c.chars().all(|x| x.is_ascii_digit()))
            .ok_or_else(|| {
                UsageError(
                    "Không suy ra được mã tỉnh từ tệp khoá: hãy thêm --province-code.".into(),
                )
            })?,
    };
    // Default: the office's province name from its keys file (both sides then write the same
    // province row and no review item is raised for it).
    let province_name = args
        .opt("province-name")
        .map(str::to_owned)
        .or_else(|| office.province_name.clone())
        .unwrap_or_else(|| format!("Tỉnh/thành phố mã {province_code}"));
    let input = SetupInput {
        kind: NodeKind::Commune,
        province_code,
        province_name,
        commune_code: args.required("code")?.trim().into(),
        commune_name: args.required("name")?.into(),
        area,
        b1_region: args.opt("b1-region").map(str::to_owned),
        villages: Vec::new(),
        user_name: args
            .opt("user")
            .unwrap_or(if role == Role::Reviewer {
                "Rà soát viên"
            } else {
                "Cán bộ giảm nghèo"
            })
            .into(),
        user_role: role,
    };
    let mut ledger = open(args)?;
    let info = ledger.setup(&input)?;
    ledger.pin_office(&office)?;
    if let Some(o) = &officer {
        ledger.pin_officer(o)?;
    }
    if args.flag("json") {
        print_json(&json!({
            "setup": info,
            "office": office.node_id,
            "office_fingerprint": office.fingerprint,
            "officer": officer.as_ref().map(|o| o.node_id.clone()),
        }))?;
    } else {
        eprintln!(
            "Đã thiết lập {} ({}) và ghim khoá của văn phòng (dấu vân tay {}). Tiếp theo: `enrol request --out THƯ_MỤC`.",
            info.commune_name, info.commune_code, office.fingerprint
        );
    }
    Ok(())
}

/// `keys --out FILE`
pub fn keys(args: &Args) -> CmdResult {
    args.only(&["db", "json", "out"])?;
    let ledger = open_set_up(args)?;
    let f = ledger.public_keys_file()?;
    let out = PathBuf::from(args.required("out")?);
    std::fs::write(&out, f.to_json() + "\n").map_err(|e| {
        Failure::Core(Error::Io(format!(
            "Không ghi được tệp khoá {}: {e}",
            out.display()
        )))
    })?;
    if args.flag("json") {
        print_json(&json!({
            "file": out,
            "node_id": f.node_id,
            "short_code": f.short_code,
            "fingerprint": f.fingerprint,
        }))?;
    } else {
        eprintln!(
            "Đã ghi khoá công khai vào {}. Dấu vân tay: {}",
            out.display(),
            f.fingerprint
        );
    }
    Ok(())
}

/// `keys rollover [--grace-days N] [--out FILE]` — office only: new keys, the statement signed by
/// the old key travels in the next return packages; `--out` writes the new public keys file.
pub fn keys_rollover(args: &Args) -> CmdResult {
    args.only(&["db", "json", "grace-days", "out"])?;
    let grace = match args.opt("grace-days") {
        None => giamngheo_core::sync::rollover::DEFAULT_GRACE_DAYS,
        Some(v) => v.trim().parse::<u32>().map_err(|_| {
            Failure::Usage(format!(
                "--grace-days cần một số ngày (0 đến {}), không phải “{v}”.",
                giamngheo_core::sync::rollover::MAX_GRACE_DAYS
            ))
        })?,
    };
    let mut ledger = open_set_up(args)?;
    let r = ledger.rollover_keys(grace)?;
    if let Some(out) = args.opt("out") {
        std::fs::write(out, r.keys_file.to_json() + "\n")
            .map_err(|e| Failure::Core(Error::Io(format!("Không ghi được tệp khoá {out}: {e}"))))?;
    }
    if args.flag("json") {
        print_json(&json!({
            "serial": r.serial,
            "fingerprint": r.fingerprint,
            "old_fingerprint": r.old_fingerprint,
            "grace_until": r.grace_until,
            "file": args.opt("out"),
        }))?;
    } else {
        eprintln!(
            "Đã đổi khoá văn phòng sang thế hệ {}. Dấu vân tay mới: {} (cũ: {}). Gói mã hoá bằng khoá cũ được nhận đến {}. Hãy xuất gói trả về cho các xã để gửi khoá mới.",
            r.serial, r.fingerprint, r.old_fingerprint, r.grace_until
        );
    }
    Ok(())
}

/// `enrol request --out DIR`
pub fn enrol_request(args: &Args) -> CmdResult {
    args.only(&["db", "json", "out"])?;
    let mut ledger = open_set_up(args)?;
    let r = ledger.enrolment_request(&out_dir(args)?)?;
    if args.flag("json") {
        print_json(
            &json!({"file": r.file, "fingerprint": r.fingerprint, "bytes": r.bytes, "sha256": r.sha256}),
        )?;
    } else {
        println!("{}", r.file.display());
        eprintln!(
            "Đã ghi yêu cầu đăng ký ({} byte, mã băm {}). Ghi dấu vân tay này vào phiếu đăng ký: {}\nCó thể rút thẻ nhớ an toàn.",
            r.bytes, r.short_hash, r.fingerprint
        );
    }
    Ok(())
}

/// `enrol accept FILE --fingerprint FP --out DIR`
pub fn enrol_accept(args: &Args, file: &str) -> CmdResult {
    args.only(&["db", "json", "out", "fingerprint"])?;
    let fp = args.required("fingerprint")?;
    let mut ledger = open_set_up(args)?;
    let r = ledger.accept_enrolment(Path::new(file), fp, &out_dir(args)?)?;
    if args.flag("json") {
        print_json(&r)?;
    } else {
        println!("{}", r.file.display());
        eprintln!(
            "Đã cấp chứng thư số {} cho thiết bị {} (xã {}). Mang gói trả lời về máy của xã và nhập bằng `import`.",
            r.serial, r.short_code, r.commune_code
        );
    }
    Ok(())
}

/// `export --out DIR [--to MÃ]`
pub fn export(args: &Args) -> CmdResult {
    args.only(&["db", "json", "out", "to"])?;
    let mut ledger = open_set_up(args)?;
    let is_office = ledger
        .local_identity()?
        .map(|i| i.kind == "office")
        .unwrap_or(false);
    let results = ledger.export(&out_dir(args)?, args.opt("to"))?;
    if args.flag("json") {
        if is_office && args.opt("to").is_none() {
            print_json(&results)?;
        } else if let Some(r) = results.first() {
            print_json(r)?;
        }
    } else {
        let mut out = std::io::stdout().lock();
        for r in &results {
            let _ = writeln!(out, "{}", r.file.display());
            eprintln!(
                "Đã ghi {} cho {}: {} thao tác, {} byte, mã băm {}.",
                r.file_name, r.receiver, r.ops, r.bytes, r.short_hash
            );
        }
        eprintln!("Đã kiểm tra lại tệp trên thẻ nhớ: có thể rút thẻ nhớ an toàn.");
    }
    Ok(())
}

/// `import PATH… [--dry-run]` — exit 0 if every package was imported or already known, 3 if at
/// least one was rejected or set aside (the JSON report is printed either way).
pub fn import(args: &Args, paths: &[&str]) -> CmdResult {
    args.only(&["db", "json", "dry-run"])?;
    if paths.is_empty() {
        return Err(Failure::Usage(
            "Thiếu tệp hoặc thư mục gói: `giamngheo import ĐƯỜNG_DẪN… [--dry-run]`.".into(),
        ));
    }
    let mut ledger = open_set_up(args)?;
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let dry = args.flag("dry-run");
    let reports = ledger.import_paths(&paths, dry)?;
    if args.flag("json") {
        print_json(&reports)?;
    } else {
        for r in &reports {
            let status = match r.status {
                ImportStatus::Imported if dry => "sẽ nhập",
                ImportStatus::Imported => "đã nhập",
                ImportStatus::Duplicate => "đã có",
                ImportStatus::Rejected => "bị từ chối",
                ImportStatus::Quarantined => "để riêng (cách ly)",
            };
            eprintln!(
                "{}: {status} — {} thao tác mới, {} trùng, {} mục cần xem xét{}",
                r.file,
                r.ops_new,
                r.ops_duplicate,
                r.conflicts,
                r.reason
                    .as_deref()
                    .map(|m| format!(". {m}"))
                    .unwrap_or_default()
            );
        }
        if dry {
            eprintln!("Chạy thử: không có gì được ghi vào cơ sở dữ liệu.");
        }
    }
    if reports
        .iter()
        .any(|r| matches!(r.status, ImportStatus::Rejected | ImportStatus::Quarantined))
    {
        std::process::exit(3);
    }
    Ok(())
}

/// `status`
pub fn status(args: &Args) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open_set_up(args)?;
    let s = ledger.exchange_status()?;
    if args.flag("json") {
        print_json(&s)?;
    } else {
        eprintln!(
            "Máy {} ({}, xã/cơ quan {}) — {}",
            s.short_code,
            s.role,
            s.commune_code,
            if s.enrolled {
                "đã đăng ký"
            } else {
                "CHƯA đăng ký với văn phòng"
            }
        );
        for m in [&s.stale_copy, &s.office_restored].into_iter().flatten() {
            eprintln!("CẢNH BÁO: {m}");
        }
        eprintln!(
            "Đã gửi {} gói, đã nhận {} gói.",
            s.sent.len(),
            s.received.len()
        );
        for p in &s.pending {
            eprintln!(
                "  Chờ gửi cho {}: {} thao tác chưa được xác nhận.",
                p.short_code, p.ops
            );
        }
        for c in &s.communes {
            eprintln!(
                "  Xã {} {}: {} máy, {} gói đã nhận (gần nhất {}), {} hộ, {} hộ đã rà soát, {} mục cần xem xét.",
                c.commune_code,
                c.name.as_deref().unwrap_or(""),
                c.devices,
                c.packages_received,
                c.last_package_at.as_deref().unwrap_or("chưa có"),
                c.households,
                c.households_reviewed,
                c.open_conflicts
            );
        }
        for a in &s.acks {
            eprintln!(
                "  {} xác nhận đã có thao tác của {} đến số {}.",
                a.peer_short_code, a.origin_short_code, a.contiguous_seq
            );
        }
    }
    Ok(())
}

/// `correct --entity household --id ID --field FIELD --value VALUE --reason LÝ_DO` (office).
pub fn correct(args: &Args) -> CmdResult {
    args.only(&["db", "json", "entity", "id", "field", "value", "reason"])?;
    let mut ledger = open_set_up(args)?;
    let raw = args.required("value")?;
    // A JSON literal (number, true/false, null) or plain text.
    let value = serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .filter(|v| !v.is_object() && !v.is_array())
        .unwrap_or_else(|| serde_json::Value::String(raw.to_owned()));
    let key = ledger.correct_field(
        args.opt("entity").unwrap_or("household"),
        args.required("id")?,
        args.required("field")?,
        value,
        args.required("reason")?,
    )?;
    if args.flag("json") {
        print_json(&json!({"origin": key.0, "seq": key.1}))?;
    } else {
        eprintln!("Đã sửa và ghi lý do; xã sẽ nhận trong gói trả về tiếp theo.");
    }
    Ok(())
}

/// `revoke NODE --after-seq N` (office).
pub fn revoke(args: &Args, node: &str) -> CmdResult {
    args.only(&["db", "json", "after-seq"])?;
    let after: i64 = args
        .number("after-seq")?
        .ok_or_else(|| UsageError("Thiếu tuỳ chọn bắt buộc --after-seq.".into()))?;
    let mut ledger = open_set_up(args)?;
    ledger.revoke_device(node, after)?;
    if args.flag("json") {
        print_json(&json!({"node": node, "revoked_after_seq": after}))?;
    } else {
        eprintln!("Đã thu hồi chứng thư của {node}: thao tác sau số {after} sẽ bị để riêng.");
    }
    Ok(())
}
