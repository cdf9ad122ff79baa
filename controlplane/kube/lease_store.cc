#include "controlplane/kube/lease_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace strata::kube {
namespace {

using Json = nlohmann::json;

constexpr char kMicroTime[] = "%Y-%m-%dT%H:%M:%E6SZ";

std::string FormatMicroTime(absl::Time t) {
  return absl::FormatTime(kMicroTime, t, absl::UTCTimeZone());
}

absl::StatusOr<LeaseRecord> Answer(const absl::StatusOr<HttpResponse>& response,
                                   const std::string& what) {
  if (!response.ok()) return response.status();
  switch (response->status) {
    case 200:
    case 201:
      return ApiLeaseStore::FromJson(response->body);
    case 404:
      return absl::NotFoundError(absl::StrCat(what, ": ", DescribeError(*response)));
    case 409:
      return what == "create Lease"
                 ? absl::AlreadyExistsError(absl::StrCat(what, ": ", DescribeError(*response)))
                 : absl::AbortedError(absl::StrCat(what, ": ", DescribeError(*response)));
    default:
      return absl::UnavailableError(absl::StrCat(what, ": ", DescribeError(*response)));
  }
}

}  // namespace

std::string ApiLeaseStore::CollectionPath() const {
  return absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", namespace_, "/leases");
}

std::string ApiLeaseStore::ToJson(const LeaseRecord& record) const {
  Json metadata = {{"name", name_}, {"namespace", namespace_}};
  if (!record.resource_version.empty()) metadata["resourceVersion"] = record.resource_version;
  Json spec = {{"holderIdentity", record.holder_identity},
               {"leaseDurationSeconds", record.lease_duration_seconds},
               {"leaseTransitions", record.lease_transitions}};
  if (record.acquire_time != absl::Time())
    spec["acquireTime"] = FormatMicroTime(record.acquire_time);
  if (record.renew_time != absl::Time()) spec["renewTime"] = FormatMicroTime(record.renew_time);
  return Json{{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", metadata},
              {"spec", spec}}
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<LeaseRecord> ApiLeaseStore::FromJson(const std::string& json) {
  const Json lease = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!lease.is_object() || !lease.contains("metadata") || !lease["metadata"].is_object()) {
    return absl::InvalidArgumentError("Lease: not a Kubernetes object");
  }
  LeaseRecord record;
  const Json& meta = lease["metadata"];
  if (meta.contains("resourceVersion") && meta["resourceVersion"].is_string()) {
    record.resource_version = meta["resourceVersion"].get<std::string>();
  }
  if (!lease.contains("spec") || !lease["spec"].is_object()) return record;
  const Json& spec = lease["spec"];
  auto text = [&](const char* key) {
    return spec.contains(key) && spec[key].is_string() ? spec[key].get<std::string>()
                                                       : std::string();
  };
  auto number = [&](const char* key) {
    return spec.contains(key) && spec[key].is_number_integer() ? spec[key].get<int64_t>() : 0;
  };
  auto time = [&](const char* key) -> absl::StatusOr<absl::Time> {
    const std::string value = text(key);
    absl::Time t;
    std::string error;
    if (value.empty()) return absl::Time();
    if (!absl::ParseTime(absl::RFC3339_full, value, &t, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("Lease spec.", key, ": ", error));
    }
    return t;
  };
  record.holder_identity = text("holderIdentity");
  record.lease_duration_seconds = number("leaseDurationSeconds");
  record.lease_transitions = number("leaseTransitions");
  absl::StatusOr<absl::Time> acquire = time("acquireTime");
  if (!acquire.ok()) return acquire.status();
  absl::StatusOr<absl::Time> renew = time("renewTime");
  if (!renew.ok()) return renew.status();
  record.acquire_time = *acquire;
  record.renew_time = *renew;
  return record;
}

absl::StatusOr<LeaseRecord> ApiLeaseStore::Get() {
  return Answer(client_.Call("GET", absl::StrCat(CollectionPath(), "/", name_), ""), "get Lease");
}

absl::StatusOr<LeaseRecord> ApiLeaseStore::Create(const LeaseRecord& record) {
  LeaseRecord fresh = record;
  fresh.resource_version.clear();
  return Answer(client_.Call("POST", CollectionPath(), ToJson(fresh)), "create Lease");
}

absl::StatusOr<LeaseRecord> ApiLeaseStore::Update(const LeaseRecord& record) {
  return Answer(client_.Call("PUT", absl::StrCat(CollectionPath(), "/", name_), ToJson(record)),
                "update Lease");
}

}  // namespace strata::kube
