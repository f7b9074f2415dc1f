//! The Tauri shell: window, plugins, the database choice and the command table. Deliberately
//! contains no SQL and no rules; `commands` holds thin adapters over `giamngheo_core`.

pub mod commands;
pub mod conflict_commands;
pub mod enrolment_commands;
pub mod error;
pub mod exchange_commands;
pub mod office_commands;
pub mod report_commands;
pub mod review_commands;
pub mod state;

use tauri::Manager;

use crate::state::{AppState, DbChoice};

/// Starts the desktop app. The database is chosen from `--db PATH` / `GIAMNGHEO_DB`, then
/// `--demo` / `GIAMNGHEO_DEMO=1`, else `giamngheo.db` in the OS app-data folder; it is opened on
/// first use so that a damaged file is reported in the window instead of crashing the app.
pub fn run() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let choice = DbChoice::from_args_and_env(
        &args,
        std::env::var("GIAMNGHEO_DB").ok(),
        std::env::var("GIAMNGHEO_DEMO").ok(),
    );
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let data_dir = match app.path().app_data_dir() {
                Ok(d) => d,
                // Without an app-data folder only an explicit --db can work; fall back to the
                // working directory so the window can still report what happened.
                Err(_) => std::path::PathBuf::from("."),
            };
            let path = choice.path_in(&data_dir);
            app.manage(AppState::new(path, choice.is_demo()));
            app.manage(report_commands::ExportControl::default());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::open_ledger,
            commands::setup_info,
            commands::setup,
            commands::add_user,
            commands::set_current_user,
            commands::add_village,
            commands::villages,
            commands::setting,
            commands::set_setting,
            commands::list_households,
            commands::household,
            commands::check_household,
            commands::save_household,
            commands::record_event,
            commands::household_history,
            commands::reference_lists,
            review_commands::rounds,
            review_commands::round,
            review_commands::create_round,
            review_commands::round_households,
            review_commands::add_application,
            review_commands::survey_form,
            review_commands::preview_survey,
            review_commands::save_survey,
            review_commands::record_meeting,
            review_commands::start_posting,
            review_commands::add_complaint,
            review_commands::resolve_complaint,
            review_commands::decide_round,
            review_commands::certificates,
            review_commands::what_if,
            review_commands::household_rounds,
            review_commands::rule_sets_list,
            review_commands::preview_rule_set,
            review_commands::load_rule_set,
            report_commands::report_catalog,
            report_commands::dashboard,
            report_commands::set_poverty_target,
            report_commands::report_preview,
            report_commands::report_export_hook,
            report_commands::export_report,
            report_commands::cancel_report,
            // USB exchange (trao đổi dữ liệu)
            exchange_commands::exchange_dir,
            exchange_commands::exchange_status,
            exchange_commands::consolidated_view,
            exchange_commands::open_conflicts,
            exchange_commands::export_packages,
            exchange_commands::import_dry_run,
            exchange_commands::import_packages,
            exchange_commands::correct_field,
            exchange_commands::public_keys_file,
            exchange_commands::pin_office,
            exchange_commands::enrolment_request,
            exchange_commands::accept_enrolment,
            // Conflict review (xem xét xung đột)
            conflict_commands::conflict_details,
            conflict_commands::household_conflicts,
            conflict_commands::conflict_detail,
            conflict_commands::resolve_conflict,
            conflict_commands::resolve_version,
            // Enrolment and keys screen (đăng ký thiết bị và khoá)
            enrolment_commands::enrolment_preset_file,
            enrolment_commands::enrolment_state,
            enrolment_commands::read_keys_file,
            enrolment_commands::pin_keys,
            enrolment_commands::inspect_enrolment_request,
            enrolment_commands::device_roster,
            enrolment_commands::office_key_generations,
            enrolment_commands::rollover_keys,
            // Office decisions, change requests, duplicates (office_commands)
            office_commands::office_decide,
            office_commands::office_return,
            office_commands::office_household_decisions,
            office_commands::office_returned,
            office_commands::change_requests,
            office_commands::decide_change,
            office_commands::duplicate_people,
            office_commands::decide_duplicate,
            office_commands::duplicate_marks,
            office_commands::commune_rounds,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Không khởi động được ứng dụng Sổ Giảm Nghèo: {e}");
        std::process::exit(1);
    }
}
