"""Envoy's v3 API protos, from the npm package that ships them.

The package @grpc/grpc-js-xds carries Envoy's API with its xds, udpa, validate and
googleapis dependencies. This rule fetches it with npm (the registry npm is set up
for), checks its SHA-256, strips the `ignore_empty` validate option that the bundled
validate.proto lacks, and keeps only the import closure of the requested roots, so
only what strata uses is compiled.
"""

# Directories inside the package's deps/ that act as proto import roots.
_IMPORT_ROOTS = ["envoy-api", "googleapis", "protoc-gen-validate", "xds"]

def _imports(content):
    found = []
    for line in content.splitlines():
        line = line.strip()
        if not line.startswith("import "):
            continue
        quoted = line.split('"')
        if len(quoted) >= 3:
            found.append(quoted[1])
    return found

def _envoy_api_impl(ctx):
    tarball = "package.tgz"
    npm = ctx.which("npm")
    if not npm:
        fail("npm is not installed; run bazel/install_deps.sh")
    result = ctx.execute(
        [npm, "pack", "--prefer-offline", "--silent", "%s@%s" % (ctx.attr.package, ctx.attr.version)],
        timeout = 600,
    )
    if result.return_code != 0:
        fail("npm pack %s@%s failed:\n%s" % (ctx.attr.package, ctx.attr.version, result.stderr))
    packed = result.stdout.strip().splitlines()[-1]
    ctx.execute(["mv", packed, tarball])
    digest = ctx.execute(["sha256sum", tarball]).stdout.split(" ")[0]
    if digest != ctx.attr.sha256:
        fail("%s@%s has SHA-256 %s, expected %s" %
             (ctx.attr.package, ctx.attr.version, digest, ctx.attr.sha256))
    ctx.extract(tarball, output = "unpacked", stripPrefix = "package/deps")

    # Breadth-first walk over imports, from the roots strata uses.
    located = {}
    queue = list(ctx.attr.roots)
    for _ in range(100000):
        if not queue:
            break
        name = queue.pop(0)
        if name in located or name.startswith("google/protobuf/"):
            continue  # protobuf's well-known types come with protoc itself
        path = None
        for root in _IMPORT_ROOTS:
            candidate = ctx.path("unpacked/%s/%s" % (root, name))
            if candidate.exists:
                path = candidate
                break
        if path == None:
            fail("%s is imported but not shipped by %s" % (name, ctx.attr.package))
        content = ctx.read(path)
        located[name] = True
        queue += _imports(content)

        # The bundled validate.proto predates `ignore_empty`; drop the option where used.
        content = content.replace(" ignore_empty: true", "")
        ctx.file("proto/" + name, content, executable = False)
    ctx.execute(["rm", "-rf", "unpacked", tarball])

    files = sorted(located.keys())
    services = [f for f in files if f.startswith("envoy/service/")]
    build = [
        'load("@//bazel:proto.bzl", "strata_proto_library")',
        "",
        "strata_proto_library(",
        '    name = "envoy_api",',
        "    srcs = [",
    ] + ['        "proto/%s",' % f for f in files] + [
        "    ],",
        "    grpc_srcs = [",
    ] + ['        "proto/%s",' % f for f in services] + [
        "    ],",
        '    proto_root = "proto",',
        '    visibility = ["//visibility:public"],',
        ")",
        "",
    ]
    ctx.file("WORKSPACE", "workspace(name = %r)\n" % ctx.name)
    ctx.file("BUILD.bazel", "\n".join(build))

envoy_api = repository_rule(
    implementation = _envoy_api_impl,
    attrs = {
        "package": attr.string(mandatory = True),
        "version": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True, doc = "SHA-256 of the packed tarball"),
        "roots": attr.string_list(mandatory = True, doc = "proto files strata includes"),
    },
    doc = "Envoy v3 API protos from a pinned npm package, reduced to the import closure of roots.",
)
