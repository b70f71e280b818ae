//! Row accounting under faults: a `bagdar score` run that is killed, or whose disk
//! fills up, leaves the previous output file untouched — never a partial file under
//! the output's name.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn instrument() -> String {
    root()
        .join("data/instruments/kasip-demo.json")
        .to_string_lossy()
        .into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bagdar-faults-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn simulate(students: usize, output: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_bagdar"))
        .args(["simulate", "--instrument", &instrument(), "--students"])
        .arg(students.to_string())
        .args(["--seed", "7", "--output"])
        .arg(output)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn score_command(input: &Path, output: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bagdar"));
    command
        .arg("score")
        .arg(input)
        .args(["--instrument", &instrument(), "--output"])
        .arg(output)
        .args(["--chunk", "256", "--quiet"]);
    command
}

/// Files in `dir` other than the ones named.
fn others(dir: &Path, known: &[&Path]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !known.contains(&p.as_path()))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_killed_run_leaves_the_previous_output() {
    let dir = tmp("kill");
    let input = dir.join("responses.csv");
    simulate(30_000, &input);
    let output = dir.join("scores.csv");
    std::fs::write(&output, "previous results\n").unwrap();
    let mut child = score_command(&input, &output)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it write some chunks, then kill it without warning.
    let partial = |d: &Path| {
        others(d, &[&input, &output])
            .into_iter()
            .any(|n| n.contains(".partial-"))
    };
    for _ in 0..200 {
        if partial(&dir) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !finished_early,
        "the run finished before it could be killed: use more rows"
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous results\n"
    );
    // What remains besides the input and the old output is only hidden temporaries.
    for name in others(&dir, &[&input, &output]) {
        assert!(
            name.starts_with('.') && name.contains(".partial-"),
            "{name}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_previous_output() {
    let dir = tmp("full");
    let input = dir.join("responses.csv");
    simulate(3_000, &input);
    let output = dir.join("scores.csv");
    std::fs::write(&output, "previous results\n").unwrap();
    // A file-size limit of 64 KiB makes writes fail with EFBIG, as a full disk does
    // with ENOSPC (SIGXFSZ is ignored so that the write returns the error).
    let command = score_command(&input, &output);
    let args: Vec<String> = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 128; exec {}",
            args.join(" ")
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error:"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous results\n"
    );
    let left = others(&dir, &[&input, &output]);
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}
