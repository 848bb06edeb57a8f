//! `pc-sim`: an in-memory Partner Center device-deployment service, for tests, demos
//! and benchmarks.

mod answer;
mod clock;
mod config;
mod faults;
mod json;
mod log;
mod route;
mod rules;
mod server;
mod store;
mod tokens;

pub use answer::codes;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{FaultConfig, FaultKind, FaultRule, Limits, SimConfig, UnknownFault};
pub use log::{LoggedRequest, REDACTED};
pub use route::{Operation, UnknownOperation};
pub use server::{RunningSimulator, SimControl, SimError, SimHandle, Simulator, spawn};
pub use tokens::RESOURCE;
