"""C++ (and gRPC) code generation from .proto files with the machine's protoc.

Bazel 4's native proto rules want protobuf built from source; strata uses Debian's
protoc and grpc_cpp_plugin instead, which match the installed runtime libraries.
"""

ProtoSourcesInfo = provider(
    doc = "The .proto files of a library and its dependencies, with their import roots.",
    fields = {
        "sources": "depset of .proto files",
        "import_roots": "depset of directories to pass as --proto_path",
    },
)

def _join(*parts):
    return "/".join([p for p in parts if p])

def _rel_name(src, import_root):
    if not import_root:
        return src.path
    if not src.path.startswith(import_root + "/"):
        fail("%s is not under the import root %s" % (src.path, import_root))
    return src.path[len(import_root) + 1:]

def _outputs_for(ctx, src, import_root, suffixes):
    package_dir = _join(ctx.label.workspace_root, ctx.label.package)
    full = _join(import_root, _rel_name(src, import_root))
    if package_dir:
        if not full.startswith(package_dir + "/"):
            fail("%s is outside package %s" % (src.path, package_dir))
        full = full[len(package_dir) + 1:]
    base = full[:-len(".proto")]
    return [ctx.actions.declare_file(base + s) for s in suffixes]

def _proto_gen_impl(ctx):
    import_root = _join(ctx.label.workspace_root, ctx.attr.proto_root)
    out_root = _join(ctx.bin_dir.path, import_root)
    dep_sources = depset(transitive = [d[ProtoSourcesInfo].sources for d in ctx.attr.deps])
    roots = depset([import_root if import_root else "."], transitive = [
        d[ProtoSourcesInfo].import_roots
        for d in ctx.attr.deps
    ])
    inputs = depset(ctx.files.srcs, transitive = [dep_sources])
    proto_paths = ["--proto_path=" + r for r in roots.to_list()]

    hdrs = []
    srcs = []
    cpp_outs = []
    for src in ctx.files.srcs:
        h, cc = _outputs_for(ctx, src, import_root, [".pb.h", ".pb.cc"])
        hdrs.append(h)
        srcs.append(cc)
        cpp_outs += [h, cc]
    ctx.actions.run(
        executable = ctx.executable._protoc,
        arguments = proto_paths + ["--cpp_out=" + out_root] +
                    [_rel_name(s, import_root) for s in ctx.files.srcs],
        inputs = inputs,
        outputs = cpp_outs,
        mnemonic = "ProtocCpp",
        progress_message = "Generating C++ for %s" % ctx.label,
    )
    if ctx.files.grpc_srcs:
        grpc_outs = []
        for src in ctx.files.grpc_srcs:
            h, cc = _outputs_for(ctx, src, import_root, [".grpc.pb.h", ".grpc.pb.cc"])
            hdrs.append(h)
            srcs.append(cc)
            grpc_outs += [h, cc]
        ctx.actions.run(
            executable = ctx.executable._protoc,
            arguments = proto_paths + [
                "--plugin=protoc-gen-grpc=" + ctx.executable._grpc_plugin.path,
                "--grpc_out=" + out_root,
            ] + [_rel_name(s, import_root) for s in ctx.files.grpc_srcs],
            inputs = inputs,
            tools = [ctx.executable._grpc_plugin],
            outputs = grpc_outs,
            mnemonic = "ProtocGrpc",
            progress_message = "Generating gRPC C++ for %s" % ctx.label,
        )
    return [
        DefaultInfo(files = depset(hdrs + srcs)),
        OutputGroupInfo(hdrs = depset(hdrs), srcs = depset(srcs)),
        ProtoSourcesInfo(sources = inputs, import_roots = roots),
    ]

_proto_gen = rule(
    implementation = _proto_gen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"]),
        "grpc_srcs": attr.label_list(allow_files = [".proto"]),
        "deps": attr.label_list(providers = [ProtoSourcesInfo]),
        "proto_root": attr.string(doc = "import root, relative to the repository root"),
        "_protoc": attr.label(
            default = "@system_tools//:protoc",
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
        "_grpc_plugin": attr.label(
            default = "@system_tools//:grpc_cpp_plugin",
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
    },
)

def strata_proto_library(name, srcs, grpc_srcs = [], deps = [], proto_root = "", visibility = None, testonly = False):
    """C++ messages (and gRPC services for grpc_srcs) for srcs.

    Creates `name` (a cc_library) and `name_proto` (the sources, for other
    strata_proto_library deps). grpc_srcs must be a subset of srcs.
    """
    _proto_gen(
        name = name + "_proto",
        srcs = srcs,
        grpc_srcs = grpc_srcs,
        deps = [d + "_proto" for d in deps],
        proto_root = proto_root,
        visibility = visibility,
        testonly = testonly,
    )
    native.filegroup(
        name = name + "_hdrs",
        srcs = [":" + name + "_proto"],
        output_group = "hdrs",
        testonly = testonly,
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = [":" + name + "_proto"],
        output_group = "srcs",
        testonly = testonly,
    )
    native.cc_library(
        name = name,
        srcs = [":" + name + "_srcs"],
        hdrs = [":" + name + "_hdrs"],
        includes = [proto_root] if proto_root else [],
        # Generated code: compile it as the library's authors intend, without our warnings.
        copts = ["-w"],
        deps = deps + ["@system_libs//:protobuf", "@system_libs//:grpcpp"],
        visibility = visibility,
        testonly = testonly,
    )
