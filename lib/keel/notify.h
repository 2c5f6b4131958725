// Readiness notification, s6 style: a program given "-d FD" writes a newline to FD once it is
// ready, and closes it. Shared by svscan, svlog, shutdownd and init-runleveld.
#pragma once

#include <string_view>

namespace keel {

/// Parses the argument of a descriptor option (-d notif, -X consoleholder): a number of 3 or
/// more that is open. Dies on error: the usage line (100) if it is not a number, "WHAT must be
/// 3 or more" (100), or "invalid WHAT: strerror" (100) if it is not open.
[[nodiscard]] int xfd_arg(const char* arg, std::string_view usage, std::string_view what) noexcept;

/// Writes the readiness newline to fd, then closes fd whatever happened. False (errno set) if
/// the write failed.
[[nodiscard]] bool notify_ready(int fd) noexcept;

} // namespace keel
