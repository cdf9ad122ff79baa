"""Project macros: every strata C++ target goes through these, so flags stay uniform."""

STRATA_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-fno-exceptions",
]

def strata_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = STRATA_COPTS + copts, **kwargs)

def strata_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(name = name, copts = STRATA_COPTS + copts, **kwargs)

def strata_cc_test(name, copts = [], deps = [], **kwargs):
    """A GoogleTest binary; `size` defaults to small, tag `e2e` for multi-process tests."""
    kwargs.setdefault("size", "small")
    native.cc_test(
        name = name,
        copts = STRATA_COPTS + copts,
        deps = deps + ["@system_libs//:gtest_main", "@system_libs//:gmock"],
        **kwargs
    )

def strata_fuzz_test(name, srcs, deps = [], corpus = [], copts = [], **kwargs):
    """A libFuzzer entry point (`LLVMFuzzerTestOneInput` in `srcs`) run as a regression test.

    The test links //tests/fuzz:replay_main, which feeds every file of `corpus` (labels of
    files or filegroups) to the entry point once; a crash or sanitizer report fails it. Built
    with the default toolchain (gcc); tests/fuzz/run_fuzzers.sh does the actual fuzzing with
    clang's libFuzzer.
    """
    kwargs.setdefault("size", "small")
    kwargs.setdefault("tags", [])
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = STRATA_COPTS + copts,
        deps = deps + ["//tests/fuzz:replay_main"],
        data = corpus,
        args = ["$(locations %s)" % c for c in corpus],
        tags = kwargs.pop("tags") + ["fuzz"],
        **kwargs
    )
