#ifndef STRATA_TESTS_BENCH_BENCH_SERVER_H_
#define STRATA_TESTS_BENCH_BENCH_SERVER_H_

#include "tests/bench/synthetic_config.h"

namespace strata::bench {

// The control-plane side of the benchmark, run in its own process so that its memory can be
// read from /proc. Serves `shape` over ADS on 127.0.0.1 (a free port), prints "port N" on
// stdout, then answers one command per line from stdin with one line starting "ok" or
// "error":
//
//   update-one G eds|rds  edit group G (one ClusterLoadAssignment or the RouteConfiguration)
//                         and publish; answers "ok <micros> <version>": the time spent
//                         building and publishing the snapshot, and the new type version
//   update-all eds|rds    the same edit in every group, one snapshot after another; answers
//                         "ok <micros> <version of group 0> ... <version of group N-1>"
//   rss                   answers "ok <VmRSS kB> <VmHWM kB> <VmRSS kB after malloc_trim>
//                         <heap bytes in use (mallinfo2)>"
//   nodes                 answers "ok <connected nodes known to the status registry>"
//   sockets               answers "ok <open socket descriptors>" (listener + connections)
//   serializations        answers "ok <xds::SerializationCount()>"
//   quit                  answers "ok" and stops the server
//
// The snapshot cache publishes without debounce: a snapshot reaches the streams inside
// SetSnapshot, so what is measured is the push path. Returns the process exit code. Stops on
// "quit" or at the end of stdin.
int RunServer(const ConfigShape& shape);

}  // namespace strata::bench

#endif  // STRATA_TESTS_BENCH_BENCH_SERVER_H_
