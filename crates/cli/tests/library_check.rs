//! `mamori library check`: a good library passes, a broken one is refused with the file
//! and line of each mistake.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mamori");

fn shipped() -> PathBuf {
    // Read when the test runs: a shared target folder may hold a binary built elsewhere.
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../libraries/mod-external-service")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn the_shipped_library_passes() {
    let out = Command::new(BIN)
        .args(["library", "check"])
        .arg(shipped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("mod-external-service 2023.5.4: OK"),
        "{stdout}"
    );
}

#[test]
fn a_broken_library_is_refused_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("mamori-lib-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&shipped(), &dir);
    let file = dir.join("procedures/approval.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = text.replacen("      - state: review\n", "      - state: reveiw\n", 1);
    assert_ne!(text, broken);
    std::fs::write(&file, &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("state: reveiw"))
        .unwrap()
        + 1;

    let out = Command::new(BIN)
        .args(["library", "check"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("procedures/approval.yaml:{line}:")) && stderr.contains("reveiw"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pdf_template_that_does_not_compile_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("mamori-pdf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&shipped(), &dir);
    let file = dir.join("procedures/approval.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // A key the case context does not have.
    let broken = text.replacen("#d.case.state_name）", "#d.case.status）", 1);
    assert_ne!(text, broken);
    std::fs::write(&file, &broken).unwrap();
    let template_starts = broken
        .lines()
        .position(|l| l.contains("id: application_pdf"))
        .unwrap();
    let out = Command::new(BIN)
        .args(["library", "check"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let template_line = broken
        .lines()
        .skip(template_starts)
        .skip_while(|l| !l.contains("template: |"))
        .position(|l| l.contains("#d.case.status"))
        .unwrap();
    assert!(
        stderr.contains(&format!("テンプレートの {template_line} 行目"))
            && stderr.contains("status"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_server_does_not_start_with_a_library_that_check_refuses() {
    let dir = std::env::temp_dir().join(format!("mamori-serve-lib-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let lib = dir.join("mod-local");
    copy_dir(&shipped(), &lib);
    // The same library under its own id would load: break one of its states instead.
    let manifest = lib.join("library.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("id: mod-external-service", "id: mod-local", 1),
    )
    .unwrap();
    let file = lib.join("procedures/approval.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("      - state: review\n", "      - state: reveiw\n", 1),
    )
    .unwrap();
    let data = dir.join("data");
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--library")
        .arg(&lib)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ライブラリを読み込めません")
            && stderr.contains("procedures/approval.yaml:")
            && stderr.contains("reveiw"),
        "{stderr}"
    );
    assert!(!data.join("mamori.db").exists(), "nothing was created");

    // A built-in library's id is refused: an organisation adapts a built-in library instead.
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--library")
        .arg(shipped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_server_does_not_start_with_installation_figures_that_do_not_apply() {
    let dir = std::env::temp_dir().join(format!("mamori-adapt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("atla.yaml");
    std::fs::write(
        &file,
        "schedules:\n  - { procedure: joining, step: s2, days: 40 }\n  - { procedure: joining, step: s9, days: 4 }\n",
    )
    .unwrap();
    let data = dir.join("data");
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--adapt")
        .arg(format!("mod-dsg={}", file.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:", file.display())) && stderr.contains("s9"),
        "{stderr}"
    );
    assert!(!data.join("mamori.db").exists(), "nothing was created");
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(["--adapt", "mod-nothing=x.yaml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}
