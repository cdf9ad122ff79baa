#include "controlplane/kube/status_writer.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "controlplane/kube/gateway_status.h"
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

Json WithoutTimes(Json json) {
  if (json.is_object()) {
    json.erase("lastTransitionTime");
    for (auto& [key, value] : json.items()) value = WithoutTimes(value);
  } else if (json.is_array()) {
    for (Json& value : json) value = WithoutTimes(value);
  }
  return json;
}

// What `desired` makes of an empty status, without transition times: a digest of it.
Json ApplyTo(const translate::GatewayClassStatus& desired) {
  Json status = Json::object();
  ApplyGatewayClassStatus(desired, "", status);
  return WithoutTimes(status);
}

Json ApplyTo(const translate::GatewayStatus& desired) {
  Json status = Json::object();
  ApplyGatewayStatus(desired, "", status);
  return WithoutTimes(status);
}

Json ApplyTo(const translate::HttpRouteStatus& desired, const std::string& controller) {
  Json status = Json::object();
  ApplyHttpRouteStatus(desired, controller, "", status);
  return WithoutTimes(status);
}

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
  if (!leader) written_.clear();  // the next term checks every object again
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
    // When the object's latest version was refused, the served one is an older version:
    // what is on the object now is the refused version's.
    auto rejected_it = state.rejected.find({served.kind, served.namespace_, served.name});
    const source::RejectedObject* rejected =
        rejected_it == state.rejected.end() ? nullptr : &rejected_it->second;
    if (served.kind == "Ingress") {
      auto it = state.ingresses.find({served.namespace_, served.name});
      if (it == state.ingresses.end()) continue;
      const auto& load_balancer =
          rejected != nullptr ? rejected->load_balancer : it->second.load_balancer;
      if (load_balancer != config.edge_addresses) {
        // Where the Ingress is reachable: the edge's addresses (kubectl get ingress shows them).
        Json addresses = Json::array();
        for (const source::LoadBalancerAddress& a : config.edge_addresses) {
          Json entry = Json::object();
          if (!a.ip.empty()) entry["ip"] = a.ip;
          if (!a.hostname.empty()) entry["hostname"] = a.hostname;
          addresses.push_back(std::move(entry));
        }
        writes.push_back(
            {"PATCH",
             absl::StrCat("/apis/networking.k8s.io/v1/namespaces/", served.namespace_,
                          "/ingresses/", served.name, "/status"),
             Dump(Json{{"status",
                        {{"loadBalancer",
                          {{"ingress", addresses.empty() ? Json(nullptr) : addresses}}}}}}),
             absl::StrCat("the load balancer status of Ingress ", served.namespace_, "/",
                          served.name),
             nullptr, ""});
      }
      target = {"networking.k8s.io/v1",
                absl::StrCat("/apis/networking.k8s.io/v1/namespaces/", served.namespace_,
                             "/ingresses/", served.name),
                &it->second.reported_problems, &it->second.uid};
      if (rejected != nullptr) target.reported = &rejected->reported_problems;
      if (rejected != nullptr) target.uid = &rejected->uid;
    } else if (served.kind == "IngressRoute") {
      auto it = state.ingress_routes.find({served.namespace_, served.name});
      if (it == state.ingress_routes.end()) continue;
      target = {absl::StrCat(it->second.api_group, "/v1alpha1"),
                absl::StrCat("/apis/", it->second.api_group, "/v1alpha1/namespaces/",
                             served.namespace_, "/ingressroutes/", served.name),
                &it->second.reported_problems, &it->second.uid};
      if (rejected != nullptr) target.reported = &rejected->reported_problems;
      if (rejected != nullptr) target.uid = &rejected->uid;
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
         absl::StrCat(problems.empty() ? "clear the problems of " : "report problems on ", object),
         nullptr, ""});
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
                      Dump(event), absl::StrCat("an Event on ", object), nullptr, ""});
  }
  AddGatewayApiWrites(config.gateway_api, writes);
  absl::MutexLock lock(&mu_);
  // Forget objects that are gone from the status (deleted, or no longer strata's).
  std::set<std::string> paths;
  for (const Write& w : writes) {
    if (!w.digest.empty()) paths.insert(w.path);
  }
  std::erase_if(written_, [&](const auto& entry) { return !paths.contains(entry.first); });
  // Status already in place (as far as this term knows) is not checked again.
  writes.erase(std::remove_if(writes.begin(), writes.end(),
                              [this](const Write& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                                // The object being written now may end up with what this
                                // state no longer wants: check it again.
                                if (w.digest.empty() || w.path == in_flight_) return false;
                                auto it = written_.find(w.path);
                                return it != written_.end() && it->second == w.digest;
                              }),
               writes.end());
  pending_ = std::move(writes);  // the latest state supersedes what was not written yet
  ++generation_;
}

