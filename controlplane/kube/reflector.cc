#include "controlplane/kube/reflector.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace strata::kube {
namespace {

using Json = nlohmann::json;

double RandomUnit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// A query-string value.
std::string Escape(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::BytesToHexString(std::string(1, static_cast<char>(c))));
    }
  }
  return out;
}

// A 504 for a version the server has not reached: its Status names the cause
// ResourceVersionTooLarge, or says "Too large resource version".
bool IsTooLargeResourceVersion(const HttpResponse& response) {
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return false;
  auto message = body.find("message");
  if (message != body.end() && message->is_string() &&
      absl::StrContains(message->get<std::string>(), "Too large resource version")) {
    return true;
  }
  auto details = body.find("details");
  if (details == body.end() || !details->is_object()) return false;
  auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array()) return false;
  for (const Json& cause : *causes) {
    if (!cause.is_object()) continue;
    auto reason = cause.find("reason");
    if (reason != cause.end() && reason->is_string() &&
        reason->get<std::string>() == "ResourceVersionTooLarge") {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ResourceType::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ResourceType::CollectionPath() const {
  return group.empty() ? absl::StrCat("/api/", version, "/", plural)
                       : absl::StrCat("/apis/", group, "/", version, "/", plural);
}

absl::Duration Backoff::Next(absl::Time now, double random) {
  if (now - last_failure_ >= options_.reset_after) current_ = absl::ZeroDuration();
  last_failure_ = now;
  current_ =
      current_ == absl::ZeroDuration() ? options_.initial : std::min(current_ * 2, options_.max);
  return current_ * (1.0 + random);
}

Reflector::Reflector(ApiClient& client, ResourceType type, ReflectorHandler& handler, Clock& clock,
                     Options options)
    : client_(client),
      type_(std::move(type)),
      handler_(handler),
      clock_(clock),
      options_(options),
      backoff_(options.backoff) {}

Reflector::~Reflector() { Stop(); }

void Reflector::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Reflector::RequestStop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
  wake_.SignalAll();
}

void Reflector::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

Reflector::Stats Reflector::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool Reflector::AwaitStats(const std::function<bool(const Stats&)>& done,
                           absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto condition = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(stats_); };
  return mu_.AwaitWithTimeout(absl::Condition(&condition), timeout);
}

bool Reflector::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  const absl::Time until = absl::Now() + d;
  while (!stop_ && absl::Now() < until) wake_.WaitWithDeadline(&mu_, until);
  return !stop_;
}

void Reflector::Failed(const std::string& what) {
  STRATA_LOG(WARNING) << type_.plural << ": " << what;
  absl::MutexLock lock(&mu_);
  ++stats_.errors;
  stats_.last_error = what;
}

void Reflector::Run() {
  Next next = Next::kRelist;
  bool expired = false;  // the last relist is because our version is too old
  while (!stop_) {
    if (next == Next::kExpired) {
      expired = true;
      next = Next::kBackoffRelist;
    }
    if (next == Next::kBackoffRelist || next == Next::kBackoffWatch) {
      if (!Sleep(backoff_.Next(clock_.Now(), RandomUnit()))) return;
      next = next == Next::kBackoffRelist ? Next::kRelist : Next::kWatch;
    }
    if (next == Next::kRelist) {
      absl::Status listed = List(expired);
      if (!listed.ok()) {
        if (stop_) return;
        Failed(std::string(listed.message()));
        next = Next::kBackoffRelist;
        continue;
      }
      expired = false;
    }
    next = Watch();
  }
}

absl::Status Reflector::List(bool after_expiry) {
  std::vector<Json> items;
  std::string list_version;
  // As client-go: the first list in pages of 500 from any version the server has (RV=0);
  // a relist from the last version seen, never older (paged, that is "exactly that version";
  // after a 410 in one request, "not older than"); if that version is gone too, the newest.
  std::string version = resource_version_.empty() ? "0" : resource_version_;
  bool paged = !after_expiry;
  std::string token;
  while (true) {
    std::string path = absl::StrCat(type_.CollectionPath(), "?", SelectorQuery());
    if (paged) absl::StrAppend(&path, "limit=", options_.page_size, "&");
    if (!token.empty()) {
      absl::StrAppend(&path, "continue=", Escape(token));
    } else if (!version.empty()) {
      absl::StrAppend(&path, "resourceVersion=", Escape(version));
    }
    absl::StatusOr<HttpResponse> response = client_.Call("GET", path, "");
    if (!response.ok()) return response.status();
    if (stop_) return absl::CancelledError("stopping");
    if (response->status == 410) {
      // An expired continue token, or a version the server no longer has: start over from
      // the newest state, in one request when the pages of a snapshot expired.
      if (!token.empty()) {
        paged = false;
        token.clear();
      } else if (version.empty()) {
        return absl::UnavailableError(absl::StrCat("LIST ", DescribeError(*response)));
      }
      version.clear();
      items.clear();
      continue;
    }
    if (response->status == 504 && token.empty() && !version.empty() && version != "0" &&
        IsTooLargeResourceVersion(*response)) {
      // This API server has not reached the version we saw (another one, ahead of it,
      // served us before): list what it has, as client-go does.
      STRATA_LOG(WARNING) << type_.plural << ": " << DescribeError(*response)
                          << "; listing the newest state instead";
      version.clear();
      items.clear();
      continue;
    }
    if ((response->status == 404 || (type_.optional && response->status == 403)) && token.empty()) {
      // The server does not have the kind (a CRD that is not installed): empty for now. The
      // watch fails the same way, so the list is retried after the backoff.
      items.clear();
      list_version.clear();
      break;
    }
    if (response->status != 200) {
      return absl::UnavailableError(absl::StrCat("LIST ", DescribeError(*response)));
    }
    Json body = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("items") || !body["items"].is_array() ||
        !body.contains("metadata") || !body["metadata"].is_object()) {
      return absl::InvalidArgumentError("LIST: the answer is not a list");
    }
    const Json& meta = body["metadata"];
    if (!meta.contains("resourceVersion") || !meta["resourceVersion"].is_string()) {
      return absl::InvalidArgumentError("LIST: the list has no metadata.resourceVersion");
    }
    list_version = meta["resourceVersion"].get<std::string>();
    for (Json& item : body["items"]) {
      if (!item.is_object()) continue;  // the handler's validation reports bad objects
      item["kind"] = type_.kind;
      item["apiVersion"] = type_.ApiVersion();
      items.push_back(std::move(item));
    }
    token = meta.contains("continue") && meta["continue"].is_string()
                ? meta["continue"].get<std::string>()
                : "";
    if (token.empty()) break;
  }
  resource_version_ = list_version;
  handler_.Replace(std::move(items));
  absl::MutexLock lock(&mu_);
  ++stats_.lists;
  stats_.resource_version = resource_version_;
  return absl::OkStatus();
}

