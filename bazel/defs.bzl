"""Project macros: every strata C++ target goes through these, so flags stay uniform."""

STRATA_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-fno-exceptions",
]

# `--config=asan` (ASan + UBSan) instruments strata's own code only, through these macros:
# external code (the Envoy API protos above all) compiles exactly as in the default build, so
# it is built once and shared between the two configurations.
_SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize=vptr"]

def _copts(copts):
    return STRATA_COPTS + copts + select({
        "//bazel:asan": _SANITIZE + ["-fno-omit-frame-pointer", "-O1", "-g"],
        "//conditions:default": [],
    })

def _linkopts(linkopts):
    return linkopts + select({
        "//bazel:asan": _SANITIZE,
        "//conditions:default": [],
    })

def strata_cc_library(name, copts = [], linkopts = [], **kwargs):
    native.cc_library(name = name, copts = _copts(copts), linkopts = _linkopts(linkopts), **kwargs)

def strata_cc_binary(name, copts = [], linkopts = [], **kwargs):
    native.cc_binary(name = name, copts = _copts(copts), linkopts = _linkopts(linkopts), **kwargs)

def strata_cc_test(name, copts = [], linkopts = [], deps = [], **kwargs):
    """A GoogleTest binary; `size` defaults to small, tag `e2e` for multi-process tests."""
    kwargs.setdefault("size", "small")
    native.cc_test(
        name = name,
        copts = _copts(copts),
        linkopts = _linkopts(linkopts),
        deps = deps + ["@system_libs//:gtest_main", "@system_libs//:gmock"],
        **kwargs
    )

def strata_fuzz_test(name, srcs, deps = [], corpus = [], copts = [], linkopts = [], **kwargs):
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
        copts = _copts(copts),
        linkopts = _linkopts(linkopts),
        deps = deps + ["//tests/fuzz:replay_main"],
        data = corpus,
        args = ["$(locations %s)" % c for c in corpus],
        tags = kwargs.pop("tags") + ["fuzz"],
        **kwargs
    )
