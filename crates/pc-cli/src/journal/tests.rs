//! The journal's file against a real folder: modes, symlinks, torn lines, the ending
//! written once, prune, and appends from many writers at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::lines::tests::{OTHER_TRACKING, TRACKING, accepted, at, finished, sending};
use super::*;
use crate::exit::Exit;

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pc-journal-")
        .tempdir()
        .unwrap()
}

fn journal_in(dir: &Path) -> (PathBuf, Journal) {
    let path = dir.join("data/pc/jobs.jsonl");
    let journal = Journal::open(&path).unwrap();
    (path, journal)
}

const WAIT: Duration = UPLOAD_LOCK_WAIT;

#[test]
fn appends_create_private_folders_and_file_and_read_back_in_order() {
    let scratch = scratch();
    let (path, journal) = journal_in(scratch.path());
    assert_eq!(journal.path(), path);
    // Opening and reading create nothing.
    assert!(journal.read().unwrap().entries().is_empty());
    assert!(!scratch.path().join("data").exists());
    let lines = [
        Line::Sending(sending("r-1", 1)),
        Line::Accepted(accepted("r-1", TRACKING, 2)),
    ];
    for line in &lines {
        journal.append(line, WAIT).unwrap();
    }
    let contents = journal.read().unwrap();
    let read: Vec<&Line> = contents
        .entries()
        .iter()
        .map(|entry| entry.line.as_ref().unwrap())
        .collect();
    assert_eq!(read, lines.iter().collect::<Vec<_>>());
    assert!(contents.warnings().is_empty());
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.ends_with('\n'));
    assert!(journal.lock_path().exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&scratch.path().join("data")), 0o700);
        assert_eq!(mode(&scratch.path().join("data/pc")), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(journal.lock_path()), 0o600);
    }
}

#[test]
fn a_torn_last_line_is_warned_about_and_the_next_append_starts_a_new_line() {
    let scratch = scratch();
    let (path, journal) = journal_in(scratch.path());
    journal
        .append(&Line::Sending(sending("r-1", 1)), WAIT)
        .unwrap();
    // A crash in the middle of a line.
    let mut torn = fs::read(&path).unwrap();
    torn.extend(br#"{"event":"accepted","trackingId":"5e8b"#);
    fs::write(&path, &torn).unwrap();
    journal
        .append(&Line::Sending(sending("r-2", 2)), WAIT)
        .unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[1], r#"{"event":"accepted","trackingId":"5e8b"#);
    assert!(lines[2].starts_with(r#"{"event":"sending","requestId":"r-2""#));
    let contents = journal.read().unwrap();
    assert_eq!(contents.warnings().len(), 1, "{:?}", contents.warnings());
    assert!(
        contents.warnings()[0].starts_with(&format!("{}:2: ", path.display())),
        "{}",
        contents.warnings()[0]
    );
    assert_eq!(contents.jobs().len(), 2);
}

#[cfg(unix)]
#[test]
fn a_symlinked_journal_or_lock_is_refused_and_exit_2_names_it() {
    let scratch = scratch();
    let target = scratch.path().join("elsewhere");
    fs::write(&target, b"").unwrap();
    let path = scratch.path().join("jobs.jsonl");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let error = Journal::open(&path).unwrap_err();
    assert!(matches!(error, JournalError::Refused { .. }), "{error:?}");
    let failure = error.failure();
    assert_eq!(failure.exit, Exit::Usage);
    assert!(
        failure.message.starts_with(&format!(
            "the journal {} is a symbolic link",
            path.display()
        )),
        "{failure}"
    );
    assert!(failure.message.contains("--journal off"), "{failure}");

    // A symlink appearing after the check is refused by the append's own open.
    let other = scratch.path().join("other.jsonl");
    let journal = Journal::open(&other).unwrap();
    std::os::unix::fs::symlink(&target, &other).unwrap();
    let error = journal
        .append(&Line::Sending(sending("r-1", 1)), WAIT)
        .unwrap_err();
    assert!(matches!(error, JournalError::Refused { .. }), "{error:?}");
    assert!(journal.read().is_err());
    assert_eq!(
        fs::read(&target).unwrap(),
        b"",
        "nothing written through it"
    );

    // The same for the lock.
    let locked = scratch.path().join("locked.jsonl");
    let journal = Journal::open(&locked).unwrap();
    std::os::unix::fs::symlink(&target, journal.lock_path()).unwrap();
    let error = Journal::open(&locked).unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "the journal's lock {}.lock is a symbolic link",
            locked.display()
        )),
        "{error}"
    );
    let error = journal
        .append(&Line::Sending(sending("r-1", 1)), WAIT)
        .unwrap_err();
    assert!(matches!(error, JournalError::Refused { .. }), "{error:?}");
    assert_eq!(error.failure().exit, Exit::Usage);
    assert!(!locked.exists(), "nothing written without the lock");
}

