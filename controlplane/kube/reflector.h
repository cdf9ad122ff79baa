#ifndef STRATA_CONTROLPLANE_KUBE_REFLECTOR_H_
#define STRATA_CONTROLPLANE_KUBE_REFLECTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/kube/watch_decoder.h"
#include "nlohmann/json.hpp"

namespace strata::kube {

// A kind of the Kubernetes API, as its URLs name it.
struct ResourceType {
  ResourceType(std::string group, std::string version, std::string plural, std::string kind,
               bool optional = false, std::string field_selector = "")
      : group(std::move(group)),
        version(std::move(version)),
        plural(std::move(plural)),
        kind(std::move(kind)),
        optional(optional),
        field_selector(std::move(field_selector)) {}

  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "ingresses"
  std::string kind;     // "Ingress": list items of built-in kinds come without it
  // A kind that may be missing (a CRD not installed, or not granted): 404 and 403 on the
  // list count as "none" instead of blocking the source.
  bool optional = false;
  // Sent with every list and watch ("type=kubernetes.io/tls"): the server filters, so objects
  // strata never reads are neither transferred nor kept.
  std::string field_selector;
  // "/api/v1/services" or "/apis/networking.k8s.io/v1/ingresses" (all namespaces).
  std::string CollectionPath() const;
  std::string ApiVersion() const;  // "v1", "networking.k8s.io/v1"
};

// Exponential backoff with jitter, as client-go's reflector: 800 ms doubling to 30 s, each
// delay stretched by up to 100 % at random, back to the start after 2 minutes without
// trouble. Pure: time and randomness come in.
class Backoff {
 public:
  struct Options {
    absl::Duration initial = absl::Milliseconds(800);
    absl::Duration max = absl::Seconds(30);
    absl::Duration reset_after = absl::Minutes(2);
  };
  explicit Backoff(Options options) : options_(options) {}
  // The delay before the next attempt, after a failure at `now`; `random` in [0, 1).
  absl::Duration Next(absl::Time now, double random);

 private:
  Options options_;
  absl::Duration current_ = absl::ZeroDuration();
  absl::Time last_failure_ = absl::InfinitePast();
};

// Receives what a Reflector learns, on the reflector's thread.
class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  // After every (re)list: the complete set of objects, each with kind and apiVersion set.
  virtual void Replace(std::vector<nlohmann::json> objects) = 0;
  // A change seen by the watch: ADDED, MODIFIED or DELETED.
  virtual void Apply(const WatchEvent& event) = 0;
};

// Keeps a handler in step with one kind, as client-go's reflector does (KUBE_API.md §1.12):
// a paged LIST, then a WATCH from the list's resourceVersion with bookmarks; a watch that ends
// normally is resumed from the last version seen, without a relist; "too old" (an HTTP 410 or
// an ERROR event 410/Expired/Gone) relists; other failures relist after a backoff; a refused
// connection or a 429 re-watches after a backoff. It never asks for watch-list.
class Reflector {
 public:
  struct Options {
    int64_t page_size = 500;
    Backoff::Options backoff;
    // Each watch asks the server to end it after a random time in [min, 2 * min).
    absl::Duration min_watch_timeout = absl::Minutes(5);
    // A watch that ends this fast without an event is an error ("very short watch").
    absl::Duration very_short_watch = absl::Seconds(1);
  };

  Reflector(ApiClient& client, ResourceType type, ReflectorHandler& handler, Clock& clock,
            Options options);
  Reflector(ApiClient& client, ResourceType type, ReflectorHandler& handler, Clock& clock)
      : Reflector(client, std::move(type), handler, clock, Options()) {}
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Starts the reflector's thread; Stop (or the destructor) ends it.
  void Start();
  // Asks the reflector to stop without waiting (a watch ends within about a second); Stop
  // also waits for its thread. Stopping several reflectors: RequestStop on each, then Stop.
  void RequestStop() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    int64_t lists = 0;      // complete (re)lists
    int64_t watches = 0;    // watch requests answered with 200
    int64_t events = 0;     // ADDED/MODIFIED/DELETED applied
    int64_t bookmarks = 0;  // BOOKMARK events
    int64_t errors = 0;     // failed requests and error events
    std::string last_error;
    std::string resource_version;  // last seen
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until `done(stats())` holds, or `timeout`. For tests and readiness.
  bool AwaitStats(const std::function<bool(const Stats&)>& done, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // kExpired: our version is too old; back off, then relist from it.
  enum class Next { kWatch, kRelist, kBackoffRelist, kBackoffWatch, kExpired };
  void Run();
  // The full list; an error status when it failed.
  absl::Status List(bool after_expiry);
  Next Watch();
  // "fieldSelector=...&", or "" when the kind has no selector.
  std::string SelectorQuery() const;
  void Failed(const std::string& what) ABSL_LOCKS_EXCLUDED(mu_);
  // Sleeps `d` unless stopped; false when stopped.
  bool Sleep(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

  ApiClient& client_;
  const ResourceType type_;
  ReflectorHandler& handler_;
  Clock& clock_;
  const Options options_;
  Backoff backoff_;
  std::string resource_version_;  // reflector thread only
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_REFLECTOR_H_
