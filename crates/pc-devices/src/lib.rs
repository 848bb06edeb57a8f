//! `pc-devices`: under construction.