#[test]
fn a_folder_where_the_journal_should_be_is_refused() {
    let scratch = scratch();
    let path = scratch.path().join("jobs.jsonl");
    fs::create_dir(&path).unwrap();
    let error = Journal::open(&path).unwrap_err();
    assert!(error.to_string().ends_with("is not a file"), "{error}");
    assert_eq!(error.failure().exit, Exit::Usage);
}

#[cfg(unix)]
#[test]
fn a_journal_that_cannot_be_written_is_exit_2_naming_it_and_journal_off() {
    use std::os::unix::fs::PermissionsExt;
    if rustix::process::getuid().is_root() {
        return; // Permissions do not stop root.
    }
    let scratch = scratch();
    let folder = scratch.path().join("read-only");
    fs::create_dir(&folder).unwrap();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o500)).unwrap();
    let journal = Journal::open(folder.join("jobs.jsonl")).unwrap();
    let error = journal
        .append(&Line::Sending(sending("r-1", 1)), WAIT)
        .unwrap_err();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(matches!(error, JournalError::Io { .. }), "{error:?}");
    let failure = error.failure();
    assert_eq!(failure.exit, Exit::Usage);
    assert!(
        failure.message.starts_with(&format!(
            "cannot open the journal's lock {}",
            journal.lock_path().display()
        )),
        "{failure}"
    );
    assert!(failure.message.contains("--journal off"), "{failure}");
}

#[test]
fn a_lock_held_past_the_wait_is_exit_5_naming_the_lock() {
    let scratch = scratch();
    let (path, journal) = journal_in(scratch.path());
    journal
        .append(&Line::Sending(sending("r-1", 1)), WAIT)
        .unwrap();
    let held = fs::OpenOptions::new()
        .write(true)
        .open(journal.lock_path())
        .unwrap();
    held.lock().unwrap();
    let error = journal
        .append(&Line::Sending(sending("r-2", 2)), Duration::from_millis(60))
        .unwrap_err();
    assert!(matches!(error, JournalError::Locked { .. }), "{error:?}");
    let failure = error.failure();
    assert_eq!(failure.exit, Exit::Transport);
    assert!(
        failure
            .message
            .contains(&journal.lock_path().display().to_string()),
        "{failure}"
    );
    let ending = Finished::not_found(TRACKING.parse().unwrap(), at(3));
    assert!(matches!(
        journal.append_finished(&ending, Duration::ZERO),
        Err(JournalError::Locked { .. })
    ));
    assert!(matches!(
        journal.prune(Duration::ZERO, |_| true),
        Err(JournalError::Locked { .. })
    ));
    // Reading needs no lock.
    assert_eq!(journal.read().unwrap().jobs().len(), 1);
    drop(held);
    assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1);
}

#[test]
fn an_ending_is_appended_once_per_tracking_id() {
    let scratch = scratch();
    let (path, journal) = journal_in(scratch.path());
    journal
        .append(&Line::Sending(sending("r-1", 1)), WAIT)
        .unwrap();
    journal
        .append(&Line::Accepted(accepted("r-1", TRACKING, 2)), WAIT)
        .unwrap();
    let tracking = TRACKING.parse().unwrap();
    assert!(!journal.has_finished(&tracking).unwrap());
    let first = finished(TRACKING, "finished", 3);
    assert!(journal.append_finished(&first, ENDING_LOCK_WAIT).unwrap());
    assert!(
        !journal
            .append_finished(
                &finished(TRACKING, "finished_with_errors", 4),
                ENDING_LOCK_WAIT
            )
            .unwrap()
    );
    assert!(
        !journal
            .append_finished(&Finished::not_found(tracking, at(5)), ENDING_LOCK_WAIT)
            .unwrap()
    );
    // Another tracking id gets its own.
    assert!(
        journal
            .append_finished(&finished(OTHER_TRACKING, "finished", 6), ENDING_LOCK_WAIT)
            .unwrap()
    );
    assert!(journal.has_finished(&tracking).unwrap());
    assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 4);
    let contents = journal.read().unwrap();
    assert_eq!(contents.jobs()[0].state(), State::Ended("finished"));
}

