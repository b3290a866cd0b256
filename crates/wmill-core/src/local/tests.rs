#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

#[test]
fn result_stream_lines_escape_newlines() {
    let mut out = Vec::new();
    write_result_stream(&mut out, "plain").unwrap();
    write_result_stream(&mut out, "a\nb\n").unwrap();
    write_result_stream(&mut out, "").unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "WM_STREAM: plain\nWM_STREAM: a\\nb\\n\nWM_STREAM: \n"
    );
}

#[test]
fn shared_state_round_trips_and_stays_in_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let shared = SharedFolder::new(dir.path());
    assert_eq!(
        shared.get_state::<serde_json::Value>("state.json").unwrap(),
        None
    );
    shared.set_state("state.json", &json!({"step": 1})).unwrap();
    shared
        .set_state("nested/deeper/s.json", &json!([1, 2]))
        .unwrap();
    assert_eq!(
        shared.get_state::<serde_json::Value>("state.json").unwrap(),
        Some(json!({"step": 1}))
    );
    assert_eq!(
        shared
            .get_state::<Vec<u32>>("nested/deeper/s.json")
            .unwrap(),
        Some(vec![1, 2])
    );
    // Indented JSON, as the Python client writes it; no temporary file left.
    let text = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(text.contains("\n  \"step\": 1"), "{text}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");

    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a//b",
        "./x",
        "a\\b",
        "a\nb",
    ] {
        assert!(
            matches!(
                shared.get_state::<serde_json::Value>(bad),
                Err(Error::InvalidInput { .. })
            ),
            "{bad:?}"
        );
        assert!(
            matches!(shared.set_state(bad, &1), Err(Error::InvalidInput { .. })),
            "{bad:?}"
        );
    }

    std::fs::write(dir.path().join("broken.json"), "{not json").unwrap();
    assert!(matches!(
        shared.get_state::<serde_json::Value>("broken.json"),
        Err(Error::Decode { .. })
    ));
    // A folder where the file should be: a typed I/O error.
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    assert!(matches!(
        shared.set_state("adir", &1),
        Err(Error::Storage { .. })
    ));
}

/// Everything a user may see of `err`: its message, its `Debug` and those of its sources.
fn everything_shown(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    text
}

#[test]
fn shared_state_decode_errors_never_show_values() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Progress {
        rows: u16,
    }
    let dir = tempfile::tempdir().unwrap();
    let shared = SharedFolder::new(dir.path());

    // JSON of another type: the outline (keys and kinds) and the decoder's shape only.
    shared
        .set_state(
            "state.json",
            &json!({"rows": "hunter2\"-row", "token": "s3cr3t-t0ken", "port": 123456789}),
        )
        .unwrap();
    let err = shared.get_state::<Progress>("state.json").unwrap_err();
    let shown = everything_shown(&err);
    assert!(matches!(err, Error::Decode { .. }), "{shown}");
    for secret in ["hunter2", "-row", "s3cr3t-t0ken", "123456789"] {
        assert!(!shown.contains(secret), "{secret:?} is shown:\n{shown}");
    }
    assert!(shown.contains("\\\"token\\\": string"), "{shown}");
    assert!(shown.contains("expected u16"), "{shown}");
    shared
        .set_state("state.json", &json!({"rows": 123456789}))
        .unwrap();
    let err = shared.get_state::<Progress>("state.json").unwrap_err();
    assert!(!everything_shown(&err).contains("123456789"), "{err:?}");

    // Not JSON at all: no excerpt of the text either.
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"token\": \"s3cr3t-t0ken\", oops",
    )
    .unwrap();
    let err = shared
        .get_state::<serde_json::Value>("broken.json")
        .unwrap_err();
    let shown = everything_shown(&err);
    assert!(matches!(err, Error::Decode { .. }), "{shown}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("line 1"), "{shown}");
}

#[cfg(unix)]
#[test]
fn atomic_writes_keep_permissions_and_symlinks() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "{}").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("link.json");
    symlink(&real, &link).unwrap();
    write_atomic(&link, b"{\"a\": 1}").unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "{\"a\": 1}");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// The names of the files in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Set in the process that [`new_files_are_private_whatever_the_umask`] starts: the folder
/// it works in.
#[cfg(unix)]
const UMASK_CHILD_DIR: &str = "WMILL_CORE_TEST_UMASK_CHILD_DIR";

