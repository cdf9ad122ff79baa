#include "dataplane/http/header_map.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::vector<std::pair<std::string, std::string>> Entries(const HeaderMap& map) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const HeaderView f : map) out.emplace_back(std::string(f.name), std::string(f.value));
  return out;
}

TEST(HeaderMapTest, AddKeepsOrderAndCase) {
  HeaderMap map;
  EXPECT_TRUE(map.empty());
  map.Add("Host", "example.com");
  map.Add("X-Trace", "a");
  map.Add("x-trace", "b");
  EXPECT_EQ(map.size(), 3u);
  EXPECT_THAT(Entries(map),
              ElementsAre(Pair("Host", "example.com"), Pair("X-Trace", "a"), Pair("x-trace", "b")));
}

TEST(HeaderMapTest, GetIsCaseInsensitiveAndReturnsFirst) {
  HeaderMap map;
  map.Add("Content-Type", "text/plain");
  map.Add("Accept", "a");
  map.Add("ACCEPT", "b");
  EXPECT_EQ(map.Get("content-type"), "text/plain");
  EXPECT_EQ(map.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(map.Get("accept"), "a");
  EXPECT_EQ(map.Get("missing"), std::nullopt);
  EXPECT_EQ(map.Get("content-typ"), std::nullopt);  // a prefix is not a match
  EXPECT_TRUE(map.Has("Accept"));
  EXPECT_FALSE(map.Has("Accep"));
}

TEST(HeaderMapTest, EmptyValueIsPresent) {
  HeaderMap map;
  map.Add("X-Empty", "");
  ASSERT_TRUE(map.Get("x-empty").has_value());
  EXPECT_EQ(*map.Get("x-empty"), "");
}

TEST(HeaderMapTest, GetAllAndJoined) {
  HeaderMap map;
  map.Add("Accept", "text/html");
  map.Add("Host", "h");
  map.Add("accept", "application/json");
  EXPECT_THAT(map.GetAll("ACCEPT"), ElementsAre("text/html", "application/json"));
  EXPECT_THAT(map.GetAll("nope"), ElementsAre());
  EXPECT_EQ(map.GetJoined("Accept"), "text/html, application/json");
  EXPECT_EQ(map.GetJoined("host"), "h");
  EXPECT_EQ(map.GetJoined("nope"), std::nullopt);
}

TEST(HeaderMapTest, RemoveDropsEveryMatch) {
  HeaderMap map;
  map.Add("A", "1");
  map.Add("Cookie", "x=1");
  map.Add("B", "2");
  map.Add("cookie", "y=2");
  EXPECT_EQ(map.Remove("COOKIE"), 2u);
  EXPECT_THAT(Entries(map), ElementsAre(Pair("A", "1"), Pair("B", "2")));
  EXPECT_EQ(map.Remove("cookie"), 0u);
  EXPECT_EQ(map.ByteSize(), 4u);
}

TEST(HeaderMapTest, SetReplacesFirstInPlaceAndDropsDuplicates) {
  HeaderMap map;
  map.Add("Via", "1.1 a");
  map.Add("Host", "h");
  map.Add("via", "1.1 b");
  map.Add("Z", "z");
  map.Set("VIA", "2");  // shorter value: written in place
  EXPECT_THAT(Entries(map), ElementsAre(Pair("Via", "2"), Pair("Host", "h"), Pair("Z", "z")));
  map.Set("host", "a-much-longer-host-name");
  EXPECT_THAT(Entries(map), ElementsAre(Pair("Via", "2"), Pair("Host", "a-much-longer-host-name"),
                                        Pair("Z", "z")));
  map.Set("New", "n");  // absent: appended
  EXPECT_THAT(Entries(map).back(), Pair("New", "n"));
  EXPECT_EQ(map.ByteSize(), std::string("Via2Hosta-much-longer-host-nameZzNewn").size());
}

TEST(HeaderMapTest, ByteSizeCountsNamesAndValues) {
  HeaderMap map;
  EXPECT_EQ(map.ByteSize(), 0u);
  map.Add("Host", "abc");  // 7
  map.Add("X", "");        // 1
  EXPECT_EQ(map.ByteSize(), 8u);
  map.Remove("host");
  EXPECT_EQ(map.ByteSize(), 1u);
  map.Clear();
  EXPECT_EQ(map.ByteSize(), 0u);
  EXPECT_TRUE(map.empty());
}

TEST(HeaderMapTest, ClearKeepsArenaCapacity) {
  HeaderMap map;
  for (int i = 0; i < 20; ++i) map.Add("X-Header-" + std::to_string(i), std::string(50, 'v'));
  const size_t capacity = map.ArenaCapacity();
  EXPECT_GE(capacity, map.ByteSize());
  for (int round = 0; round < 5; ++round) {
    map.Clear();
    EXPECT_EQ(map.ArenaCapacity(), capacity);
    for (int i = 0; i < 20; ++i) map.Add("X-Header-" + std::to_string(i), std::string(50, 'w'));
    EXPECT_EQ(map.ArenaCapacity(), capacity);  // refilling to the same size needs no growth
  }
  EXPECT_EQ(map.Get("x-header-19"), std::string(50, 'w'));
}

TEST(HeaderMapTest, PiecewiseConstruction) {
  HeaderMap map;
  map.Add("First", "1");
  map.StartField();
  map.AppendToName("Con");
  map.AppendToName("tent-Type");
  EXPECT_EQ(map.PendingName(), "Content-Type");
  EXPECT_EQ(map.size(), 1u);  // not visible before FinishField
  map.StartValue();
  map.AppendToValue("text/");
  map.AppendToValue("html \t ");
  map.FinishField();
  map.StartField();
  map.AppendToName("Empty");
  map.StartValue();
  map.FinishField();
  EXPECT_THAT(Entries(map), ElementsAre(Pair("First", "1"), Pair("Content-Type", "text/html"),
                                        Pair("Empty", "")));
  EXPECT_EQ(map.ByteSize(), std::string("First1Content-Typetext/htmlEmpty").size());
}

TEST(HeaderMapTest, ViewsSurviveArenaGrowthThroughOffsets) {
  HeaderMap map;
  map.Add("A", "first");
  for (int i = 0; i < 1000; ++i) map.Add("Filler", std::string(100, 'f'));  // reallocates
  EXPECT_EQ(map.Get("a"), "first");
  EXPECT_EQ(map.At(0).name, "A");
}

TEST(HeaderMapTest, CopyIsIndependent) {
  HeaderMap a;
  a.Add("K", "v");
  HeaderMap b = a;
  b.Set("k", "w");
  EXPECT_EQ(a.Get("k"), "v");
  EXPECT_EQ(b.Get("k"), "w");
}

TEST(HeaderMapTest, NameEqualsIsAsciiCaseInsensitive) {
  EXPECT_TRUE(HeaderMap::NameEquals("Content-Length", "content-length"));
  EXPECT_FALSE(HeaderMap::NameEquals("Content-Length", "content-lengt"));
  EXPECT_FALSE(HeaderMap::NameEquals("a-b", "a_b"));
  // '@' and '`' differ from 'A'-1 / 'a'-1 only by case-folding arithmetic; they must not match.
  EXPECT_FALSE(HeaderMap::NameEquals("@", "`"));
  EXPECT_FALSE(HeaderMap::NameEquals("[", "{"));
}

}  // namespace
}  // namespace strata::http
