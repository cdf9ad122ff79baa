#include "dataplane/net/buffer.h"

#include <string>

#include "gtest/gtest.h"

namespace strata::net {
namespace {

TEST(BufferTest, AppendDrainKeepsOrder) {
  Buffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), 0u);  // no memory until used
  b.Append("hello ");
  b.Append("world");
  EXPECT_EQ(b.view(), "hello world");
  b.Drain(6);
  EXPECT_EQ(b.view(), "world");
  b.Drain(5);
  EXPECT_TRUE(b.empty());
}

TEST(BufferTest, GrowsAcrossManyAppendsAndCompacts) {
  Buffer b;
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    b.Append(piece);
    expected += piece;
    if (i % 7 == 0) {
      b.Drain(3);
      expected.erase(0, 3);
    }
  }
  EXPECT_EQ(b.view(), expected);
}

TEST(BufferTest, ReserveCommit) {
  Buffer b;
  char* p = b.Reserve(10);
  ASSERT_GE(b.Writable(), 10u);
  std::memcpy(p, "0123456789", 10);
  b.Commit(4);
  EXPECT_EQ(b.view(), "0123");
}

TEST(BufferTest, ReleaseIfEmptyFreesOnlyWhenEmpty) {
  Buffer b;
  b.Append("x");
  b.ReleaseIfEmpty();
  EXPECT_GT(b.capacity(), 0u);
  EXPECT_EQ(b.view(), "x");
  b.Drain(1);
  b.ReleaseIfEmpty();
  EXPECT_EQ(b.capacity(), 0u);
  b.Append("again");
  EXPECT_EQ(b.view(), "again");
}

TEST(BufferTest, MoveTransfersContents) {
  Buffer a;
  a.Append("abc");
  Buffer b(std::move(a));
  EXPECT_EQ(b.view(), "abc");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is defined empty
}

#if !defined(__SANITIZE_ADDRESS__)
TEST(BufferTest, ReleasedBlocksAreReusedByTheNextBuffer) {
  const char* first;
  {
    Buffer a;
    a.Append("x");
    first = a.data();
  }  // the block goes to this thread's cache
  Buffer b;
  b.Append("y");
  EXPECT_EQ(b.data(), first);  // and comes back without malloc
  EXPECT_EQ(b.view(), "y");
}
#endif

TEST(BufferTest, LargeBlocksAreNotCachedButStillWork) {
  Buffer a;
  const std::string big(300 * 1024, 'z');
  a.Append(big);
  EXPECT_EQ(a.view(), big);
  a.Drain(big.size());
  a.ReleaseIfEmpty();
  EXPECT_EQ(a.capacity(), 0u);
}

}  // namespace
}  // namespace strata::net
