//! The upload journal (`--journal`): a file of JSON lines, one per upload part sent,
//! accepted and seen finished, so that an accepted upload is never lost track of.
//!
//! `lines.rs` holds the lines as the contract spells them, `jobs.rs` the reading and
//! what the lines fold into (jobs and their states, the listings, the prune rule),
//! `scope.rs` the comparing and naming of base URLs, `file.rs` the file itself:
//! appends under `PATH.lock`, reads, and the one rewrite, `prune`. The commands decide
//! what to record and when; this module only records and reads.

mod file;
mod jobs;
mod lines;
mod scope;

#[cfg(test)]
mod tests;

// The module's API, as the commands name it (its own tests reach into the files).
#[allow(unused_imports)]
pub use file::{ENDING_LOCK_WAIT, Journal, JournalError, Pruned, UPLOAD_LOCK_WAIT};
#[allow(unused_imports)]
pub use jobs::{Contents, Entry, Job, JobFilter, State, expired};
#[allow(unused_imports)]
pub use lines::{Accepted, ErrorCount, Finished, Line, NOT_FOUND, Sending, csv_sha256};
#[allow(unused_imports)]
pub use scope::{ANOTHER_BASE_URL, name_base_url, same_base_url};
