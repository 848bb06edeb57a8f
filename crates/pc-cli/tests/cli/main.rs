//! End-to-end tests of the real `pc` binary: against the simulator started in this
//! process on 127.0.0.1:0, and against scripted servers where a fault must be exact.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod auth;
mod config;
mod devices;
mod faults;
mod help;
mod interrupt;
mod journal;
mod output;
mod upload;
