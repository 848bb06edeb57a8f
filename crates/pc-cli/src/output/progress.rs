//! Progress of a wait on stderr: a bar on a terminal, status lines for the demo, or
//! nothing.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar (stderr is a terminal).
    Bar,
    /// A line each time the status changes (the demo, when stderr is not a terminal).
    Lines,
    /// Nothing.
    Quiet,
}

/// The progress of a wait over some devices.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    lines: bool,
    last_line: String,
}

impl Progress {
    /// Progress over `total` devices (more may be learnt later).
    pub fn new(mode: ProgressMode, total: u64) -> Self {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} devices  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            lines: mode == ProgressMode::Lines,
            last_line: String::new(),
        }
    }

    /// After a poll: `done` of `total` devices are terminal; `status` is the batch's.
    pub fn update(&mut self, done: u64, total: u64, failed: u64, status: &str) {
        let message = if failed > 0 {
            format!("{status}, {failed} failed")
        } else {
            status.to_owned()
        };
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(message);
        } else if self.lines {
            let line = format!("  {message}: {done}/{total} devices done");
            if line != self.last_line {
                eprintln!("{line}");
                self.last_line = line;
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
