// Signal names <-> numbers, as s6 spells them ("TERM", "SIGTERM" or "15" on input;
// "SIGTERM" on output).
#pragma once

#include <cstddef>
#include <string_view>

namespace keel {

/// Parses "TERM", "SIGTERM" (any case) or a decimal number in 1..64. 0 if unknown.
[[nodiscard]] int sig_number(std::string_view name) noexcept;
/// "SIGTERM" for 15; "" for an unknown number.
[[nodiscard]] std::string_view sig_name(int sig) noexcept;

/// A signal for people: its name, or "SIG" and its number for one without a name (the
/// real-time signals: "SIG40").
struct SigText {
    char buf[16];
    std::size_t len;
    [[nodiscard]] std::string_view view() const noexcept { return {buf, len}; }
    operator std::string_view() const noexcept { return view(); }
};
[[nodiscard]] SigText sig_text(int sig) noexcept;

} // namespace keel
