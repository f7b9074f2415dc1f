//! The office's decisions on the command line (quyết định của văn phòng): `office approve|lock|
//! unlock|return|list|returned`, `changes [accept|refuse ID]`, `duplicates [merge|dismiss|marks]`.
//! Each prints JSON with `--json` and a short Vietnamese summary otherwise.
//!
//! Deliberately absent: any rule — every command is one call into `giamngheo_core::office`.

use crate::args::{Args, UsageError};
use crate::{open_set_up, print_json, CmdResult, Failure};
use giamngheo_core::office::OfficeAction;

fn action_label(a: &str) -> &'static str {
    match a {
        "approve" => "Đã duyệt",
        "lock" => "Đã khoá",
        "unlock" => "Đã mở khoá",
        "return" => "Đã trả lại để sửa",
        "merge" => "Đã gộp người trùng",
        "distinct" => "Đã ghi nhận không phải cùng một người",
        "accept_change" => "Đã chấp nhận yêu cầu thay đổi",
        "refuse_change" => "Đã từ chối yêu cầu thay đổi",
        _ => "Đã ghi quyết định",
    }
}

fn print_action(args: &Args, a: &OfficeAction) -> CmdResult {
    if args.flag("json") {
        print_json(a)?;
    } else {
        let what = match (&a.household_code, &a.round_id) {
            (Some(h), _) => format!("hộ {h}"),
            (None, Some(r)) => format!(
                "cả đợt {r} của xã {}",
                a.commune_code.clone().unwrap_or_default()
            ),
            _ => String::new(),
        };
        eprintln!(
            "{} {what}; xã sẽ nhận trong gói trả về tiếp theo.",
            action_label(&a.action)
        );
    }
    Ok(())
}

/// `office approve|lock|unlock [HỘ] [--round MÃ]`, `office return HỘ --reason … [--device MÁY]`,
/// `office list [--commune MÃ]`, `office returned`.
pub fn office(args: &Args, words: &[&str]) -> CmdResult {
    match words {
        [verb @ ("approve" | "lock" | "unlock"), rest @ ..] => {
            args.only(&["db", "json", "round"])?;
            let household = match rest {
                [] => None,
                [h] => Some(*h),
                _ => return Err(UsageError("Chỉ chọn một hộ mỗi lần.".into()).into()),
            };
            if household.is_none() && args.opt("round").is_none() {
                return Err(UsageError(format!(
                    "Cần mã hộ hoặc --round MÃ_ĐỢT: giamngheo office {verb} MÃ_HỘ | --round MÃ_ĐỢT"
                ))
                .into());
            }
            let mut l = open_set_up(args)?;
            let round = args.opt("round");
            let a = match *verb {
                "approve" => l.approve(household, round)?,
                "lock" => l.lock(household, round)?,
                _ => l.unlock(household, round)?,
            };
            print_action(args, &a)
        }
        ["return", household] => {
            args.only(&["db", "json", "reason", "device"])?;
            let mut l = open_set_up(args)?;
            let a = l.return_for_correction(household, args.required("reason")?, args.opt("device"))?;
            print_action(args, &a)
        }
        ["return"] => Err(UsageError(
            "Cách dùng: giamngheo office return MÃ_HỘ --reason LÝ_DO [--device MÃ_MÁY]".into(),
        )
        .into()),
        ["list"] => {
            args.only(&["db", "json", "commune"])?;
            let l = open_set_up(args)?;
            let list = l.household_decisions(args.opt("commune"))?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                for h in &list {
                    let state = match h.state.as_str() {
                        "approved" => "đã duyệt",
                        "locked" => "đã khoá",
                        "returned" => "trả lại để sửa",
                        _ => "chưa quyết định",
                    };
                    println!(
                        "{}\t{}\t{}\t{state}",
                        h.commune_code.clone().unwrap_or_default(),
                        h.household_code.clone().unwrap_or_default(),
                        h.head_name
                    );
                }
                eprintln!("{} hộ có quyết định của văn phòng.", list.len());
            }
            Ok(())
        }
        ["returned"] => {
            args.only(&["db", "json"])?;
            let l = open_set_up(args)?;
            let list = l.returned_for_correction()?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                for r in &list {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        r.action.household_code.clone().unwrap_or_default(),
                        r.head_name,
                        r.action.device_short_code.clone().unwrap_or_else(|| "mọi máy".into()),
                        if r.open { "chưa sửa" } else { "đã sửa / đã đóng" },
                        r.action.reason.clone().unwrap_or_default()
                    );
                }
                let open = list.iter().filter(|r| r.open).count();
                eprintln!("{open} hộ được trả lại còn phải sửa.");
            }
            Ok(())
        }
        _ => Err(Failure::Usage(
            "Lệnh office: approve | lock | unlock | return | list | returned (xem giamngheo --help)."
                .into(),
        )),
    }
}