#[test]
fn prune_keeps_the_other_lines_byte_for_byte_and_counts_jobs() {
    let scratch = scratch();
    let (path, journal) = journal_in(scratch.path());
    for line in [
        Line::Sending(sending("r-1", 1)),
        Line::Accepted(accepted("r-1", TRACKING, 2)),
        Line::Finished(finished(TRACKING, "finished", 3)),
        Line::Sending(sending("r-2", 4)),
    ] {
        journal.append(&line, WAIT).unwrap();
    }
    // Lines written by hand, or by a later version: kept as they are.
    let mut bytes = fs::read(&path).unwrap();
    let spaced = br#"{ "event": "sending", "requestId": "r-3", "customerId": "47021739-3426-40BF-9601-61B4B6D7C793", "batchId": "lab-1", "part": 1, "parts": 1, "devices": 1, "csvSha256": "ab", "baseUrl": "https://api.partnercenter.microsoft.com/", "at": "2026-03-01T11:00:00+01:00", "later": [1] }"#;
    bytes.extend_from_slice(spaced);
    bytes.extend_from_slice(b"\r\nnot json\n");
    bytes.extend_from_slice(br#"{"event":"cancelled","requestId":"r-1"}"#);
    bytes.push(b'\n');
    fs::write(&path, &bytes).unwrap();
    let before = String::from_utf8(bytes).unwrap();
    let before: Vec<&str> = before.split_terminator('\n').collect();

    // Nothing to drop: the file is not rewritten.
    let untouched = fs::metadata(&path).unwrap().modified().unwrap();
    let pruned = journal.prune(WAIT, |_| false).unwrap();
    assert_eq!(
        (pruned.dropped, pruned.kept, pruned.warnings.len()),
        (0, 3, 1)
    );
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), untouched);

    let pruned = journal
        .prune(WAIT, |job| job.request_id() == "r-1")
        .unwrap();
    assert_eq!((pruned.dropped, pruned.kept), (1, 2));
    let after = fs::read_to_string(&path).unwrap();
    let after: Vec<&str> = after.split_terminator('\n').collect();
    assert_eq!(after, [before[3], before[4], before[5], before[6]]);
    assert!(after[1].ends_with('\r'), "the line's own bytes are kept");
    let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        leftovers,
        ["jobs.jsonl", "jobs.jsonl.lock"],
        "no temporary file left"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Appends go on after a prune.
    journal
        .append(&Line::Sending(sending("r-4", 5)), WAIT)
        .unwrap();
    assert_eq!(journal.read().unwrap().jobs().len(), 3);
    let pruned = journal.prune(WAIT, |_| true).unwrap();
    assert_eq!((pruned.dropped, pruned.kept), (3, 0));
    let rest = fs::read_to_string(&path).unwrap();
    assert_eq!(
        rest.split_terminator('\n').collect::<Vec<_>>(),
        [before[5], before[6]]
    );
}

#[test]
fn concurrent_writers_never_tear_or_interleave_lines() {
    const WRITERS: usize = 8;
    const APPENDS: usize = 200;
    let scratch = scratch();
    let path = scratch.path().join("jobs.jsonl");
    std::thread::scope(|threads| {
        for writer in 0..WRITERS {
            let path = &path;
            threads.spawn(move || {
                // Each writer its own journal value: only the file lock serializes them.
                let journal = Journal::open(path).unwrap();
                for append in 0..APPENDS {
                    let line = Line::Sending(sending(&format!("w{writer}-{append}"), 1));
                    journal.append(&line, WAIT).unwrap();
                }
            });
        }
    });
    let bytes = fs::read(&path).unwrap();
    assert!(bytes.ends_with(b"\n"));
    let contents = Journal::open(&path).unwrap().read().unwrap();
    assert!(contents.warnings().is_empty(), "{:?}", contents.warnings());
    assert_eq!(
        bytes.split(|byte| *byte == b'\n').count(),
        WRITERS * APPENDS + 1
    );
    assert_eq!(contents.entries().len(), WRITERS * APPENDS);
    assert_eq!(
        contents.jobs().len(),
        WRITERS * APPENDS,
        "every request id once"
    );
    // Each writer's lines in its own order.
    for writer in 0..WRITERS {
        let prefix = format!("w{writer}-");
        let order: Vec<usize> = contents
            .jobs()
            .iter()
            .filter_map(|job| job.request_id().strip_prefix(&prefix)?.parse().ok())
            .collect();
        assert_eq!(order, (0..APPENDS).collect::<Vec<_>>());
    }
}

#[test]
fn a_prune_racing_appends_never_loses_one() {
    const APPENDS: usize = 300;
    let scratch = scratch();
    let path = scratch.path().join("jobs.jsonl");
    let old = |job: &Job| job.request_id().starts_with("old-");
    std::thread::scope(|threads| {
        let path = &path;
        threads.spawn(move || {
            let journal = Journal::open(path).unwrap();
            for append in 0..APPENDS {
                let line = Line::Sending(sending(&format!("new-{append}"), 1));
                journal.append(&line, WAIT).unwrap();
            }
        });
        threads.spawn(move || {
            // Each round has a line to drop, so each prune rewrites the file.
            let journal = Journal::open(path).unwrap();
            for round in 0..60 {
                let line = Line::Sending(sending(&format!("old-{round}"), 1));
                journal.append(&line, WAIT).unwrap();
                let pruned = journal.prune(WAIT, old).unwrap();
                assert!(pruned.dropped >= 1);
            }
        });
    });
    let contents = Journal::open(&path).unwrap().read().unwrap();
    assert!(contents.warnings().is_empty(), "{:?}", contents.warnings());
    let ids: Vec<&str> = contents.jobs().iter().map(Job::request_id).collect();
    assert!(ids.iter().all(|id| id.starts_with("new-")), "{ids:?}");
    let expected: Vec<String> = (0..APPENDS).map(|append| format!("new-{append}")).collect();
    assert_eq!(ids, expected, "every append kept, in order");
}
