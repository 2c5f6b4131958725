// What the user-facing shutdown clients (init-hpr and init-shutdown) share: the wall message to
// every logged-in user's terminal (utmp USER_PROCESS entries), the -a lookup of logged-in users,
// the -i hostname confirmation, and writing one message to shutdownd's FIFO. The x functions
// die with the message both clients print; the others never print.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "keel/init.h"

namespace keel::hpr {

/// The wall banner of halt/poweroff/reboot (and of "shutdown now"), without the final "\n"
/// that wall() callers add, as s6-linux-init's hpr_wall does.
inline constexpr std::string_view wall_pre = "\n\n*** WARNING ***\nThe system is going down ";
inline constexpr std::string_view wall_post = "!\n";

inline constexpr std::size_t wall_max_pieces = 12;

/// Writes the concatenation of pieces (the first wall_max_pieces of them) to the terminal of every USER_PROCESS entry of utmp
/// (/dev/LINE). Best effort: a line that is not a terminal, cannot be opened or names a path
/// outside /dev is skipped; terminals are opened O_NONBLOCK, so a stuck one gets what fits
/// in its buffer and never blocks the caller. errno is preserved.
void wall(std::span<const std::string_view> pieces) noexcept;

/// True if one of users has a USER_PROCESS entry in utmp (names compared on the first
/// UT_NAMESIZE bytes, as strncmp does in s6-linux-init-shutdown).
[[nodiscard]] bool any_logged_in(std::span<const std::string_view> users) noexcept;

/// The -i confirmation: stdin and stdout must be terminals (else dies 100), prints
/// "Please enter the machine's hostname: ", reads one line and compares its part before the
/// first '.' with the host name's, case-insensitively. Dies 1 "hostname mismatch: expecting
/// NAME" on a mismatch, 111 on a system error.
void xconfirm_hostname() noexcept;

/// Writes msg (one order, or the cancel byte) to fd, shutdownd's FIFO as open_shutdownd()
/// opened it, in one write. Dies 111 "unable to write to FIFO: ..." on failure. The caller
/// ignores SIGPIPE, so that a reader gone since the probe shows as EPIPE.
void xsend(int fd, std::span<const char> msg) noexcept;

/// init-shutdown's TIME operand: "now", minutes from now ("+5" or "5"), or a local time of day
/// ("hh:mm", the next one to come).
struct When {
    enum Kind : std::uint8_t { now, minutes, clock } kind = now;
    std::uint64_t count = 0; ///< minutes: below 2^62 / 60, so that the delay in seconds fits
    int hour = 0, minute = 0; ///< clock: 0..23, 0..59
};

/// Parses TIME into w. False if it is none of the forms above (w is then unspecified).
[[nodiscard]] bool parse_when(std::string_view s, When& w) noexcept;

/// The users /etc/shutdown.allow lists, for -a: one per line, the whole line; empty lines and
/// lines starting with '#' are skipped; a NUL byte ends the content. Stores at most
/// users.size() names (views into content) and returns how many; more is set if the file
/// lists more than that.
[[nodiscard]] std::size_t allow_users(std::string_view content,
                                      std::span<std::string_view> users, bool& more) noexcept;

} // namespace keel::hpr
