//! Enrolment as the screens drive it (SYNC.md §5 case 36 through the screen's calls): the stage of
//! a commune laptop, pinning only a confirmed fingerprint, the office's preview of a request, the
//! roster with fingerprints.

use std::sync::Arc;

use giamngheo_core::clock::FixedClock;
use giamngheo_core::setup::{AreaType, NodeKind, Role, SetupInput, VillageInput, VillageKind};
use giamngheo_core::sync::ImportStatus;
use giamngheo_core::Ledger;

use crate::sync::{dump, office, stick};

fn unpinned_commune(dir: &std::path::Path) -> Ledger {
    let mut l = Ledger::open_with_clock(
        dir.join("xa.db"),
        Arc::new(FixedClock::at_date(2026, 11, 20)),
    )
    .expect("open");
    l.setup(&SetupInput {
        kind: NodeKind::Commune,
        province_code: "04".into(),
        province_name: "Cao Bằng".into(),
        commune_code: "01234".into(),
        commune_name: "Sơn Lộ".into(),
        area: AreaType::Rural,
        b1_region: None,
        villages: vec![VillageInput {
            code: None,
            name: "Nà Pò".into(),
            kind: VillageKind::Xom,
        }],
        user_name: "Nông Thị Phương".into(),
        user_role: Role::CommuneOfficer,
    })
    .expect("setup");
    l
}

#[test]
fn commune_goes_from_not_pinned_to_waiting_to_enrolled() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let mut office = office(d);
    let mut xa = unpinned_commune(d);
    let keys = office.public_keys_file().expect("keys");

    let s = xa.enrolment_state().expect("state");
    assert_eq!(s.stage, "not_pinned");
    assert!(s.office.is_none());
    assert_eq!(s.fingerprint.split(' ').count(), 6);
    assert_eq!(office.enrolment_state().expect("office").stage, "office");

    // A fingerprint that is not the file's: nothing pinned.
    let before = dump(&xa);
    let wrong = "12345 12345 12345 12345 12345 12345";
    let e = xa
        .pin_keys_confirmed(&keys, false, wrong)
        .expect_err("mismatch");
    assert!(e.to_string().contains("Dấu vân tay"), "{e}");
    assert_eq!(dump(&xa), before);
    // The person typed it with other spacing: same digits, accepted.
    xa.pin_keys_confirmed(&keys, false, &keys.fingerprint.replace(' ', ""))
        .expect("pin");
    let s = xa.enrolment_state().expect("state");
    assert_eq!(s.stage, "waiting");
    assert_eq!(
        s.office.as_ref().map(|o| o.fingerprint.clone()),
        Some(keys.fingerprint.clone())
    );

    let req = xa.enrolment_request(&stick(d)).expect("request");
    let s = xa.enrolment_state().expect("state");
    assert_eq!(s.requests_written.len(), 1);
    assert_eq!(req.fingerprint, s.fingerprint);

    // The office previews the request without storing anything.
    let before = dump(&office);
    let info = office
        .inspect_enrolment_request(&req.file)
        .expect("inspect");
    assert_eq!(dump(&office), before);
    assert_eq!(info.role, "commune_officer");
    assert_eq!(info.commune_code, "01234");
    assert_eq!(info.short_code, "01234-1");
    assert_eq!(info.fingerprint, req.fingerprint);
    assert!(!info.already_enrolled);
    assert!(xa.inspect_enrolment_request(&req.file).is_err());

    let acc = office
        .accept_enrolment(&req.file, &req.fingerprint, &stick(d))
        .expect("accept");
    assert_eq!(
        acc.short_code, info.short_code,
        "the preview told the truth"
    );
    let roster = office.device_roster().expect("roster");
    assert_eq!(roster.len(), 1);
    assert_eq!(
        roster[0].fingerprint.as_deref(),
        Some(req.fingerprint.as_str())
    );
    assert_eq!(roster[0].cert_serial, Some(acc.serial as i64));
    let again = office
        .inspect_enrolment_request(&req.file)
        .expect("inspect");
    assert!(again.already_enrolled);
    assert_eq!(again.short_code, "01234-1");

    let r = xa.import_paths(&[acc.file], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    let s = xa.enrolment_state().expect("state");
    assert_eq!(s.stage, "enrolled");
    assert_eq!(s.cert_serial, Some(acc.serial as i64));
    assert_eq!(s.short_code, "01234-1");
    let mine = xa.device_roster().expect("roster");
    assert!(mine.iter().any(|e| e.is_me && e.cert_serial.is_some()));
}
