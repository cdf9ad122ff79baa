#ifndef STRATA_DATAPLANE_UPSTREAM_CONN_POOL_H_
#define STRATA_DATAPLANE_UPSTREAM_CONN_POOL_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/connection.h"
#include "dataplane/upstream/cluster.h"

namespace strata::upstream {

// Which idle connections a request may take: one to `host`, made with `transport` (a cluster
// update that changes its transport_socket gets new connections), and, for a connection that
// began with a PROXY protocol header, one that speaks for the same client: `client` is that
// header (UpstreamTransport::ProxyHeader), empty for connections any request may share.
struct PoolKey {
  const Host* host = nullptr;
  const UpstreamTransport* transport = nullptr;
  absl::string_view client;
};

// Idle keep-alive connections to upstream hosts, for one worker. A connection handed back
// with Release() waits here until Acquire() takes it again, the upstream closes it, it sends
// unexpected bytes, it stays idle longer than the idle timeout, or (for a client's own
// connections) DrainClient() is called when the client's connection closes.
class ConnPool {
 public:
  struct Options {
    absl::Duration idle_timeout = absl::Seconds(60);
    size_t max_idle_per_host = 64;  // per host, transport and client
  };

  ConnPool(event::Dispatcher& dispatcher, Options options);
  ~ConnPool();
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  // An idle connection for `key` (most recently used first), or null. The caller must set its
  // own callbacks on it.
  std::unique_ptr<net::Connection> Acquire(const PoolKey& key);
  // Hands an open connection with nothing in flight back for reuse under `key` (the key it was
  // made for; key.host is host.get()). The transport is kept alive while the connection waits.
  void Release(const HostSharedPtr& host, UpstreamTransportConstSharedPtr transport,
               absl::string_view client, std::unique_ptr<net::Connection> connection);
  // Closes every idle connection to `host` (removed from its cluster).
  void DrainHost(const Host& host);
  // Closes the idle connections that speak for `client` (its downstream connection closed).
  void DrainClient(absl::string_view client);

  size_t idle_count() const { return idle_count_; }

 private:
  class Idle;
  using Slot = std::pair<const Host*, const UpstreamTransport*>;
  // Most recently released at the back.
  using IdleList = std::list<std::unique_ptr<Idle>>;
  using Slots = absl::flat_hash_map<Slot, IdleList>;

  void Remove(Idle* idle);
  void CloseAll(IdleList& list);

  event::Dispatcher& dispatcher_;
  const Options options_;
  // By client (node map: Idle keeps a pointer to its key), then by host and transport. The
  // entry of a client stays while the client's connection is open, so a keep-alive exchange
  // does not allocate its key again for every request.
  absl::node_hash_map<std::string, Slots> idle_;
  size_t idle_count_ = 0;
};

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_CONN_POOL_H_
