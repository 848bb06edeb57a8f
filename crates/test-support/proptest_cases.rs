// The case count of the workspace's properties, written once for every test that has
// them. It is not a crate: a crate's tests could not depend on a crate above them
// without compiling it twice. A file directly in a crate's `src/` or `tests/` takes it
// with `include!("../../test-support/proptest_cases.rs");` (an include, unlike a
// `#[path]` module, works inside an inline `mod tests` as well).

/// The case count of each property: `default`, or `PROPTEST_CASES` when set.
fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::Config {
        cases,
        ..proptest::test_runner::Config::default()
    }
}
