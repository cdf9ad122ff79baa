"""Repository rule that builds Debian's llhttp C sources (package node-llhttp) as @llhttp//:llhttp.

Debian ships llhttp as generated C (api.c, http.c, llhttp.c) plus one header, not as a
library; the rule links those files into an external repository and compiles them with
optimisation and without the project's warning flags (it is third-party code).
"""

_SOURCES = ["api.c", "http.c", "llhttp.c"]

_BUILD = """\
package(default_visibility = ["//visibility:public"])

# llhttp.c holds a strict and a loose parser; LLHTTP_STRICT_MODE=1 selects the strict one
# (CRLF after chunks, no whitespace before ':' in header names, ASCII-only request targets).
cc_library(
    name = "llhttp",
    srcs = {srcs},
    hdrs = ["llhttp.h"],
    copts = ["-O2", "-w"],
    includes = ["."],
    local_defines = ["LLHTTP_STRICT_MODE=1"],
)
"""

def _llhttp_impl(ctx):
    src_dir = ctx.path(ctx.attr.src_dir)
    header = ctx.path(ctx.attr.header)
    missing = [str(p) for p in [header] + [src_dir.get_child(s) for s in _SOURCES] if not p.exists]
    if missing:
        fail("llhttp sources not found (%s); install Debian's node-llhttp (bazel/install_deps.sh)" %
             ", ".join(missing))
    for s in _SOURCES:
        ctx.symlink(src_dir.get_child(s), s)
    ctx.symlink(header, "llhttp.h")
    ctx.file("WORKSPACE", "workspace(name = %r)\n" % ctx.name)
    ctx.file("BUILD.bazel", _BUILD.format(srcs = repr(_SOURCES)))

llhttp_repository = repository_rule(
    implementation = _llhttp_impl,
    attrs = {
        "src_dir": attr.string(default = "/usr/share/llhttp"),
        "header": attr.string(default = "/usr/share/include/llhttp/llhttp.h"),
    },
    local = True,
    doc = "@<name>//:llhttp from the llhttp C sources installed by Debian's node-llhttp.",
)
