//! The poverty standard (chuẩn nghèo) as versioned data and the pure classification engine:
//! rule-set files and their registry (`set`), indicator derivation, classification, explanation
//! and transitions (`engine`). Deliberately absent: storage of rounds and surveys (the ledger
//! calls this module and records the rule-set id and version it used) and any I/O besides
//! parsing text it is handed.

pub mod engine;
pub mod format;
pub mod json;
pub mod set;

pub use engine::{
    age_in_full_years, classify, derive, explain, transition, Class, Classification,
    HouseholdFacts, IncomeTest, IndicatorOutcome, MemberFacts, Source, Transition,
};
pub use set::{
    builtin, default_poverty_causes, Area, B1Option, B1Question, B1Table, B1Variant, Band,
    ChecklistItem, Confidence, Derivation, Indicator, MemberField, PerArea, PhieuA, PhieuAOutcome,
    PovertyCause, PovertyCauseCatalogue, RuleChange, RuleSet, RuleSets, BUILTIN_FILES,
    POVERTY_CAUSES_FILE, SUPPORTED_FORMAT_VERSION,
};