std::string Reflector::SelectorQuery() const {
  if (type_.field_selector.empty()) return "";
  return absl::StrCat("fieldSelector=", Escape(type_.field_selector), "&");
}

Reflector::Next Reflector::Watch() {
  const absl::Duration timeout = options_.min_watch_timeout * (1.0 + RandomUnit());  // [min, 2 min)
  const int64_t timeout_seconds = std::max<int64_t>(1, absl::ToInt64Seconds(timeout));
  const std::string path =
      absl::StrCat(type_.CollectionPath(), "?", SelectorQuery(),
                   "allowWatchBookmarks=true&resourceVersion=", Escape(resource_version_),
                   "&timeoutSeconds=", timeout_seconds, "&watch=true");
  const absl::Time started = clock_.Now();
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  int64_t applied = 0;
  int64_t bookmarks = 0;
  int64_t received = 0;         // events of any kind in this watch
  std::optional<Next> outcome;  // set by an ERROR event or a decoding failure

  auto on_data = [&](absl::string_view bytes) {
    events.clear();
    absl::Status fed = decoder.Feed(bytes, events);
    for (WatchEvent& event : events) {
      ++received;
      switch (event.type) {
        case WatchEvent::Type::kError:
          if (event.Expired()) {
            Failed(absl::StrCat("watch: ", event.message, "; relisting"));
            outcome = Next::kExpired;
          } else {
            Failed(absl::StrCat("watch: error event ", event.status_code, " ", event.reason, ": ",
                                event.message));
            outcome = event.status_code == 429 ? Next::kBackoffWatch : Next::kBackoffRelist;
          }
          return false;
        case WatchEvent::Type::kBookmark:
          resource_version_ = event.resource_version;
          ++bookmarks;
          break;
        default:
          resource_version_ = event.resource_version;
          handler_.Apply(event);
          ++applied;
          break;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      stats_.events += applied;
      stats_.bookmarks += bookmarks;
      applied = 0;
      bookmarks = 0;
      stats_.resource_version = resource_version_;
    }
    if (!fed.ok()) {
      Failed(absl::StrCat("watch: ", fed.message()));
      outcome = Next::kBackoffRelist;
      return false;
    }
    return true;
  };

  absl::StatusOr<HttpResponse> response =
      client_.Stream(path, on_data, stop_, timeout + absl::Seconds(30));
  if (stop_) return Next::kWatch;  // Run() sees stop_
  if (outcome.has_value()) return *outcome;
  if (!response.ok()) {
    if (absl::IsDeadlineExceeded(response.status())) return Next::kWatch;
    // The server is not there (refused, reset): try the same watch again after a while.
    Failed(absl::StrCat("watch: ", response.status().message()));
    return Next::kBackoffWatch;
  }
  if (response->status == 410) {
    Failed(absl::StrCat("watch: ", DescribeError(*response), "; relisting"));
    return Next::kExpired;
  }
  if (response->status == 429) {
    Failed(absl::StrCat("watch: ", DescribeError(*response)));
    return Next::kBackoffWatch;
  }
  if (response->status != 200) {
    Failed(absl::StrCat("watch: ", DescribeError(*response)));
    return Next::kBackoffRelist;
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.watches;
  }
  if (absl::Status finished = decoder.Finish(); !finished.ok()) {
    Failed(absl::StrCat("watch: ", finished.message()));
    return Next::kBackoffRelist;
  }
  if (clock_.Now() - started < options_.very_short_watch && received == 0) {
    Failed("watch: very short watch (ended at once without an event)");
    return Next::kBackoffRelist;
  }
  return Next::kWatch;  // a normal end: resume from the last version, no relist
}

}  // namespace strata::kube
