use std::sync::{Arc, Barrier};

use super::*;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_symlinked_dwh_cfg_stays_a_symlink_and_its_target_is_updated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("private")).unwrap();
    let real = dir.path().join("private/dwh.cfg");
    std::fs::write(&real, "[CLUSTER]\nHOST=\n").unwrap();
    let link = dir.path().join("dwh.cfg");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    update_file(&link, &[("CLUSTER", "HOST", "h.example")]).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(read(&real), "[CLUSTER]\nHOST=h.example\n");
}

#[test]
fn concurrent_updates_of_different_keys_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("dwh.cfg"));
    std::fs::write(&*path, "[CLUSTER]\n").unwrap();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..10 {
                    let key = format!("K{t}_{i}");
                    update_file(&path, &[("CLUSTER", &key, "v")]).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let ini = Ini::load(&path).unwrap();
    let missing: Vec<String> = (0..threads)
        .flat_map(|t| (0..10).map(move |i| format!("K{t}_{i}")))
        .filter(|k| ini.get("CLUSTER", k).is_none())
        .collect();
    assert!(missing.is_empty(), "lost updates: {missing:?}");
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_value_with_a_line_break_is_refused_and_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dwh.cfg");
    std::fs::write(&path, "[CLUSTER]\nHOST=\n").unwrap();
    for bad in ["h\n[S3]\nLOG_DATA=s3://evil/x", "h\rx", "h\0"] {
        let err = update_file(&path, &[("CLUSTER", "HOST", bad)]).unwrap_err();
        assert!(err.to_string().contains("[CLUSTER] HOST"), "{err}");
        assert!(!err.to_string().contains("evil"), "{err}");
        assert_eq!(read(&path), "[CLUSTER]\nHOST=\n");
    }
}

#[test]
fn two_processes_generating_a_password_end_up_with_the_first_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("dwh.cfg"));
    std::fs::write(&*path, "[CLUSTER]\nDB_NAME=dev\n").unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["FirstPassw0rd", "SecondPassw0rd"]
        .into_iter()
        .map(|pw| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                ensure_value(&path, "CLUSTER", "DB_PASSWORD", || Ok(pw.to_string())).unwrap()
            })
        })
        .collect();
    let results: Vec<(String, bool)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results[0].0, results[1].0, "each used its own password");
    assert_eq!(results.iter().filter(|(_, made)| *made).count(), 1);
    let stored = Ini::load(&path).unwrap();
    assert_eq!(
        stored.get("CLUSTER", "DB_PASSWORD"),
        Some(results[0].0.as_str())
    );
    assert_eq!(
        read(&path),
        format!(
            "[CLUSTER]\nDB_NAME=dev\n{GENERATED_MARK}\nDB_PASSWORD={}\n",
            results[0].0
        )
    );
}

#[test]
fn down_clears_only_what_up_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dwh.cfg");
    std::fs::write(
        &path,
        format!(
            "[CLUSTER]\nHOST = h.example\n{GENERATED_MARK}\nDB_PASSWORD=Generated1\n\n\
             [IAM_ROLE]\nARN=arn:mine\n"
        ),
    )
    .unwrap();
    let cleared = clear_written(
        &path,
        &[
            ("CLUSTER", "HOST", Written::Value("h.example")),
            // Changed by the user since: theirs.
            ("IAM_ROLE", "ARN", Written::Value("arn:sparkifys")),
            ("CLUSTER", "DB_PASSWORD", Written::Generated),
        ],
    )
    .unwrap();
    assert_eq!(
        cleared,
        vec![
            ("CLUSTER".to_string(), "HOST".to_string()),
            ("CLUSTER".to_string(), "DB_PASSWORD".to_string()),
        ]
    );
    assert_eq!(
        read(&path),
        "[CLUSTER]\nHOST = \nDB_PASSWORD=\n\n[IAM_ROLE]\nARN=arn:mine\n"
    );
    // A password the user chose (no mark) is never removed.
    std::fs::write(&path, "[CLUSTER]\nDB_PASSWORD=Chosen123\n").unwrap();
    let cleared = clear_written(&path, &[("CLUSTER", "DB_PASSWORD", Written::Generated)]).unwrap();
    assert!(cleared.is_empty());
    assert_eq!(read(&path), "[CLUSTER]\nDB_PASSWORD=Chosen123\n");
}
