//! Benchmark of the package layer alone: build (NDJSON + age + Ed25519), atomic write, and open
//! (checks + decrypt + manifest) of one commune's export — about 5,000 households, i.e. 30,000 op
//! lines of ~300 bytes. Run with `cargo bench -p giamngheo-core --bench package`.
//! Prints times per step; no database is involved (the ledger's cost comes on top).

use std::collections::BTreeMap;
use std::time::Instant;

use giamngheo_core::exchange::{
    build_package, new_node_id, open_package, package_file_name, peek_header, write_package,
    KnownSender, Limits, LocalNode, NodeKeys, PackageKind, PackagePayload, PackageSpec,
};

fn op_line(origin: &str, seq: u64) -> String {
    // Shaped like a real op: ids, lamport, author, and a handful of changed household fields.
    format!(
        concat!(
            r#"{{"origin":"{o}","seq":{s},"lamport":{l},"schema_ver":1,"kind":"upsert","#,
            r#""entity":"household","row_id":"0192f0c2-7a1b-7c3d-9e4f-{s:012}","#,
            r#""author":"rv-03","authority":1,"fields":{{"head_name":"Nguyen Van {s}","#,
            r#""income_per_capita":{inc},"members":{m}}},"seen":{{"income_per_capita":{p}}}}}"#
        ),
        o = origin,
        s = seq,
        l = seq + 10,
        inc = 1_000_000 + (seq * 7919) % 2_000_000,
        m = 1 + seq % 7,
        p = seq.saturating_sub(1),
    )
}

fn main() {
    let sender = NodeKeys::generate();
    let receiver = NodeKeys::generate();
    let (s_node, r_node) = (new_node_id(), new_node_id());
    let n_ops: u64 = 30_000;
    let ops: Vec<String> = (1..=n_ops).map(|s| op_line(&s_node, s)).collect();
    let plain_bytes: usize = ops.iter().map(|o| o.len() + 1).sum();
    let mut op_ranges = BTreeMap::new();
    op_ranges.insert(s_node.clone(), [1, n_ops]);
    let spec = PackageSpec {
        package_id: uuid::Uuid::parse_str("0192f0c2-7a1b-7c3d-9e4f-000000000001").expect("uuid v7"),
        kind: PackageKind::Data,
        sender_node: s_node.clone(),
        sender_cert_serial: Some(1),
        receiver_node: r_node.clone(),
        pkg_seq: 1,
        prev_pkg_sha256: None,
        schema_ver: 1,
        app_version: "0.1.0".into(),
        min_app_version: None,
        op_ranges,
        audit_head_sha256: None,
        sender_lamport: n_ops + 10,
        device_time: "2026-11-23T08:00:00+07:00".into(),
    };
    let payload = PackagePayload {
        ops,
        sections: Vec::new(),
    };
    let recipient = receiver.public().enc_recipient;
    let rounds = 5;

    let t = Instant::now();
    let mut bytes = Vec::new();
    for _ in 0..rounds {
        bytes = build_package(&spec, &payload, &sender, &[recipient.as_str()]).expect("build");
    }
    let build = t.elapsed().as_secs_f64() / rounds as f64;

    let dir = tempfile::tempdir().expect("tempdir");
    let name = package_file_name("H05-X12-L03", "T05", 1).expect("name");
    let t = Instant::now();
    for _ in 0..rounds {
        write_package(dir.path(), &name, &bytes).expect("write");
    }
    let write = t.elapsed().as_secs_f64() / rounds as f64;

    let sender_pub = sender.public();
    let lookup = |node: &str| {
        (node == s_node).then(|| KnownSender {
            sign_pks: vec![sender_pub.sign_pk.clone()],
            cert_serial: Some(1),
        })
    };
    let me = LocalNode {
        node_id: &r_node,
        keys: &receiver,
        also_receive_for: &[],
    };
    let limits = Limits::for_schema(1);
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        n = open_package(&bytes, &me, &lookup, &limits)
            .expect("open")
            .ops
            .len();
    }
    let open = t.elapsed().as_secs_f64() / rounds as f64;
    assert_eq!(n as u64, n_ops);

    let t = Instant::now();
    for _ in 0..rounds {
        peek_header(&bytes, &me, &lookup, &limits).expect("peek");
    }
    let peek = t.elapsed().as_secs_f64() / rounds as f64;

    let mb = plain_bytes as f64 / 1e6;
    println!(
        "package bench: {n_ops} op lines of ~{} bytes, plaintext {mb:.1} MB, file {:.1} MB",
        plain_bytes / n_ops as usize,
        bytes.len() as f64 / 1e6
    );
    println!(
        "  build : {:7.1} ms  ({:6.1} MB/s, {:8.0} ops/s)",
        build * 1e3,
        mb / build,
        n_ops as f64 / build
    );
    println!(
        "  write : {:7.1} ms  (tmp + sync_all + rename + read-back + hash, local disk)",
        write * 1e3
    );
    println!(
        "  open  : {:7.1} ms  ({:6.1} MB/s, {:8.0} ops/s)",
        open * 1e3,
        mb / open,
        n_ops as f64 / open
    );
    println!(
        "  peek  : {:7.1} ms  (structure + signature + hashes, no decryption)",
        peek * 1e3
    );
    println!(
        "  bytes per household (5,000): {:.0}",
        bytes.len() as f64 / 5000.0
    );
}
