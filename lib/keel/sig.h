// Signal names <-> numbers, as s6 spells them ("TERM", "SIGTERM" or "15" on input;
// "SIGTERM" on output).
#pragma once

#include <string_view>

namespace keel {

/// Parses "TERM", "SIGTERM" (any case) or a decimal number in 1..64. 0 if unknown.
[[nodiscard]] int sig_number(std::string_view name) noexcept;
/// "SIGTERM" for 15; "" for an unknown number.
[[nodiscard]] std::string_view sig_name(int sig) noexcept;

} // namespace keel
