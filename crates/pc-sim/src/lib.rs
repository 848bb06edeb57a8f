//! `pc-sim`: under construction.