/// A new file is created 0600 and an existing file keeps its mode, even when the umask
/// lets anyone read new files: the test runs itself again under `umask 000`.
#[cfg(unix)]
#[test]
fn new_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        let mode = std::fs::metadata(p).unwrap().permissions().mode();
        format!("{:o}", mode & 0o7777)
    };
    let test_name = concat!(module_path!(), "::new_files_are_private_whatever_the_umask")
        .split_once("::")
        .unwrap()
        .1;

    if let Some(dir) = std::env::var_os(UMASK_CHILD_DIR) {
        let dir = PathBuf::from(dir);
        // The umask is 000: a plain new file is readable and writable by anyone.
        std::fs::write(dir.join("plain"), "x").unwrap();
        assert_eq!(mode(&dir.join("plain")), "666");

        write_atomic(&dir.join("new.json"), b"{\"token\": \"s3cr3t\"}").unwrap();
        assert_eq!(mode(&dir.join("new.json")), "600");
        SharedFolder::new(&dir)
            .set_state("nested/state.json", &json!({"token": "s3cr3t"}))
            .unwrap();
        assert_eq!(mode(&dir.join("nested/state.json")), "600");

        let shared = dir.join("shared.json");
        std::fs::write(&shared, "{}").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&shared, b"{\"a\": 1}").unwrap();
        assert_eq!(mode(&shared), "640");
        std::fs::write(dir.join("ran"), "").unwrap();
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--test-threads=1", "--nocapture"])
        .env(UMASK_CHILD_DIR, dir.path())
        .output()
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    assert!(
        dir.path().join("ran").exists(),
        "the test did not run:\n{log}"
    );
}

/// A file or a link planted at a temporary name (the names of the former scheme,
/// `.<name>.<pid>.<n>.tmp`) is neither followed nor replaced.
#[cfg(unix)]
#[test]
fn planted_temporary_files_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, "victim").unwrap();
    let target = dir.path().join("state.json");
    std::fs::write(&target, "old").unwrap();
    let pid = std::process::id();
    for n in 0..1024 {
        symlink(
            &victim,
            dir.path().join(format!(".state.json.{pid}.{n}.tmp")),
        )
        .unwrap();
    }
    let planted = names_in(dir.path());

    write_atomic(&target, b"new").unwrap();
    SharedFolder::new(dir.path())
        .set_state("state.json", &json!({"token": "s3cr3t"}))
        .unwrap();

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim");
    let meta = std::fs::symlink_metadata(&target).unwrap();
    assert!(meta.file_type().is_file(), "{meta:?}");
    assert!(std::fs::read_to_string(&target).unwrap().contains("s3cr3t"));
    assert_eq!(
        names_in(dir.path()),
        planted,
        "the planted links stay as they were"
    );
}

/// A name already taken (by a file or a planted link) is skipped, not opened; a writer that
/// finds every name taken gives up.
#[test]
fn temporary_names_already_taken_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, "victim").unwrap();
    std::fs::write(dir.path().join(".s.json.file.tmp"), "planted").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, dir.path().join(".s.json.link.tmp")).unwrap();
    #[cfg(not(unix))]
    std::fs::write(dir.path().join(".s.json.link.tmp"), "planted").unwrap();

    let mut suffixes = ["file", "link", "fresh"].into_iter().map(str::to_owned);
    let (tmp, mut file) = create_temp(dir.path(), "s.json", || suffixes.next().unwrap()).unwrap();
    assert_eq!(tmp, dir.path().join(".s.json.fresh.tmp"));
    file.write_all(b"new").unwrap();
    drop(file);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".s.json.file.tmp")).unwrap(),
        "planted"
    );

    let mut attempts = 0;
    let err = create_temp(dir.path(), "s.json", || {
        attempts += 1;
        "file".to_owned()
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(attempts, TEMP_NAME_ATTEMPTS);
}

/// A write that fails (here the rename: the target is a folder) leaves no temporary file.
#[test]
fn failed_writes_leave_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("adir");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), "x").unwrap();
    assert!(write_atomic(&target, b"{\"token\": \"s3cr3t\"}").is_err());
    assert!(SharedFolder::new(dir.path()).set_state("adir", &1).is_err());
    assert_eq!(names_in(dir.path()), ["adir"]);
    assert_eq!(names_in(&target), ["inside"]);
    // A folder that does not exist: nothing is created.
    assert!(write_atomic(&dir.path().join("missing/x.json"), b"{}").is_err());
    assert_eq!(names_in(dir.path()), ["adir"]);
}

#[test]
fn the_default_folder_is_slash_shared() {
    assert_eq!(SharedFolder::default().root(), Path::new("/shared"));
}
