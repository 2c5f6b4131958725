// TAI64N conversions, packing and formatting for keel/tai.h; the monotonic clock.
#include "keel/tai.h"
#include "keel/str.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <limits>
#include <time.h>

namespace keel {

namespace {

// Unix times at which TAI - UTC grew by one: the first second after each inserted leap second
// (IERS Bulletin C; identical to the tz database's leap-seconds.list, which ends 2017-01-01).
constexpr std::array<std::int64_t, 27> leap_table = {
    78796800,   94694400,   126230400,  157766400,  189302400,  220924800,  252460800,
    283996800,  315532800,  362793600,  394329600,  425865600,  489024000,  567993600,
    631152000,  662688000,  709948800,  741484800,  773020800,  820454400,  867715200,
    915148800,  1136073600, 1230768000, 1341100800, 1435708800, 1483228800,
};

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Parses exactly s.size() hex digits (at most 16) into v.
bool scan_hex(std::string_view s, std::uint64_t& v) noexcept
{
    std::uint64_t r = 0;
    for (char c : s) {
        const int d = hex_value(c);
        if (d < 0) return false;
        r = r << 4 | static_cast<unsigned>(d);
    }
    v = r;
    return true;
}

// The seconds of TAI since 1970 TAI in t, checked: at least 10 (Unix time 0), at most the
// largest time_t, and valid nanoseconds.
bool tai_seconds(const Tai64n& t, std::int64_t& s) noexcept
{
    if (t.nano > 999999999) {
        errno = EINVAL;
        return false;
    }
    const std::uint64_t u = t.sec - tai64_epoch;
    if (t.sec < tai64_epoch + tai_utc_base
        || u > static_cast<std::uint64_t>(std::numeric_limits<time_t>::max())) {
        errno = EOVERFLOW;
        return false;
    }
    s = static_cast<std::int64_t>(u);
    return true;
}

// True if the C library's time_t counts leap seconds too (TAI - 10), as it does under a
// "right/" time zone: then it shows the first leap second, Unix 78796800, as 23:59:60. glibc
// applies the zone's leap seconds to gmtime() as well, so each conversion is checked, once.
bool clock_counts_leaps(bool utc) noexcept
{
    static constinit int right[2] = {-1, -1};
    int& r = right[utc];
    if (r < 0) {
        const time_t first_leap = 78796800;
        tm tm;
        r = (utc ? gmtime_r(&first_leap, &tm) : localtime_r(&first_leap, &tm)) && tm.tm_sec == 60;
    }
    return r;
}

char* put2(char* p, int v) noexcept
{
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
    return p + 2;
}

} // namespace

int leap_seconds_at(std::int64_t unix_sec) noexcept
{
    int n = 0;
    for (const std::int64_t l : leap_table) {
        if (unix_sec < l) break;
        ++n;
    }
    return n;
}

Tai64n tai_from_unix(const timespec& ts) noexcept
{
    const std::int64_t s = ts.tv_sec;
    // Unsigned arithmetic: times before 1970 wrap to labels below 2^62, as they should.
    const std::uint64_t off = static_cast<std::uint64_t>(s + tai_utc_base + leap_seconds_at(s));
    return {tai64_epoch + off, static_cast<std::uint32_t>(ts.tv_nsec)};
}

bool tai_to_unix(const Tai64n& t, timespec& ts, bool& leap) noexcept
{
    std::int64_t s;
    if (!tai_seconds(t, s)) return false;
    // n = leap seconds completed before s. TAI second leap_table[i] + 10 + i is the inserted
    // second itself; leap_table[i] + 11 + i is the midnight after it.
    std::int64_t n = 0;
    while (n < static_cast<std::int64_t>(leap_table.size())
           && leap_table[static_cast<std::size_t>(n)] + tai_utc_base + n + 1 <= s)
        ++n;
    const bool in_leap = n < static_cast<std::int64_t>(leap_table.size())
        && s == leap_table[static_cast<std::size_t>(n)] + tai_utc_base + n;
    ts.tv_sec = static_cast<time_t>(s - tai_utc_base - n - (in_leap ? 1 : 0));
    ts.tv_nsec = static_cast<long>(t.nano);
    leap = in_leap;
    return true;
}

bool tai_to_unix(const Tai64n& t, timespec& ts) noexcept
{
    bool leap;
    return tai_to_unix(t, ts, leap);
}

Tai64n tai_now() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return tai_from_unix(ts);
}

