#include "core/time.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

namespace broadsheet {
namespace {

constexpr std::array<const char*, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// Reads exactly `width` digits at text[pos]; advances pos.
bool ReadDigits(std::string_view text, size_t& pos, size_t width, int& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return true;
}

Result<Timestamp> Invalid(std::string_view text) {
  return Fail(ErrorCode::kInvalidArgument,
              "\"" + std::string(text.substr(0, 64)) +
                  "\" is not an ISO 8601 date such as 2024-03-01 or 2024-03-01T09:30:00Z");
}

std::chrono::sys_seconds ToSys(Timestamp when) {
  return std::chrono::sys_seconds(std::chrono::seconds(when));
}

}  // namespace

Timestamp Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The date library loads its database and each zone's transitions lazily, writing shared state
// without a lock of its own (ThreadSanitizer saw two page renders race in locate_zone). Every
// zone therefore comes from here: looked up and made ready once, under this lock, and kept. A
// thread that later uses the zone has taken the same lock to get it, so it sees the finished
// state.
static std::mutex zone_mutex;

Result<TimeZone> TimeZone::Find(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return TimeZone();
  static std::map<std::string, const date::time_zone*, std::less<>> found;
  std::lock_guard lock(zone_mutex);
  if (auto it = found.find(name); it != found.end()) return TimeZone(it->second);
  try {
    const date::time_zone* zone = date::locate_zone(name);
    zone->get_info(std::chrono::system_clock::now());    // loads the zone's transitions now
    if (found.size() < 1024) found.emplace(name, zone);  // bounded: names come from settings
    return TimeZone(zone);
  } catch (const std::exception& e) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "unknown time zone \"" + std::string(name) + "\" (use an IANA name such as Europe/Berlin)",
        e.what());
  }
}

std::vector<std::string> TimeZone::Names() {
  std::lock_guard lock(zone_mutex);
  std::vector<std::string> names;
  try {
    for (const auto& zone : date::get_tzdb().zones) names.emplace_back(zone.name());
  } catch (const std::exception&) {
    return {};
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string_view TimeZone::name() const { return zone_ ? zone_->name() : std::string_view("UTC"); }

int TimeZone::OffsetAt(Timestamp when) const {
  if (zone_ == nullptr) return 0;
  return static_cast<int>(zone_->get_info(ToSys(when)).offset.count());
}

std::string TimeZone::AbbreviationAt(Timestamp when) const {
  if (zone_ == nullptr) return "UTC";
  return zone_->get_info(ToSys(when)).abbrev;
}

Result<Timestamp> ParseIsoTime(std::string_view text, const TimeZone& zone) {
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, pos, 2, day)) {
    return Invalid(text);
  }
  const date::year_month_day ymd{date::year(year), date::month(month), date::day(day)};
  if (!ymd.ok()) return Invalid(text);

  bool has_offset = false;
  int offset_seconds = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return Invalid(text);
    ++pos;
    if (!ReadDigits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !ReadDigits(text, pos, 2, minute)) {
      return Invalid(text);
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, pos, 2, second)) return Invalid(text);
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return Invalid(text);
    if (pos < text.size()) {
      if (text[pos] == 'Z' || text[pos] == 'z') {
        has_offset = true;
        ++pos;
      } else if (text[pos] == '+' || text[pos] == '-') {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int oh, om = 0;
        if (!ReadDigits(text, pos, 2, oh)) return Invalid(text);
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && !ReadDigits(text, pos, 2, om)) return Invalid(text);
        if (oh > 23 || om > 59) return Invalid(text);
        has_offset = true;
        offset_seconds = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (pos != text.size()) return Invalid(text);

  const auto days = date::sys_days(ymd).time_since_epoch();
  const auto local_seconds = std::chrono::duration_cast<std::chrono::seconds>(days).count() +
                             hour * 3600 + minute * 60 + second;
  if (has_offset) return local_seconds - offset_seconds;
  if (zone.zone_ == nullptr) return local_seconds;
  const date::local_seconds local{std::chrono::seconds(local_seconds)};
  return zone.zone_->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

CivilDate CivilDateIn(Timestamp when, const TimeZone& zone) {
  const auto local = when + zone.OffsetAt(when);
  const auto days = date::floor<date::days>(ToSys(local));
  const date::year_month_day ymd{days};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::string FormatIsoTime(Timestamp when, const TimeZone& zone) {
  const int offset = zone.OffsetAt(when);
  const auto local = ToSys(when + offset);
  const auto days = date::floor<date::days>(local);
  const date::year_month_day ymd{days};
  const date::hh_mm_ss hms{local - days};
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  if (offset == 0) return text + "Z";
  const int magnitude = offset < 0 ? -offset : offset;
  return text + fmt::format("{}{:02}:{:02}", offset < 0 ? '-' : '+', magnitude / 3600,
                            magnitude % 3600 / 60);
}

std::string FormatHumanDate(Timestamp when, const TimeZone& zone) {
  const CivilDate civil = CivilDateIn(when, zone);
  return fmt::format("{} {}, {}", kMonthNames[civil.month - 1], civil.day, civil.year);
}

std::string FormatDeskTime(Timestamp when, const TimeZone& zone) {
  // FormatIsoTime's "2024-03-01T09:30:00+01:00" cut to the minute, then the abbreviation.
  std::string text = FormatIsoTime(when, zone).substr(0, 16);
  text[10] = ' ';
  return text + " " + zone.AbbreviationAt(when);
}

std::string FormatDeskTimeWithSeconds(Timestamp when, const TimeZone& zone) {
  std::string text = FormatIsoTime(when, zone).substr(0, 19);
  text[10] = ' ';
  return text + " " + zone.AbbreviationAt(when);
}

std::string FormatHttpDate(Timestamp when) {
  static constexpr std::array<const char*, 7> kDays = {"Thu", "Fri", "Sat", "Sun",
                                                       "Mon", "Tue", "Wed"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto sys = ToSys(when);
  const auto days = date::floor<date::days>(sys);
  const date::year_month_day ymd{days};
  const date::hh_mm_ss hms{sys - days};
  const auto day_number = days.time_since_epoch().count();
  const auto weekday = ((day_number % 7) + 7) % 7;  // 1970-01-01 was a Thursday
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[weekday],
                     static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::optional<Timestamp> ParseHttpDate(std::string_view text) {
  std::istringstream in{std::string(text)};
  date::sys_seconds when;
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", when);
  if (in.fail()) return std::nullopt;
  return static_cast<Timestamp>(when.time_since_epoch().count());
}

}  // namespace broadsheet
