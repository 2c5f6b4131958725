// Number scanning and formatting (std::from_chars / std::to_chars, no locale, no allocation).
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace keel {

/// Parses the whole of s as a number in base. No sign for unsigned types, no leading '+',
/// no whitespace. False (out untouched) if s is empty, malformed, has trailing bytes or
/// does not fit in T.
template <class T>
[[nodiscard]] bool scan_number(std::string_view s, T& out, int base = 10) noexcept
{
    static_assert(std::is_integral_v<T>);
    if (s.empty()) return false;
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || end != s.data() + s.size()) return false;
    out = v;
    return true;
}

/// A formatted number held by value, so it can be passed straight to die()/warn(). Room for
/// any 64-bit value in any base from 2 (64 digits and a sign).
struct NumText {
    char buf[66];
    unsigned char len = 0;
    [[nodiscard]] std::string_view view() const noexcept { return {buf, len}; }
    operator std::string_view() const noexcept { return view(); }
};

/// v written in base (2..36, lowercase digits, '-' for a negative value).
template <class T>
[[nodiscard]] NumText fmt_number(T v, int base = 10) noexcept
{
    static_assert(std::is_integral_v<T>);
    NumText t;
    const auto r = std::to_chars(t.buf, t.buf + sizeof t.buf, v, base);
    t.len = static_cast<unsigned char>(r.ptr - t.buf);
    return t;
}

} // namespace keel
