#ifndef STRATA_TESTS_E2E_PROCESS_H_
#define STRATA_TESTS_E2E_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strata::test {

// A child process for end-to-end tests. Its stdout and stderr are captured (and copied to the
// test's stderr); its stdin stays an open pipe until the process is stopped, so helpers that
// exit on EOF of stdin never outlive the test. Stopped by PID (SIGKILL) on destruction.
class Subprocess {
 public:
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv);
  ~Subprocess();

  // Waits until the output contains `needle`; false after `timeout` or if the process died.
  bool WaitForOutput(absl::string_view needle, absl::Duration timeout);
  std::string Output() const;
  // Writes to the process's standard input.
  bool WriteStdin(const std::string& text);
  void Signal(int signal);
  // The exit status (or 128 + signal) once the process ended, nullopt after `timeout`.
  std::optional<int> WaitExit(absl::Duration timeout);
  pid_t pid() const { return pid_; }

 private:
  Subprocess() = default;
  void Reap();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<int> exit_status_;
};

// Absolute path of a runfile of this workspace ("dataplane/strata-proxy").
std::string Runfile(const std::string& path);
// A fresh directory under TEST_TMPDIR.
std::string TempDir(const std::string& name);
void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

// One HTTP exchange over a new TCP connection to 127.0.0.1:`port`: sends `request` as is and
// reads until the peer closes or `timeout`. Returns everything received.
std::string RawExchange(int port, const std::string& request,
                        absl::Duration timeout = absl::Seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago (for a server whose port must be known
// before it starts, e.g. one named in a manifest).
int FreePort();

// Runs a shell command; returns its standard output.
std::string Shell(const std::string& command);

}  // namespace strata::test

#endif  // STRATA_TESTS_E2E_PROCESS_H_
