// TAI64N timestamps (the format of s6 logs, supervise/status and death_tally), converted to and
// from the Unix clock with a built-in leap-second table, plus a monotonic clock for deadlines.
// Three forms of one instant: the Tai64n struct; 12 packed bytes (label big-endian, then
// nanoseconds big-endian); the 25-character external form "@" + 24 lowercase hex digits.
// Nothing here allocates, prints or exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>
#include <string_view>

namespace keel {

/// One TAI64N instant.
struct Tai64n {
    std::uint64_t sec;  ///< TAI64 label: 2^62 + seconds of TAI since 1970-01-01 00:00:00 TAI
    std::uint32_t nano; ///< nanoseconds, 0..999999999
};

/// The label of 1970-01-01 00:00:00 TAI (which is 1969-12-31 23:59:50 UTC).
inline constexpr std::uint64_t tai64_epoch = 0x4000000000000000ULL;

/// a is earlier than b.
[[nodiscard]] constexpr bool tai_before(const Tai64n& a, const Tai64n& b) noexcept
{
    return a.sec < b.sec || (a.sec == b.sec && a.nano < b.nano);
}

/// A stamp read from a file, made usable for an age: one in the future counts as now (as in
/// s6), and so does one before 1970, which no supervisor writes.
[[nodiscard]] constexpr Tai64n tai_sane(const Tai64n& t, const Tai64n& now) noexcept
{
    return tai_before(now, t) || t.sec < tai64_epoch ? now : t;
}

/// Whole seconds from t to now; t must not be later than now (see tai_sane).
[[nodiscard]] constexpr std::uint64_t tai_seconds_since(const Tai64n& t, const Tai64n& now) noexcept
{
    return now.sec - t.sec - (now.nano < t.nano ? 1 : 0);
}
/// TAI - UTC before the first leap second (1972-06-30); the table adds one per leap second.
inline constexpr int tai_utc_base = 10;
/// Sizes of the packed and external forms, and room for any tai_fmt_time() result.
inline constexpr std::size_t tai64n_packed_len = 12;
inline constexpr std::size_t tai64n_text_len = 25;
inline constexpr std::size_t tai_time_text_max = 40;

/// Number of leap seconds inserted up to Unix time unix_sec (0 before 1972-07-01, 27 from
/// 2017-01-01 on: the IERS list ends there).
[[nodiscard]] int leap_seconds_at(std::int64_t unix_sec) noexcept;

/// The TAI64N instant of a Unix time (ts.tv_nsec must be 0..999999999):
/// label = 2^62 + unix + 10 + leap seconds so far.
[[nodiscard]] Tai64n tai_from_unix(const timespec& ts) noexcept;

/// The Unix time of t. During an inserted leap second (23:59:60 UTC) ts holds 23:59:59 of that
/// day and leap is set, so a display can show second 60; otherwise leap is cleared.
/// False with errno EINVAL if t.nano > 999999999, EOVERFLOW if t lies before 1970-01-01
/// 00:00:00 UTC or beyond the range of time_t; ts and leap are then untouched.
[[nodiscard]] bool tai_to_unix(const Tai64n& t, timespec& ts, bool& leap) noexcept;
/// The same, for callers that do not care about leap seconds.
[[nodiscard]] bool tai_to_unix(const Tai64n& t, timespec& ts) noexcept;

/// Now, from CLOCK_REALTIME.
[[nodiscard]] Tai64n tai_now() noexcept;

/// Writes the 12-byte packed form of t into out.
void tai_pack(const Tai64n& t, std::span<char, tai64n_packed_len> out) noexcept;
/// Reads the 12-byte packed form. False with errno EINVAL (out untouched) if the nanoseconds
/// are out of range.
[[nodiscard]] bool tai_unpack(std::span<const char, tai64n_packed_len> in, Tai64n& out) noexcept;

/// Writes the external form ("@" + 24 lowercase hex digits) of t into out; returns a view of
/// out, which must outlive it.
[[nodiscard]] std::string_view tai_fmt(const Tai64n& t,
                                       std::span<char, tai64n_text_len> out) noexcept;
/// Parses the external form: exactly 25 characters, "@" then 24 hex digits of either case.
/// False with errno EINVAL (out untouched) if s is anything else or the nanoseconds are out of
/// range.
[[nodiscard]] bool tai_scan(std::string_view s, Tai64n& out) noexcept;

/// Formats t as "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" in UTC (utc) or in local time (localtime_r:
/// TZ or /etc/localtime; call tzset() once first). A leap second shows as second 60. Under a
/// "right/" zone, whose time_t counts leap seconds (detected once, like skalibs does), the C
/// library is given TAI - 10 and places the leap seconds itself. Returns a view of out, or an
/// empty view with errno set (see tai_to_unix; EOVERFLOW also when the year does not fit).
[[nodiscard]] std::string_view tai_fmt_time(const Tai64n& t, bool utc,
                                            std::span<char, tai_time_text_max> out) noexcept;

// Monotonic time, for deadlines and durations only: it never jumps with the wall clock, and has
// nothing to do with TAI.

/// Milliseconds of CLOCK_MONOTONIC (since an arbitrary point, usually boot).
[[nodiscard]] std::int64_t mono_now_ms() noexcept;

} // namespace keel
