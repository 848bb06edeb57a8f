//! Ctrl-C, in every command but `pc sim`: the first starts nothing new (the libraries'
//! `pc_http::Interrupt`, which every pipeline of this process holds: no request, no
//! retry, no sleep; the attempts in flight end), lets the command write what it has and
//! exit 130; a second exits 130 at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use pc_http::Interrupt;

use crate::exit::Exit;
use crate::output::note;

/// The process's one interrupt.
fn shared() -> &'static Interrupt {
    static INTERRUPT: OnceLock<Interrupt> = OnceLock::new();
    INTERRUPT.get_or_init(Interrupt::new)
}

/// The interrupt every pipeline of this process holds.
pub fn current() -> Interrupt {
    shared().clone()
}

/// Whether Ctrl-C was pressed.
pub fn is_interrupted() -> bool {
    shared().is_interrupted()
}

/// Handles Ctrl-C from now on. A handler that cannot be set (one already is) leaves
/// the default: the process ends at the signal.
pub fn install() {
    static PRESSED: AtomicU32 = AtomicU32::new(0);
    let interrupt = current();
    let _ = ctrlc::set_handler(move || {
        if PRESSED.fetch_add(1, Ordering::SeqCst) == 0 {
            interrupt.interrupt();
            note(
                "interrupted: nothing new is started; what is in flight ends and what is \
                 known is written (Ctrl-C again to stop at once)"
                    .to_owned(),
            );
        } else {
            std::process::exit(i32::from(Exit::Interrupted.code()));
        }
    });
}

/// The exit code of a command that ended as `exit`: 130 once interrupted, whatever
/// else happened (it outranks every other outcome).
pub fn outcome(exit: Exit) -> Exit {
    if is_interrupted() {
        Exit::Interrupted
    } else {
        exit
    }
}
