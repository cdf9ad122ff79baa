#include "dataplane/upstream/conn_pool.h"

#include <utility>

namespace strata::upstream {

// One idle connection: watches it so a close or stray bytes from the upstream remove it.
class ConnPool::Idle : public net::ConnectionCallbacks {
 public:
  Idle(ConnPool& pool, HostSharedPtr host, UpstreamTransportConstSharedPtr transport,
       const std::string* client, std::unique_ptr<net::Connection> connection)
      : pool_(pool),
        host_(std::move(host)),
        transport_(std::move(transport)),
        client_(client),
        connection_(std::move(connection)) {
    connection_->SetCallbacks(this);
    timer_ = pool_.dispatcher_.CreateTimer([this] { Expire(); });
    timer_->Enable(pool_.options_.idle_timeout);
    connection_->ReleaseIdleMemory();
  }
  ~Idle() override {
    if (connection_ != nullptr) connection_->SetCallbacks(nullptr);
  }

  void OnData(net::Buffer& data, bool end_stream) override {
    // An idle HTTP/1.1 connection has nothing to say; bytes or EOF mean it is unusable.
    Expire();
  }
  void OnEvent(net::ConnectionEvent event) override {
    if (event != net::ConnectionEvent::kConnected) Expire();
  }

  std::unique_ptr<net::Connection> Take() {
    timer_->Disable();
    connection_->SetCallbacks(nullptr);
    return std::move(connection_);
  }
  const std::string& client() const { return *client_; }
  Slot slot() const { return Slot(host_.get(), transport_.get()); }
  IdleList::iterator position;

 private:
  void Expire() {
    timer_->Disable();
    if (connection_ != nullptr) {
      connection_->SetCallbacks(nullptr);
      connection_->Close(net::Connection::CloseType::kNoFlush);
      // Inside the connection's own callback: destroy it later.
      pool_.dispatcher_.DeferredDelete(std::move(connection_));
    }
    pool_.Remove(this);
  }

  ConnPool& pool_;
  HostSharedPtr host_;
  UpstreamTransportConstSharedPtr transport_;  // keeps the slot's identity unique
  const std::string* client_;                  // the key of its entry in idle_
  std::unique_ptr<net::Connection> connection_;
  std::unique_ptr<event::Timer> timer_;
};

ConnPool::ConnPool(event::Dispatcher& dispatcher, Options options)
    : dispatcher_(dispatcher), options_(options) {}

ConnPool::~ConnPool() = default;

std::unique_ptr<net::Connection> ConnPool::Acquire(const PoolKey& key) {
  auto client = idle_.find(key.client);
  if (client == idle_.end()) return nullptr;
  auto it = client->second.find(Slot(key.host, key.transport));
  if (it == client->second.end()) return nullptr;
  IdleList& list = it->second;
  std::unique_ptr<net::Connection> found;
  while (!list.empty() && found == nullptr) {
    std::unique_ptr<Idle> idle = std::move(list.back());
    list.pop_back();
    --idle_count_;
    std::unique_ptr<net::Connection> connection = idle->Take();
    if (connection->state() == net::Connection::State::kOpen) found = std::move(connection);
  }
  if (list.empty()) client->second.erase(it);  // the client's entry itself stays
  return found;
}

void ConnPool::Release(const HostSharedPtr& host, UpstreamTransportConstSharedPtr transport,
                       absl::string_view client, std::unique_ptr<net::Connection> connection) {
  if (connection->state() != net::Connection::State::kOpen || !connection->write_buffer().empty()) {
    connection->SetCallbacks(nullptr);
    connection->Close(net::Connection::CloseType::kNoFlush);
    dispatcher_.DeferredDelete(std::move(connection));
    return;
  }
  auto entry = idle_.find(client);
  if (entry == idle_.end()) entry = idle_.emplace(std::string(client), Slots()).first;
  IdleList& list = entry->second[Slot(host.get(), transport.get())];
  if (list.size() >= options_.max_idle_per_host) {
    // Keep the freshest ones: drop the oldest.
    std::unique_ptr<Idle> oldest = std::move(list.front());
    list.pop_front();
    --idle_count_;
    auto old_connection = oldest->Take();
    old_connection->Close(net::Connection::CloseType::kNoFlush);
    dispatcher_.DeferredDelete(std::move(old_connection));
  }
  list.push_back(std::make_unique<Idle>(*this, host, std::move(transport), &entry->first,
                                        std::move(connection)));
  list.back()->position = std::prev(list.end());
  ++idle_count_;
}

void ConnPool::Remove(Idle* idle) {
  auto client = idle_.find(idle->client());
  if (client == idle_.end()) return;
  auto it = client->second.find(idle->slot());
  if (it == client->second.end()) return;
  // Destroy later: we may be inside the Idle's own callback.
  std::unique_ptr<Idle> owned = std::move(*idle->position);
  it->second.erase(idle->position);
  --idle_count_;
  if (it->second.empty()) client->second.erase(it);
  if (client->second.empty() && !client->first.empty()) idle_.erase(client);
  struct Holder : event::DeferredDeletable {
    std::unique_ptr<Idle> idle;
  };
  auto holder = std::make_unique<Holder>();
  holder->idle = std::move(owned);
  dispatcher_.DeferredDelete(std::move(holder));
}

void ConnPool::CloseAll(IdleList& list) {
  for (auto& idle : list) {
    auto connection = idle->Take();
    connection->Close(net::Connection::CloseType::kNoFlush);
    dispatcher_.DeferredDelete(std::move(connection));
    --idle_count_;
  }
  list.clear();
}

void ConnPool::DrainHost(const Host& host) {
  for (auto client = idle_.begin(); client != idle_.end();) {
    Slots& slots = client->second;
    for (auto it = slots.begin(); it != slots.end();) {
      if (it->first.first != &host) {
        ++it;
        continue;
      }
      CloseAll(it->second);
      slots.erase(it++);
    }
    if (slots.empty() && !client->first.empty()) {
      idle_.erase(client++);
    } else {
      ++client;
    }
  }
}

void ConnPool::DrainClient(absl::string_view client) {
  if (client.empty()) return;  // shared connections belong to nobody
  auto entry = idle_.find(client);
  if (entry == idle_.end()) return;
  for (auto& [slot, list] : entry->second) CloseAll(list);
  idle_.erase(entry);
}

}  // namespace strata::upstream
