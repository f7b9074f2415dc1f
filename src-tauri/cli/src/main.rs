//! Minimal dispatch for `giamngheo classify --rules ID` (the lead replaces this file with the
//! real argument parser and calls `classify::run` the same way).

mod classify;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("classify") {
        eprintln!("Cách dùng: giamngheo classify --rules MÃ_CHUẨN_NGHÈO < hộ.jsonl");
        std::process::exit(2);
    }
    let mut rules_id: Option<String> = None;
    let mut rest = args[1..].iter();
    while let Some(a) = rest.next() {
        if a == "--rules" {
            rules_id = rest.next().cloned();
        } else if let Some(v) = a.strip_prefix("--rules=") {
            rules_id = Some(v.to_string());
        } else {
            eprintln!("Tham số không hợp lệ: {a}");
            std::process::exit(2);
        }
    }
    let Some(rules_id) = rules_id else {
        eprintln!("Thiếu tham số --rules (ví dụ: --rules 2022-2025).");
        std::process::exit(2);
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let code = classify::run(&rules_id, &mut input, &mut out, &mut err);
    std::process::exit(code);
}
