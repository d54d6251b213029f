//! `mamori --config FILE`: the file sets what neither the command line nor the environment
//! sets, and a file with a mistake stops mamori before anything is written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mamori-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mamori ARGS` with a clean environment of mamori's own variables plus `env`.
fn mamori(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("MAMORI_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn the_environment_wins_over_the_file_and_the_file_over_the_default() {
    let dir = folder("precedence");
    let (from_file, from_env) = (dir.join("from-file"), dir.join("from-env"));
    let config = dir.join("mamori.toml");
    std::fs::write(
        &config,
        format!(
            "data-dir = {:?}\nbind = \"127.0.0.1:1\"\n",
            from_file.to_str().unwrap()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let out = mamori(
        &["--config", config, "migrate"],
        &[("MAMORI_DATA_DIR", &from_env)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(from_env.join("mamori.db").exists());
    assert!(
        !from_file.exists(),
        "the file's data-dir was used over the environment's"
    );

    // MAMORI_CONFIG names the file as --config does.
    let out = mamori(&["migrate"], &[("MAMORI_CONFIG", Path::new(config))]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(from_file.join("mamori.db").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_misspelt_key_stops_mamori_naming_the_key_and_the_file() {
    let dir = folder("typo");
    let config = dir.join("mamori.toml");
    let data = dir.join("data");
    std::fs::write(
        &config,
        format!(
            "data-dir = {:?}\nlockout-treshold = 5\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = mamori(&["--config", config.to_str().unwrap(), "migrate"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("lockout-treshold"), "{stderr}");
    assert!(stderr.contains(config.to_str().unwrap()), "{stderr}");
    assert!(
        !data.exists(),
        "nothing is written when the settings are wrong"
    );

    let out = mamori(
        &[
            "--config",
            dir.join("missing.toml").to_str().unwrap(),
            "migrate",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing.toml"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