void tai_pack(const Tai64n& t, std::span<char, tai64n_packed_len> out) noexcept
{
    for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<char>(t.sec >> (56 - 8 * i));
    for (std::size_t i = 0; i < 4; ++i) out[8 + i] = static_cast<char>(t.nano >> (24 - 8 * i));
}

bool tai_unpack(std::span<const char, tai64n_packed_len> in, Tai64n& out) noexcept
{
    std::uint64_t sec = 0;
    std::uint32_t nano = 0;
    for (std::size_t i = 0; i < 8; ++i) sec = sec << 8 | static_cast<unsigned char>(in[i]);
    for (std::size_t i = 8; i < 12; ++i) nano = nano << 8 | static_cast<unsigned char>(in[i]);
    if (nano > 999999999) {
        errno = EINVAL;
        return false;
    }
    out = {sec, nano};
    return true;
}

std::string_view tai_fmt(const Tai64n& t, std::span<char, tai64n_text_len> out) noexcept
{
    std::array<char, tai64n_packed_len> packed;
    tai_pack(t, packed);
    out[0] = '@';
    for (std::size_t i = 0; i < packed.size(); ++i) {
        const auto b = static_cast<unsigned char>(packed[i]);
        out[1 + 2 * i] = hex_digits[b >> 4];
        out[2 + 2 * i] = hex_digits[b & 15];
    }
    return {out.data(), out.size()};
}

bool tai_scan(std::string_view s, Tai64n& out) noexcept
{
    std::uint64_t sec, nano;
    if (s.size() != tai64n_text_len || s[0] != '@' || !scan_hex(sub(s, 1, 16), sec)
        || !scan_hex(sub(s, 17, 8), nano) || nano > 999999999) {
        errno = EINVAL;
        return false;
    }
    out = {sec, static_cast<std::uint32_t>(nano)};
    return true;
}

std::string_view tai_fmt_time(const Tai64n& t, bool utc,
                              std::span<char, tai_time_text_max> out) noexcept
{
    timespec ts;
    bool leap = false;
    if (clock_counts_leaps(utc)) {
        // The zone places the leap seconds itself.
        std::int64_t s;
        if (!tai_seconds(t, s)) return {};
        ts.tv_sec = static_cast<time_t>(s - tai_utc_base);
    } else if (!tai_to_unix(t, ts, leap)) {
        return {};
    }
    tm tm;
    if (!(utc ? gmtime_r(&ts.tv_sec, &tm) : localtime_r(&ts.tv_sec, &tm))) {
        errno = EOVERFLOW;
        return {};
    }
    if (leap) tm.tm_sec = 60;
    char* p = out.data();
    const long long year = tm.tm_year + 1900LL;
    for (long long y = 1000; y > 1 && year >= 0 && year < y; y /= 10) *p++ = '0';
    p = std::to_chars(p, out.data() + out.size(), year).ptr;
    *p++ = '-';
    p = put2(p, tm.tm_mon + 1);
    *p++ = '-';
    p = put2(p, tm.tm_mday);
    *p++ = ' ';
    p = put2(p, tm.tm_hour);
    *p++ = ':';
    p = put2(p, tm.tm_min);
    *p++ = ':';
    p = put2(p, tm.tm_sec);
    *p++ = '.';
    std::uint32_t ns = t.nano;
    for (int i = 8; i >= 0; --i, ns /= 10) p[i] = static_cast<char>('0' + ns % 10);
    p += 9;
    return {out.data(), static_cast<std::size_t>(p - out.data())};
}

std::int64_t mono_now_ms() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

} // namespace keel
