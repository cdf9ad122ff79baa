#include "dataplane/upstream/conn_pool.h"

#include <utility>

namespace strata::upstream {

// One idle connection: watches it so a close or stray bytes from the upstream remove it.
class ConnPool::Idle : public net::ConnectionCallbacks {
 public:
  Idle(ConnPool& pool, HostSharedPtr host, std::string client_key,
       std::unique_ptr<net::Connection> connection)
      : pool_(pool),
        host_(std::move(host)),
        key_(host_.get(), std::move(client_key)),
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
  const Key& key() const { return key_; }
  std::list<std::unique_ptr<Idle>>::iterator position;

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
  const Key key_;
  std::unique_ptr<net::Connection> connection_;
  std::unique_ptr<event::Timer> timer_;
};

ConnPool::ConnPool(event::Dispatcher& dispatcher, Options options)
    : dispatcher_(dispatcher), options_(options) {}

ConnPool::~ConnPool() = default;

std::unique_ptr<net::Connection> ConnPool::Acquire(const Host& host, absl::string_view client_key) {
  auto it = idle_.find(Key(&host, std::string(client_key)));
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    std::unique_ptr<Idle> idle = std::move(list.back());
    list.pop_back();
    --idle_count_;
    std::unique_ptr<net::Connection> connection = idle->Take();
    if (connection->state() == net::Connection::State::kOpen) {
      if (list.empty()) idle_.erase(it);
      return connection;
    }
  }
  idle_.erase(it);
  return nullptr;
}

void ConnPool::Release(const HostSharedPtr& host, std::unique_ptr<net::Connection> connection,
                       std::string client_key) {
  if (connection->state() != net::Connection::State::kOpen || !connection->write_buffer().empty()) {
    connection->SetCallbacks(nullptr);
    connection->Close(net::Connection::CloseType::kNoFlush);
    dispatcher_.DeferredDelete(std::move(connection));
    return;
  }
  auto& list = idle_[Key(host.get(), client_key)];
  if (list.size() >= options_.max_idle_per_host) {
    // Keep the freshest ones: drop the oldest.
    std::unique_ptr<Idle> oldest = std::move(list.front());
    list.pop_front();
    --idle_count_;
    auto old_connection = oldest->Take();
    old_connection->Close(net::Connection::CloseType::kNoFlush);
    dispatcher_.DeferredDelete(std::move(old_connection));
  }
  list.push_back(std::make_unique<Idle>(*this, host, std::move(client_key), std::move(connection)));
  list.back()->position = std::prev(list.end());
  ++idle_count_;
}

void ConnPool::Remove(Idle* idle) {
  auto it = idle_.find(idle->key());
  if (it == idle_.end()) return;
  // Destroy later: we may be inside the Idle's own callback.
  std::unique_ptr<Idle> owned = std::move(*idle->position);
  it->second.erase(idle->position);
  --idle_count_;
  if (it->second.empty()) idle_.erase(it);
  struct Holder : event::DeferredDeletable {
    std::unique_ptr<Idle> idle;
  };
  auto holder = std::make_unique<Holder>();
  holder->idle = std::move(owned);
  dispatcher_.DeferredDelete(std::move(holder));
}

void ConnPool::DrainHost(const Host& host) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (it->first.first != &host) {
      ++it;
      continue;
    }
    for (auto& idle : it->second) {
      auto connection = idle->Take();
      connection->Close(net::Connection::CloseType::kNoFlush);
      dispatcher_.DeferredDelete(std::move(connection));
      --idle_count_;
    }
    idle_.erase(it++);
  }
}

}  // namespace strata::upstream
