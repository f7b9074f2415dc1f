//! The Tauri shell: window, plugins, the database choice and the command table. Deliberately
//! contains no SQL and no rules; `commands` holds thin adapters over `giamngheo_core`.

pub mod commands;
pub mod error;
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
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Không khởi động được ứng dụng Sổ Giảm Nghèo: {e}");
        std::process::exit(1);
    }
}
