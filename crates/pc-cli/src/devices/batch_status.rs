//! `pc devices batch-status`: one answer, or a wait until the batch is terminal.

use crate::api::{Api, StatusAnswer};
use crate::cli::BatchStatusArgs;
use crate::devices::journaled::{Ending, record_ending};
use crate::devices::verdict::{interrupted, is_terminal, judge, show_batch, timed_out};
use crate::devices::wait::{Polled, Wait};
use crate::exit::Exit;
use crate::journal::Journal;
use crate::output::progress::Progress;
use crate::output::{Ctx, fail};
use crate::settings::JournalSetting;

/// `pc devices batch-status`.
pub fn batch_status(
    ctx: &Ctx,
    api: &Api,
    args: &BatchStatusArgs,
    journal: &JournalSetting,
) -> Exit {
    let (customer, tracking) = (args.customer, args.tracking);
    // The journal is read only once the answer is terminal (or a 404).
    let record = |ending: Ending<'_>| {
        if let JournalSetting::At(path) = journal
            && let Ok(journal) = Journal::open(path)
        {
            record_ending(&journal, tracking, ending);
        }
    };
    let not_found = Ending::NotFound {
        grace: pc_devices::upload::DEFAULT_NOT_FOUND_GRACE,
    };
    if !args.wait.wait {
        return match api.batch_status(customer, tracking, None) {
            Ok(answer) => {
                if is_terminal(ctx, &answer) {
                    record(Ending::Terminal(&answer));
                }
                finish_batch(ctx, &answer)
            }
            Err(error) => {
                if error.status() == Some(http::StatusCode::NOT_FOUND) {
                    record(not_found);
                }
                fail(&error.into())
            }
        };
    }
    let wait = Wait::new(
        api,
        customer,
        args.wait.poll_interval,
        args.wait.wait_timeout,
    );
    let mut progress = Progress::new(ctx.progress, 0);
    let mut last = None;
    let polled = wait.follow(tracking, None, &mut last, &mut |scan| {
        progress.update(
            scan.done as u64,
            scan.total as u64,
            scan.failed_count() as u64,
            scan.status.as_deref().unwrap_or("-"),
        );
    });
    progress.finish();
    match polled {
        Polled::Done(answer) => {
            record(Ending::Terminal(&answer));
            finish_batch(ctx, &answer)
        }
        Polled::Failed(failure) => {
            if failure.status == Some(404) {
                record(not_found);
            }
            fail(&failure)
        }
        // What is known is written, as on a timeout.
        Polled::TimedOut | Polled::Interrupted => {
            if let Some(last) = &last
                && let Err(failure) = show_batch(ctx, last)
            {
                return fail(&failure);
            }
            if matches!(polled, Polled::Interrupted) {
                interrupted(customer, tracking)
            } else {
                timed_out(customer, tracking, wait.elapsed())
            }
        }
    }
}

fn finish_batch(ctx: &Ctx, answer: &StatusAnswer) -> Exit {
    let exit = match judge(ctx, answer) {
        Ok(exit) => exit,
        Err(failure) => return fail(&failure),
    };
    match show_batch(ctx, answer) {
        Ok(()) => exit,
        Err(failure) => fail(&failure),
    }
}