/// `changes`, `changes accept ID`, `changes refuse ID [--reason …]`.
pub fn changes(args: &Args, words: &[&str]) -> CmdResult {
    match words {
        [] => {
            args.only(&["db", "json"])?;
            let l = open_set_up(args)?;
            let list = l.change_requests()?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                for c in &list {
                    let fields: Vec<String> = c
                        .fields
                        .iter()
                        .map(|(f, v)| format!("{f}: {} → {}", v["current"], v["proposed"]))
                        .collect();
                    println!(
                        "{}\t{}\t{}",
                        c.short_id,
                        c.household_code.clone().unwrap_or_default(),
                        fields.join("; ")
                    );
                }
                eprintln!(
                    "{} yêu cầu thay đổi hồ sơ đã duyệt/khoá đang chờ.",
                    list.len()
                );
            }
            Ok(())
        }
        ["accept", id] => {
            args.only(&["db", "json"])?;
            let mut l = open_set_up(args)?;
            let a = l.accept_change(id)?;
            print_action(args, &a)
        }
        ["refuse", id] => {
            args.only(&["db", "json", "reason"])?;
            let mut l = open_set_up(args)?;
            let a = l.refuse_change(id, args.opt("reason"))?;
            print_action(args, &a)
        }
        _ => Err(Failure::Usage(
            "Cách dùng: giamngheo changes [accept MÃ | refuse MÃ [--reason LÝ_DO]]".into(),
        )),
    }
}

/// `duplicates`, `duplicates merge GIỮ KHÁC`, `duplicates dismiss A B`, `duplicates marks`.
pub fn duplicates(args: &Args, words: &[&str]) -> CmdResult {
    match words {
        [] => {
            args.only(&["db", "json"])?;
            let mut l = open_set_up(args)?;
            let list = l.duplicate_people()?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                for p in &list {
                    let side = |r: &giamngheo_core::office::PersonRecord| {
                        format!(
                            "{} ({}), {} {}, hộ {} – chủ hộ {}, sinh {}, số định danh {}",
                            r.full_name,
                            r.member_id,
                            r.commune_name.clone().unwrap_or_default(),
                            r.village.clone().unwrap_or_default(),
                            r.household_code.clone().unwrap_or_default(),
                            r.head_name,
                            r.birth_date.clone().unwrap_or_default(),
                            r.id_number.clone().unwrap_or_else(|| "—".into())
                        )
                    };
                    let kind = if p.kind == "same_id" {
                        "Trùng số định danh"
                    } else {
                        "Có thể trùng (cùng tên, cùng ngày sinh)"
                    };
                    println!("{kind}:\n  A: {}\n  B: {}", side(&p.a), side(&p.b));
                }
                eprintln!("{} cặp người có thể trùng.", list.len());
            }
            Ok(())
        }
        ["merge", keep, other] => {
            args.only(&["db", "json"])?;
            let mut l = open_set_up(args)?;
            let list = l.merge_duplicates(keep, other)?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                eprintln!(
                    "Đã gộp: giữ {keep}, đánh dấu {other} là bản trùng (không xoá); {} xã sẽ nhận quyết định.",
                    list.len()
                );
            }
            Ok(())
        }
        ["dismiss", a, b] => {
            args.only(&["db", "json"])?;
            let mut l = open_set_up(args)?;
            let list = l.dismiss_duplicates(a, b)?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                eprintln!(
                    "Đã ghi nhận {a} và {b} không phải cùng một người; cặp này sẽ không hiện lại."
                );
            }
            Ok(())
        }
        ["marks"] => {
            args.only(&["db", "json"])?;
            let l = open_set_up(args)?;
            let list = l.duplicate_marks()?;
            if args.flag("json") {
                print_json(&list)?;
            } else {
                for m in &list {
                    println!("{}\tlà bản trùng của\t{}", m.member_id, m.duplicate_of);
                }
                eprintln!("{} người được văn phòng đánh dấu là bản trùng.", list.len());
            }
            Ok(())
        }
        _ => Err(Failure::Usage(
            "Cách dùng: giamngheo duplicates [merge MÃ_GIỮ MÃ_KHÁC | dismiss MÃ_A MÃ_B | marks]"
                .into(),
        )),
    }
}
