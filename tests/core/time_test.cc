#include "core/time.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace broadsheet {
namespace {

TEST(ParseIsoTime, AcceptsCommonForms) {
  const TimeZone utc;
  EXPECT_EQ(*ParseIsoTime("1970-01-02", utc), 86400);
  EXPECT_EQ(*ParseIsoTime("2024-03-01T09:30:00Z", utc), 1709285400);
  EXPECT_EQ(*ParseIsoTime("2024-03-01T10:30:00+01:00", utc), 1709285400);
  EXPECT_EQ(*ParseIsoTime("2024-03-01T04:30:00-0500", utc), 1709285400);
  EXPECT_EQ(*ParseIsoTime("2024-03-01 09:30", utc), 1709285400);
  EXPECT_EQ(*ParseIsoTime("2024-03-01T09:30:00.123Z", utc), 1709285400);
}

TEST(ParseIsoTime, LocalTimesUseTheZone) {
  auto berlin = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(berlin);
  EXPECT_EQ(*ParseIsoTime("2024-03-01T10:30", *berlin), 1709285400);  // CET, +01:00
  EXPECT_EQ(*ParseIsoTime("2024-07-01T11:30", *berlin), 1719826200);  // CEST, +02:00
}

TEST(ParseIsoTime, RejectsNonsense) {
  const TimeZone utc;
  for (const char* text : {"", "yesterday", "2024-13-01", "2024-02-30", "2024-03-01T25:00",
                           "2024-03-01T09:30:00+", "2024/03/01", "2024-03-01junk"}) {
    auto parsed = ParseIsoTime(text, utc);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TimeZone, UnknownNameIsAnError) {
  EXPECT_EQ(TimeZone::Find("Mars/Olympus").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(TimeZone::Find("UTC")->name(), "UTC");
}

// Page renders on every server thread look their zone up at once. The date library fills its
// database lazily; the sanitizer build (ThreadSanitizer) reported these first lookups racing.
TEST(TimeZone, FirstLookupsFromManyThreadsAreSafe) {
  const std::vector<std::string> names = {"America/New_York", "Europe/Berlin", "Asia/Tokyo",
                                          "Australia/Sydney"};
  std::vector<std::thread> threads;
  std::vector<int> offsets(8, -1);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto zone = TimeZone::Find(names[t % names.size()]);
      offsets[t] = zone ? zone->OffsetAt(1709285400) : -1;  // 2024-03-01, winter in the north
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(offsets[0], -5 * 3600);
  EXPECT_EQ(offsets[1], 3600);
  EXPECT_EQ(offsets[2], 9 * 3600);
  EXPECT_EQ(offsets[3], 11 * 3600);
  for (int t = 4; t < 8; ++t) EXPECT_EQ(offsets[t], offsets[t - 4]);
}

TEST(FormatTime, ShowsDatesInThePublicationZone) {
  auto new_york = TimeZone::Find("America/New_York");
  ASSERT_TRUE(new_york);
  // 2024-03-01T03:00Z is still February 29 in New York.
  const Timestamp when = 1709262000;
  EXPECT_EQ(FormatHumanDate(when, *new_york), "February 29, 2024");
  EXPECT_EQ(FormatIsoTime(when, *new_york), "2024-02-29T22:00:00-05:00");
  EXPECT_EQ(FormatIsoTime(when, TimeZone()), "2024-03-01T03:00:00Z");
  EXPECT_EQ(FormatHttpDate(when), "Fri, 01 Mar 2024 03:00:00 GMT");
  const CivilDate civil = CivilDateIn(when, *new_york);
  EXPECT_EQ(civil.year, 2024);
  EXPECT_EQ(civil.month, 2);
  EXPECT_EQ(civil.day, 29);
}

TEST(FormatDeskTime, NamesTheZoneAbbreviationAcrossTheSpringForwardBoundary) {
  auto new_york = TimeZone::Find("America/New_York");
  ASSERT_TRUE(new_york);
  // 2026-03-08: clocks go from 01:59 EST straight to 03:00 EDT.
  EXPECT_EQ(FormatDeskTime(1772953140, *new_york), "2026-03-08 01:59 EST");
  EXPECT_EQ(FormatDeskTime(1772953200, *new_york), "2026-03-08 03:00 EDT");
}

TEST(FormatDeskTime, TellsTheRepeatedHourApartWhenClocksFallBack) {
  auto new_york = TimeZone::Find("America/New_York");
  ASSERT_TRUE(new_york);
  // 2026-11-01: 01:30 happens twice, first in EDT, then an hour later in EST.
  EXPECT_EQ(FormatDeskTime(1793511000, *new_york), "2026-11-01 01:30 EDT");
  EXPECT_EQ(FormatDeskTime(1793514600, *new_york), "2026-11-01 01:30 EST");
}

TEST(FormatDeskTime, UtcAndOtherZones) {
  EXPECT_EQ(FormatDeskTime(1719835200, TimeZone()), "2024-07-01 12:00 UTC");
  auto berlin = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(berlin);
  EXPECT_EQ(FormatDeskTime(1719835200, *berlin), "2024-07-01 14:00 CEST");
  EXPECT_EQ(berlin->AbbreviationAt(1709285400), "CET");
}

TEST(FormatDeskTimeWithSeconds, OrdersTwoEventsOfOneMinute) {
  auto new_york = TimeZone::Find("America/New_York");
  ASSERT_TRUE(new_york);
  EXPECT_EQ(FormatDeskTimeWithSeconds(1772953140, *new_york), "2026-03-08 01:59:00 EST");
  EXPECT_EQ(FormatDeskTimeWithSeconds(1772953199, *new_york), "2026-03-08 01:59:59 EST");
  EXPECT_EQ(FormatDeskTimeWithSeconds(1719835207, TimeZone()), "2024-07-01 12:00:07 UTC");
}

TEST(ParseIsoTime, EditorTimesRoundTripThroughTheZoneAcrossDst) {
  auto new_york = TimeZone::Find("America/New_York");
  ASSERT_TRUE(new_york);
  // What the editor's date field shows (FormatIsoTime cut to minutes) reads back as the same
  // instant on either side of the change.
  for (Timestamp when : {Timestamp{1772953140}, Timestamp{1772953200}, Timestamp{1719835200}}) {
    const std::string field = FormatIsoTime(when, *new_york).substr(0, 16);
    EXPECT_EQ(*ParseIsoTime(field, *new_york), when) << field;
  }
}

}  // namespace
}  // namespace broadsheet

namespace broadsheet {
namespace {

TEST(ParseHttpDate, ReadsWhatFormatHttpDateWritesAndNothingElse) {
  for (Timestamp when : {Timestamp{0}, Timestamp{1709262000}, Timestamp{4102444799}}) {
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(when)), when);
  }
  EXPECT_FALSE(ParseHttpDate(""));
  EXPECT_FALSE(ParseHttpDate("yesterday"));
  EXPECT_FALSE(ParseHttpDate("2024-03-01T03:00:00Z"));
}

}  // namespace
}  // namespace broadsheet
