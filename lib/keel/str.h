// string_view slicing without std::out_of_range. std::string_view::substr() throws when pos is
// past the end; even unreachable, that throw links libstdc++'s exception and demangler code
// (about 100 KB) into a tool built with -fno-exceptions. Use keel::sub() instead.
#pragma once

#include <cstddef>
#include <string_view>

namespace keel {

/// The part of s from pos, at most n bytes long; pos and n are clamped to s.
[[nodiscard]] constexpr std::string_view sub(std::string_view s, std::size_t pos,
                                             std::size_t n = std::string_view::npos) noexcept
{
    if (pos > s.size()) pos = s.size();
    const std::size_t left = s.size() - pos;
    return {s.data() + pos, n < left ? n : left};
}

/// The first n bytes of s (all of s if shorter).
[[nodiscard]] constexpr std::string_view head(std::string_view s, std::size_t n) noexcept
{
    return sub(s, 0, n);
}

} // namespace keel
