"""Repository rule that turns Debian's system libraries into cc_library targets.

Every library is described by pkg-config module names; the rule asks pkg-config for
the compile and link flags at fetch time, so nothing is hand-copied and a library
update on the machine is picked up by `bazel sync`.
"""

# Include directories the compiler searches anyway; passing them again adds nothing.
_BUILTIN_INCLUDE_DIRS = ["/usr/include", "/usr/include/x86_64-linux-gnu", "/usr/local/include"]

def _pkg_config(ctx, args):
    result = ctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed: %s\nInstall the library's -dev package (see bazel/install_deps.sh)." %
             (" ".join(args), result.stderr))
    return [f for f in result.stdout.strip().replace("\n", " ").split(" ") if f]

def _system_libs_impl(ctx):
    if not ctx.which("pkg-config"):
        fail("pkg-config is not installed; run bazel/install_deps.sh")
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, modules in ctx.attr.libraries.items():
        defines = []
        includes = []
        for flag in _pkg_config(ctx, ["--cflags"] + modules):
            if flag.startswith("-D"):
                defines.append(flag[2:])
            elif flag.startswith("-I"):
                path = flag[2:]
                if path in _BUILTIN_INCLUDE_DIRS:
                    continue
                link = "include_%s_%d" % (name, len(includes))
                ctx.symlink(path, link)
                includes.append(link)
            elif flag not in ["-pthread"]:
                fail("unexpected compile flag %s from pkg-config %s" % (flag, modules))
        linkopts = _pkg_config(ctx, ["--libs"] + modules)
        build.append("cc_library(")
        build.append("    name = %r," % name)
        build.append("    defines = %r," % defines)
        build.append("    includes = %r," % includes)
        build.append("    linkopts = %r," % linkopts)
        build.append(")")
        build.append("")
    ctx.file("WORKSPACE", "workspace(name = %r)\n" % ctx.name)
    ctx.file("BUILD.bazel", "\n".join(build))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    attrs = {
        "libraries": attr.string_list_dict(
            doc = "target name -> pkg-config module names",
            mandatory = True,
        ),
    },
    local = True,
    doc = "cc_library targets for system libraries, with flags from pkg-config.",
)

def _system_tools_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, tool in ctx.attr.tools.items():
        path = ctx.which(tool)
        if not path:
            fail("%s is not installed; run bazel/install_deps.sh" % tool)
        ctx.symlink(path, name)
        build.append("sh_binary(name = %r, srcs = [%r])" % (name + "_bin", name))
        build.append("exports_files([%r])" % name)
    ctx.file("WORKSPACE", "workspace(name = %r)\n" % ctx.name)
    ctx.file("BUILD.bazel", "\n".join(build) + "\n")

system_tools = repository_rule(
    implementation = _system_tools_impl,
    attrs = {"tools": attr.string_dict(doc = "target name -> program on PATH", mandatory = True)},
    local = True,
    doc = "Programs from the machine (protoc, grpc_cpp_plugin) as labels.",
)
