// permafailon's statuslist (in namespace keel::sv): which deaths of a service's death tally
// count, as s6-permafailon reads it: exit codes N, ranges N-M, and signals ("TERM",
// "SIGTERM", "sigterm", "SIG15"), separated by any run of ",; \t\r\n". Nothing here
// allocates, prints or exits.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace keel::sv {

inline constexpr int deathlist_max_signal = 64;

struct DeathList {
    std::array<bool, 256> codes{};
    std::array<bool, deathlist_max_signal + 1> sigs{};
};

enum class DeathListError : std::uint8_t { none, exit_code, interval_spec, interval, spec, signal };

/// Parses s into out (which starts empty). On an error, out holds what came before it.
[[nodiscard]] DeathListError parse_deathlist(std::string_view s, DeathList& out) noexcept;

/// s6-permafailon's message for an error: "invalid exit code", "invalid interval
/// specification", "invalid interval", "invalid status list specification", "invalid signal".
[[nodiscard]] std::string_view deathlist_error(DeathListError e) noexcept;

} // namespace keel::sv
