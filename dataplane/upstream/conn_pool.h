#ifndef STRATA_DATAPLANE_UPSTREAM_CONN_POOL_H_
#define STRATA_DATAPLANE_UPSTREAM_CONN_POOL_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/connection.h"
#include "dataplane/upstream/cluster.h"

namespace strata::upstream {

// Idle keep-alive connections to upstream hosts, for one worker. A connection handed back
// with Release() waits here until Acquire() takes it again, the upstream closes it, it sends
// unexpected bytes, or it stays idle longer than the idle timeout.
//
// Connections are kept per host and client key: a connection that began with a PROXY protocol
// header speaks for one client, so it is keyed by that header (UpstreamTransport::ProxyHeader)
// and only reused for the same client; other connections have the empty key.
class ConnPool {
 public:
  struct Options {
    absl::Duration idle_timeout = absl::Seconds(60);
    size_t max_idle_per_host = 64;
  };

  ConnPool(event::Dispatcher& dispatcher, Options options);
  ~ConnPool();
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  // An idle connection to `host` (most recently used first), or null. The caller must set its
  // own callbacks on it.
  std::unique_ptr<net::Connection> Acquire(const Host& host, absl::string_view client_key = {});
  // Hands an open connection with nothing in flight back for reuse.
  void Release(const HostSharedPtr& host, std::unique_ptr<net::Connection> connection,
               std::string client_key = {});
  // Closes every idle connection to `host` (removed from its cluster).
  void DrainHost(const Host& host);

  size_t idle_count() const { return idle_count_; }

 private:
  class Idle;
  using Key = std::pair<const Host*, std::string>;
  void Remove(Idle* idle);

  event::Dispatcher& dispatcher_;
  const Options options_;
  // Most recently released at the back.
  absl::flat_hash_map<Key, std::list<std::unique_ptr<Idle>>> idle_;
  size_t idle_count_ = 0;
};

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_CONN_POOL_H_
