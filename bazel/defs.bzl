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
