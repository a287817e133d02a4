//! Compile-time behaviour of `#[filch::main]` and `#[filch::test]`, checked with trybuild.
//!
//! The `fail` cases' expected compiler output lives next to each case in `tests/ui/*.stderr`.
//! To regenerate it after changing a message: `TRYBUILD=overwrite cargo test -p filch --test
//! macros`, then review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/main_pass.rs");
    cases.compile_fail("tests/ui/main_not_async.rs");
    cases.compile_fail("tests/ui/main_with_parameters.rs");
    cases.compile_fail("tests/ui/main_unknown_argument.rs");
    cases.compile_fail("tests/ui/main_zero_workers.rs");
    cases.compile_fail("tests/ui/main_bad_worker_value.rs");
    cases.compile_fail("tests/ui/main_generic.rs");
    cases.compile_fail("tests/ui/main_bad_flavor.rs");
    cases.compile_fail("tests/ui/main_current_thread_with_workers.rs");
    cases.compile_fail("tests/ui/test_current_thread_with_workers.rs");
    cases.compile_fail("tests/ui/test_not_async.rs");
    cases.compile_fail("tests/ui/test_with_parameters.rs");
    cases.compile_fail("tests/ui/test_duplicate_test_attribute.rs");
    cases.compile_fail("tests/ui/test_zero_workers.rs");
    cases.compile_fail("tests/ui/test_unknown_argument.rs");
    cases.compile_fail("tests/ui/select_no_branches.rs");
}
