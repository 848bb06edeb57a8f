//! `--help` a user can work from without the docs, pinned by snapshots.

use crate::support::*;

#[test]
fn help_pages() {
    for (name, args) in [
        ("help_pc", &["--help"][..]),
        ("help_devices", &["devices", "--help"]),
        ("help_batch_status", &["devices", "batch-status", "--help"]),
        ("help_upload", &["devices", "upload", "--help"]),
        ("help_batches", &["devices", "batches", "--help"]),
        ("help_list", &["devices", "list", "--help"]),
        ("help_delete", &["devices", "delete", "--help"]),
        ("help_demo", &["demo", "--help"]),
        ("help_completions", &["completions", "--help"]),
        ("help_auth", &["auth", "--help"]),
        ("help_auth_login", &["auth", "login", "--help"]),
        ("help_auth_status", &["auth", "status", "--help"]),
        ("help_auth_logout", &["auth", "logout", "--help"]),
        ("help_jobs", &["jobs", "--help"]),
        ("help_jobs_list", &["jobs", "list", "--help"]),
        ("help_jobs_show", &["jobs", "show", "--help"]),
        ("help_jobs_wait", &["jobs", "wait", "--help"]),
        ("help_jobs_prune", &["jobs", "prune", "--help"]),
    ] {
        let out = pc(args).env("COLUMNS", "100").run();
        out.assert_code(0);
        insta::assert_snapshot!(name, out.stdout);
    }
}

#[test]
fn unknown_commands_and_flags_exit_2() {
    for args in [
        &["devices"][..],
        &["devices", "nope"],
        &["--nope"],
        &["devices", "upload"],
    ] {
        let out = pc(args).run();
        out.assert_code(2);
        assert!(out.stdout.is_empty());
    }
}
