// Timestamps and the publication's time zone. A Timestamp is whole seconds since the Unix epoch,
// UTC; it is what storage keeps. Dates are shown to readers in the publication's zone (an IANA
// name such as "Europe/Berlin", read from the system tz database). TimeZone is a cheap,
// immutable handle, safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace date {
class time_zone;
}

namespace broadsheet {

using Timestamp = std::int64_t;

Timestamp Now();

class TimeZone {
 public:
  // UTC.
  TimeZone() = default;
  // An IANA zone name; kInvalidArgument names an unknown zone.
  static Result<TimeZone> Find(std::string_view name);
  // Every zone name the system's tz database knows (not its aliases), sorted: what a person
  // chooses from. Empty when the database cannot be read.
  static std::vector<std::string> Names();

  std::string_view name() const;
  // The zone's offset from UTC at `when`, in seconds.
  int OffsetAt(Timestamp when) const;
  // The zone's abbreviation at `when` ("EST", "EDT", "CET"; "UTC" for UTC). Zones without a
  // letter abbreviation give their offset as the tz database spells it ("+03").
  std::string AbbreviationAt(Timestamp when) const;

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_ = nullptr;  // null means UTC; owned by the date library
  friend Result<Timestamp> ParseIsoTime(std::string_view, const TimeZone&);
};

// Parses ISO 8601: "2024-03-01", "2024-03-01T09:30", "2024-03-01 09:30:15",
// "2024-03-01T09:30:00Z", "2024-03-01T09:30:00+02:00". A time without an offset is local time
// in `zone`; a date alone is midnight there.
Result<Timestamp> ParseIsoTime(std::string_view text, const TimeZone& zone);

// "2024-03-01T09:30:00+01:00" in `zone` (RFC 3339).
std::string FormatIsoTime(Timestamp when, const TimeZone& zone);
// "March 1, 2024" in `zone`.
std::string FormatHumanDate(Timestamp when, const TimeZone& zone);
// "2024-03-01 09:30 EST": how the desk shows every time, in the publication's zone with the
// abbreviation in force then, so that staff never have to guess which clock a time is on.
std::string FormatDeskTime(Timestamp when, const TimeZone& zone);
// "2024-03-01 09:30:05 EST": the same to the second, where the order of events within a minute
// matters (the audit log).
std::string FormatDeskTimeWithSeconds(Timestamp when, const TimeZone& zone);
// "Fri, 01 Mar 2024 08:30:00 GMT" (RFC 7231 IMF-fixdate).
std::string FormatHttpDate(Timestamp when);
// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110's preferred form); nullopt for anything else.
std::optional<Timestamp> ParseHttpDate(std::string_view text);

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;
};
CivilDate CivilDateIn(Timestamp when, const TimeZone& zone);

}  // namespace broadsheet
