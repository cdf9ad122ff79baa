#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strata {
namespace {

std::atomic<LogLevel> g_min_level{LogLevel::kInfo};

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarning:
      return 'W';
    case LogLevel::kError:
      return 'E';
  }
  return '?';
}

}  // namespace

void SetMinLogLevel(LogLevel level) { g_min_level.store(level, std::memory_order_relaxed); }
LogLevel MinLogLevel() { return g_min_level.load(std::memory_order_relaxed); }

namespace logging_internal {

LogLine::LogLine(LogLevel level, const char* file, int line) : level_(level) {
  std::string_view path(file);
  size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  stream_ << LevelLetter(level_)
          << absl::FormatTime(" %Y-%m-%dT%H:%M:%E3SZ ", absl::Now(), absl::UTCTimeZone()) << path
          << ':' << line << "] ";
}

LogLine::~LogLine() {
  stream_ << '\n';
  std::string text = stream_.str();
  // One write per line keeps lines from different threads whole.
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + off, text.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace logging_internal
}  // namespace strata
