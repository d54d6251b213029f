//! The crates keep their layers: a crate may depend only on those below it, so that the
//! pure ones (domain, library) never reach a database, the storage layer decides nothing
//! about who may do what, and pages reach data through the application. Read from
//! `cargo metadata`, so that a dependency added to any `Cargo.toml` is caught here.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// What each workspace crate may depend on; its tests may also use `mamori-test-support`
/// and what [`TESTS_MAY_ALSO`] adds.
const ALLOWED: &[(&str, &[&str])] = &[
    ("mamori-domain", &[]),
    ("mamori-auth", &[]),
    ("mamori-documents", &[]),
    ("mamori-sheets", &[]),
    ("mamori-test-support", &[]),
    ("mamori-library", &["mamori-domain"]),
    ("mamori-storage", &["mamori-domain"]),
    (
        "mamori-app",
        &[
            "mamori-domain",
            "mamori-library",
            "mamori-storage",
            "mamori-auth",
            "mamori-documents",
            "mamori-sheets",
        ],
    ),
    (
        "mamori-web",
        &[
            "mamori-app",
            "mamori-domain",
            "mamori-library",
            "mamori-auth",
            "mamori-sheets",
        ],
    ),
    (
        "mamori",
        &[
            "mamori-app",
            "mamori-web",
            "mamori-domain",
            "mamori-library",
            "mamori-storage",
            "mamori-auth",
            "mamori-documents",
        ],
    ),
];

/// What a crate's tests may use beyond the crate itself: the web tests look at what was
/// stored (a sealed attachment's bytes, the audit chain, a session's row) to prove what
/// the pages promise; the pages themselves reach data only through the application.
const TESTS_MAY_ALSO: &[(&str, &[&str])] = &[("mamori-web", &["mamori-storage"])];

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: BTreeSet<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| n.starts_with("mamori"))
        .map(str::to_owned)
        .collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for p in meta["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        if !name.starts_with("mamori") || name.starts_with("mamori-bench") || name.contains("fuzz")
        {
            continue;
        }
        let Some(may) = allowed.get(name) else {
            wrong.push(format!("{name}: a crate the layering does not know yet"));
            continue;
        };
        for d in p["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap();
            if !ours.contains(dep) {
                continue;
            }
            let test_only = d["kind"].as_str() == Some("dev");
            let test_may = TESTS_MAY_ALSO
                .iter()
                .any(|(n, deps)| *n == name && deps.contains(&dep));
            if may.contains(&dep) || (test_only && (dep == "mamori-test-support" || test_may)) {
                continue;
            }
            wrong.push(format!("{name} → {dep}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies across the layers:\n{}",
        wrong.join("\n")
    );
}