void StatusWriter::AddGatewayApiWrites(const translate::GatewayApiStatus& status,
                                       std::vector<Write>& writes) {
  const std::string group_path = absl::StrCat("/apis/", source::kGatewayApiGroup, "/v1/");
  const std::string controller = status.controller_name;
  for (const translate::GatewayClassStatus& c : status.classes) {
    writes.push_back(
        {"STATUS", absl::StrCat(group_path, "gatewayclasses/", c.name), "",
         absl::StrCat("the status of GatewayClass ", c.name),
         [c](const std::string& now, Json& json) { return ApplyGatewayClassStatus(c, now, json); },
         Dump(ApplyTo(c))});
  }
  for (const translate::GatewayStatus& g : status.gateways) {
    writes.push_back(
        {"STATUS", absl::StrCat(group_path, "namespaces/", g.key.first, "/gateways/", g.key.second),
         "", absl::StrCat("the status of Gateway ", g.key.first, "/", g.key.second),
         [g](const std::string& now, Json& json) { return ApplyGatewayStatus(g, now, json); },
         absl::StrCat(g.uid, "\n", Dump(ApplyTo(g)))});
  }
  for (const translate::HttpRouteStatus& r : status.routes) {
    writes.push_back(
        {"STATUS",
         absl::StrCat(group_path, "namespaces/", r.key.first, "/httproutes/", r.key.second), "",
         absl::StrCat("the status of HTTPRoute ", r.key.first, "/", r.key.second),
         [r, controller](const std::string& now, Json& json) {
           return ApplyHttpRouteStatus(r, controller, now, json);
         },
         absl::StrCat(r.uid, "\n", Dump(ApplyTo(r, controller)))});
  }
}

StatusWriter::Outcome StatusWriter::Perform(const Write& write) {
  absl::StatusOr<HttpResponse> response;
  std::string what_failed;
  if (write.update_status) {
    // Read, merge, write back with the resourceVersion read: a 409 means someone else
    // changed the object meanwhile, and the retry reads it again.
    response = client_.Call("GET", write.path, "");
    if (response.ok() && response->status == 200) {
      Json object = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
      if (!object.is_object()) {
        STRATA_LOG(WARNING) << "status: " << write.path << " is not a JSON object";
        return Outcome::kFailed;
      }
      const std::string now =
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_.Now(), absl::UTCTimeZone());
      Json& status = object["status"];
      if (!write.update_status(now, status)) return Outcome::kDone;  // as it should be
      response = client_.Call("PUT", absl::StrCat(write.path, "/status"), Dump(object));
    }
  } else {
    response = client_.Call(write.method, write.path, write.body);
  }
  if (response.ok() && response->status == 404) return Outcome::kGone;
  const bool ok = response.ok() && (response->status / 100 == 2 ||
                                    // the Event is there already (posted by us or a peer)
                                    (write.method == "POST" && response->status == 409));
  if (ok) return Outcome::kDone;
  const std::string why =
      response.ok() ? DescribeError(*response) : std::string(response.status().message());
  // A refusal that trying again cannot fix (403: no permission; 400, 422: a body the server
  // does not take) is logged and dropped, so it never holds up the other writes. A conflict
  // (409), throttling (429), server errors and transport failures are retried.
  if (response.ok() && response->status / 100 == 4 && response->status != 409 &&
      response->status != 429) {
    STRATA_LOG(WARNING) << "status: could not write " << write.what << ": " << why
                        << "; not retried";
    return Outcome::kRefused;
  }
  STRATA_LOG(WARNING) << "status: could not write " << write.what << ": " << why;
  return Outcome::kFailed;
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
      in_flight_ = write.path;
    }
    const Outcome outcome = Perform(write);
    const bool ok = outcome != Outcome::kFailed;
    absl::MutexLock lock(&mu_);
    busy_ = false;
    in_flight_.clear();
    if (ok) {
      // Remembered only if no newer state came meanwhile: that one may have left out a write
      // back to what this term wrote before, trusting this memory.
      if (outcome == Outcome::kDone && !write.digest.empty() && generation == generation_) {
        written_[write.path] = write.digest;
      } else {
        written_.erase(write.path);
      }
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
