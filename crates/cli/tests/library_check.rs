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
        stdout.contains("mod-external-service 2023.5.3: OK"),
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
