#ifndef STRATA_COMMON_LOGGING_H_
#define STRATA_COMMON_LOGGING_H_

#include <sstream>
#include <string_view>

namespace strata {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

namespace logging_internal {

inline constexpr LogLevel kLevelDEBUG = LogLevel::kDebug;
inline constexpr LogLevel kLevelINFO = LogLevel::kInfo;
inline constexpr LogLevel kLevelWARNING = LogLevel::kWarning;
inline constexpr LogLevel kLevelERROR = LogLevel::kError;

// One log line; written to stderr in one write() when destroyed.
class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace logging_internal
}  // namespace strata

// STRATA_LOG(INFO) << "text";  Levels: DEBUG, INFO, WARNING, ERROR.
#define STRATA_LOG(level)                                                                    \
  if (::strata::logging_internal::kLevel##level < ::strata::MinLogLevel()) {                 \
  } else                                                                                     \
    ::strata::logging_internal::LogLine(::strata::logging_internal::kLevel##level, __FILE__, \
                                        __LINE__)                                            \
        .stream()

#endif  // STRATA_COMMON_LOGGING_H_
