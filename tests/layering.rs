//! The layering rule of DESIGN.md, checked against `cargo metadata`:
//!
//! - `cc-core` depends on no other cc crate;
//! - `cc-sip`, `cc-media`, `cc-acd` and `cc-ivr` depend on `cc-core` alone among cc crates
//!   (never on each other);
//! - nothing below `cc-center` knows about HTTP, SQL or configuration files, so those
//!   layers may not depend on the crates that bring them.
//!
//! Every kind of dependency counts (normal, dev and build), so a test cannot smuggle a
//! sideways arrow in either.

use std::process::Command;

use serde_json::Value;

/// The engine layers that may lean on cc-core only.
const ENGINE_LAYERS: &[&str] = &["cc-sip", "cc-media", "cc-acd", "cc-ivr"];

/// Crates that bring HTTP, SQL or configuration-file handling: they belong in cc-center
/// and above.
const CENTER_ONLY_CRATES: &[&str] = &[
    "axum",
    "hyper",
    "reqwest",
    "tower-http",
    "sqlx",
    "rusqlite",
    "postgres",
    "tokio-postgres",
    "toml",
];

/// Every breach of the rule in a `cargo metadata` document, one line each.
fn violations(metadata: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let packages = metadata["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        let is_core = name == "cc-core";
        let is_engine = ENGINE_LAYERS.contains(&name);
        if !is_core && !is_engine {
            continue;
        }
        let deps = package["dependencies"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for dep in deps {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let kind = dep["kind"].as_str().unwrap_or("normal");
            let sideways = dep_name.starts_with("cc-") && (is_core || dep_name != "cc-core");
            if sideways {
                found.push(format!(
                    "{name} has a {kind} dependency on {dep_name}; {}",
                    if is_core {
                        "cc-core depends on no other cc crate"
                    } else {
                        "engine layers may depend on cc-core only"
                    }
                ));
            }
            if CENTER_ONLY_CRATES.contains(&dep_name) {
                found.push(format!(
                    "{name} has a {kind} dependency on {dep_name}; HTTP, SQL and configuration files belong in cc-center"
                ));
            }
        }
    }
    found
}

fn workspace_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn the_workspace_keeps_the_layering_rule() {
    let metadata = workspace_metadata();
    let names: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"cc-core"), "cc-core is a member: {names:?}");
    let broken = violations(&metadata);
    assert!(broken.is_empty(), "layering rule broken:\n{}", broken.join("\n"));
}

fn package(name: &str, deps: &[(&str, &str)]) -> Value {
    serde_json::json!({
        "name": name,
        "dependencies": deps
            .iter()
            .map(|(dep, kind)| serde_json::json!({ "name": dep, "kind": if *kind == "normal" { Value::Null } else { Value::from(*kind) } }))
            .collect::<Vec<_>>(),
    })
}

#[test]
fn sideways_and_upward_arrows_are_reported() {
    let metadata = serde_json::json!({ "packages": [
        package("cc-core", &[("serde", "normal"), ("cc-sip", "dev")]),
        package("cc-acd", &[("cc-core", "normal"), ("cc-media", "normal")]),
        package("cc-ivr", &[("cc-core", "normal"), ("cc-center", "dev")]),
        package("cc-sip", &[("cc-core", "normal"), ("sqlx", "normal")]),
        package("cc-center", &[("cc-sip", "normal"), ("cc-acd", "normal"), ("axum", "normal")]),
        package("ccsdk", &[("cc-center", "normal")]),
    ]});
    let broken = violations(&metadata);
    assert_eq!(broken.len(), 4, "{broken:#?}");
    assert!(broken[0].starts_with("cc-core has a dev dependency on cc-sip"));
    assert!(broken[1].starts_with("cc-acd has a normal dependency on cc-media"));
    assert!(broken[2].starts_with("cc-ivr has a dev dependency on cc-center"));
    assert!(broken[3].contains("cc-sip has a normal dependency on sqlx"));
}

#[test]
fn the_allowed_shape_passes() {
    let metadata = serde_json::json!({ "packages": [
        package("cc-core", &[("serde", "normal")]),
        package("cc-media", &[("cc-core", "normal"), ("hound", "normal")]),
        package("cc-center", &[("cc-media", "normal"), ("toml", "normal"), ("sqlx", "normal")]),
    ]});
    assert!(violations(&metadata).is_empty());
}
