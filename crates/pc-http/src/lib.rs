//! `pc-http`: under construction.
