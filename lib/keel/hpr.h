// What the user-facing shutdown clients (init-hpr and init-shutdown) share: the wall message to
// every logged-in user's terminal (utmp USER_PROCESS entries), the -a lookup of logged-in users,
// the -i hostname confirmation, and writing one message to shutdownd's FIFO. The x functions
// die with the message both clients print; the others never print.
#pragma once

#include <cstddef>
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

} // namespace keel::hpr
