// The worker's pool of request parsers: reuse across connections must be invisible.
#include <memory>
#include <string>

#include "dataplane/http/worker_context.h"
#include "gtest/gtest.h"
#include "tests/dataplane/http/parser_test_util.h"

namespace strata::http {
namespace {

TEST(RequestParserPoolTest, AReusedParserIsAsGoodAsNewForItsNextOwner) {
  RequestParserPool pool;
  Recorder first;
  std::unique_ptr<Http1Parser> parser = pool.Take(first, Http1ParserOptions{});
  Http1Parser* raw = parser.get();
  // The first owner leaves it after an error, with a limit that later owners do not have.
  EXPECT_EQ(Drive(*parser, "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n").status,
            Http1Parser::Status::kError);
  const size_t first_messages = first.messages.size();
  pool.Give(std::move(parser));
  EXPECT_EQ(pool.kept(), 1u);

  Recorder second;
  parser = pool.Take(second, Http1ParserOptions{});
  EXPECT_EQ(parser.get(), raw);  // the same object, reused
  EXPECT_EQ(pool.kept(), 0u);
  const DriveResult result =
      Drive(*parser, "POST /x HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_NE(result.status, Http1Parser::Status::kError);
  EXPECT_EQ(parser->error().http_status, 0);
  EXPECT_EQ(first.messages.size(), first_messages);  // nothing reaches the old owner
  ASSERT_EQ(second.messages.size(), 1u);
  EXPECT_EQ(second.messages[0].method, "POST");
  EXPECT_EQ(second.messages[0].target, "/x");
  EXPECT_EQ(second.messages[0].body, "hi");
  EXPECT_TRUE(second.messages[0].complete);
}

TEST(RequestParserPoolTest, TheNewOwnersLimitsApply) {
  RequestParserPool pool;
  Recorder first;
  pool.Give(pool.Take(first, Http1ParserOptions{}));
  Recorder second;
  Http1ParserOptions tight;
  tight.max_headers = 1;
  std::unique_ptr<Http1Parser> parser = pool.Take(second, tight);
  const DriveResult result = Drive(*parser, "GET / HTTP/1.1\r\nHost: b\r\nA: 1\r\n\r\n");
  EXPECT_EQ(result.status, Http1Parser::Status::kError);
  EXPECT_EQ(result.error.http_status, 431);
}

TEST(RequestParserPoolTest, KeepsNoParserThatGrewLargeAndAtMostItsLimit) {
  RequestParserPool pool;
  Recorder recorder;
  std::unique_ptr<Http1Parser> big = pool.Take(recorder, Http1ParserOptions{});
  const std::string value(RequestParserPool::kMaxKeptBytes, 'v');
  Drive(*big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + value + "\r\n\r\n");
  ASSERT_GT(big->RetainedBytes(), RequestParserPool::kMaxKeptBytes);
  pool.Give(std::move(big));
  EXPECT_EQ(pool.kept(), 0u);

  std::vector<std::unique_ptr<Http1Parser>> many;
  for (size_t i = 0; i < RequestParserPool::kMaxKept + 5; ++i) {
    many.push_back(pool.Take(recorder, Http1ParserOptions{}));
  }
  for (auto& parser : many) pool.Give(std::move(parser));
  EXPECT_EQ(pool.kept(), RequestParserPool::kMaxKept);
}

}  // namespace
}  // namespace strata::http
