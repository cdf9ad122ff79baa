#include "controlplane/kube/status_writer.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "nlohmann/json.hpp"

namespace strata::kube {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxEventMessage = 1024;
constexpr absl::Duration kFirstRetry = absl::Seconds(1);
constexpr absl::Duration kMaxRetry = absl::Seconds(30);

// FNV-1a: the same in every replica and every build (absl::Hash is seeded per process).
uint64_t StableHash(const std::string& text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// JSON text; a string cut inside a UTF-8 sequence is repaired rather than aborting (nlohmann
// throws on invalid UTF-8, and exceptions are off).
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

struct Target {
  std::string api_version;  // of the object
  std::string path;         // of the object
  const std::string* reported = nullptr;
  const std::string* uid = nullptr;
};

}  // namespace

StatusWriter::StatusWriter(ApiClient& client, Clock& clock) : client_(client), clock_(clock) {
  thread_ = std::thread([this] { Run(); });
}

StatusWriter::~StatusWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void StatusWriter::SetLeader(bool leader) {
  absl::MutexLock lock(&mu_);
  leader_ = leader;
}

void StatusWriter::Update(const source::ClusterState& state,
                          const translate::TwoTierConfig& config) {
  std::map<std::tuple<std::string, std::string, std::string>, const translate::ObjectReport*>
      reports;
  for (const translate::ObjectReport& report : config.reports) {
    reports[{report.kind, report.namespace_, report.name}] = &report;
  }
  const std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_.Now(), absl::UTCTimeZone());
  std::vector<Write> writes;
  for (const translate::ServedObject& served : config.served) {
    Target target;
    if (served.kind == "Ingress") {
      auto it = state.ingresses.find({served.namespace_, served.name});
      if (it == state.ingresses.end()) continue;
      target = {"networking.k8s.io/v1",
                absl::StrCat("/apis/networking.k8s.io/v1/namespaces/", served.namespace_,
                             "/ingresses/", served.name),
                &it->second.reported_problems, &it->second.uid};
    } else if (served.kind == "IngressRoute") {
      auto it = state.ingress_routes.find({served.namespace_, served.name});
      if (it == state.ingress_routes.end()) continue;
      target = {absl::StrCat(it->second.api_group, "/v1alpha1"),
                absl::StrCat("/apis/", it->second.api_group, "/v1alpha1/namespaces/",
                             served.namespace_, "/ingressroutes/", served.name),
                &it->second.reported_problems, &it->second.uid};
    } else {
      continue;
    }
    auto report = reports.find({served.kind, served.namespace_, served.name});
    const std::string problems =
        report == reports.end() ? "" : absl::StrJoin(report->second->problems, "\n");
    if (problems == *target.reported) continue;
    const std::string object = absl::StrCat(served.kind, " ", served.namespace_, "/", served.name);
    Json annotations;
    annotations[source::kProblemsAnnotation] = problems.empty() ? Json(nullptr) : Json(problems);
    writes.push_back(
        {"PATCH", target.path, Dump(Json{{"metadata", {{"annotations", annotations}}}}),
         absl::StrCat(problems.empty() ? "clear the problems of " : "report problems on ",
                      object)});
    if (problems.empty()) continue;
    std::string message = problems.substr(0, kMaxEventMessage);
    const std::string event_name =
        absl::StrFormat("%s.%016x", served.name.substr(0, 200),
                        StableHash(absl::StrCat(served.kind, "/", served.namespace_, "/",
                                                served.name, "\n", problems)));
    Json event = {{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", {{"name", event_name}, {"namespace", served.namespace_}}},
                  {"involvedObject",
                   {{"apiVersion", target.api_version},
                    {"kind", served.kind},
                    {"namespace", served.namespace_},
                    {"name", served.name},
                    // kubectl describe finds an object's Events by its uid.
                    {"uid", *target.uid}}},
                  {"reason", "NotRouted"},
                  {"message", message},
                  {"type", "Warning"},
                  {"source", {{"component", "strata-controlplane"}}},
                  {"firstTimestamp", now},
                  {"lastTimestamp", now},
                  {"count", 1}};
    writes.push_back({"POST", absl::StrCat("/api/v1/namespaces/", served.namespace_, "/events"),
                      Dump(event), absl::StrCat("an Event on ", object)});
  }
  absl::MutexLock lock(&mu_);
  pending_ = std::move(writes);  // the latest state supersedes what was not written yet
  ++generation_;
}

bool StatusWriter::AwaitIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_.empty() && !busy_; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void StatusWriter::Run() {
  absl::Duration retry = kFirstRetry;
  while (true) {
    Write write;
    uint64_t generation = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (leader_ && !pending_.empty());
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      write = pending_.front();
      pending_.erase(pending_.begin());
      generation = generation_;
      busy_ = true;
    }
    absl::StatusOr<HttpResponse> response = client_.Call(write.method, write.path, write.body);
    const bool ok = response.ok() && (response->status / 100 == 2 ||
                                      // the Event is there already (posted by us or a peer)
                                      (write.method == "POST" && response->status == 409) ||
                                      // the object is gone
                                      response->status == 404);
    if (!ok) {
      STRATA_LOG(WARNING) << "status: could not write " << write.what << ": "
                          << (response.ok() ? DescribeError(*response)
                                            : std::string(response.status().message()))
                          << "; trying again in " << retry;
    }
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (ok) {
      retry = kFirstRetry;
      continue;
    }
    // Unless a newer state replaced the queue (it comes with its own writes), try again
    // after a growing pause.
    if (generation == generation_) pending_.insert(pending_.begin(), std::move(write));
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), retry);
    retry = std::min(retry * 2, kMaxRetry);
  }
}

}  // namespace strata::kube
