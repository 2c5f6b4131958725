// keel's runlevel protocol, spoken by init-telinit (client) and init-runleveld (server) over
// the unix stream socket /run/service/s6-linux-init-runleveld/s (keel-specific, not s6-sudo's):
//   client -> server: fds 0, 1, 2 as SCM_RIGHTS on the first byte, then two frames, each a
//     4-byte big-endian length followed by that many bytes: the runlevel ("3\0") and the
//     environment block ("A=1\0B=2\0", possibly empty);
//   server -> client: the script's wait status, 4 bytes big-endian, then it closes.
// Nothing here prints or exits; functions return false (or a RecvResult) with errno set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "keel/fd.h"

namespace keel::runlevel {

/// Largest runlevel frame (the NUL included), environment block and number of variables a
/// server accepts; a client refuses to send more (E2BIG).
inline constexpr std::size_t max_runlevel = 256;
inline constexpr std::size_t max_env = 256 * 1024;
inline constexpr std::size_t max_env_vars = 8192;
inline constexpr std::size_t status_len = 4;

// --- Client ---------------------------------------------------------------------------------

/// Sends fds 0-2, the runlevel rl and the environment envp (nullptr-terminated). False with
/// errno: EINVAL for an empty rl, E2BIG when rl or the environment exceed the limits above,
/// or the error of sendmsg/write (EPIPE: the server hung up; SIGPIPE is never raised).
[[nodiscard]] bool send_request(int sock, const char* rl, char* const* envp) noexcept;

/// Reads the 4-byte wait status into wstat, waiting until the monotonic deadline (ms, see
/// keel/loop.h). False with errno: ETIMEDOUT, EPIPE if the server closed the connection
/// before answering, or a read error.
[[nodiscard]] bool read_status(int sock, int& wstat, std::int64_t deadline_ms) noexcept;

// --- Server ---------------------------------------------------------------------------------

/// One client's request, once received and checked. Large (the environment is kept whole):
/// a server holds a single static one and reuses it.
struct Request {
    Fd fds[3];                          ///< the client's stdin, stdout, stderr (close-on-exec)
    char runlevel[max_runlevel];        ///< NUL-terminated, not empty
    char env[max_env];                  ///< the variables, each NUL-terminated
    char* envp[max_env_vars + 1];       ///< pointers into env, nullptr-terminated
};

enum class RecvResult {
    ok,
    closed,      ///< EOF before the request was complete
    timeout,     ///< the deadline came first
    interrupted, ///< wake_fd became readable first
    bad_fds,     ///< not exactly three descriptors on the first byte
    too_long,    ///< a length over the limits
    malformed,   ///< a frame without its final NUL, an inner NUL, a variable without '='
    error,       ///< a system error, errno set
};

/// Receives and checks a request from the connected socket conn, until the monotonic deadline
/// or until wake_fd (if >= 0) is readable. On anything but ok, every descriptor received has
/// been closed again and req holds nothing usable.
[[nodiscard]] RecvResult recv_request(int conn, Request& req, std::int64_t deadline_ms,
                                      int wake_fd = -1) noexcept;

/// Words for a RecvResult, for a warning ("client sent no descriptors").
[[nodiscard]] std::string_view describe(RecvResult r) noexcept;

/// Sends the 4-byte wait status without blocking or raising SIGPIPE. False with errno.
[[nodiscard]] bool send_status(int conn, int wstat) noexcept;

} // namespace keel::runlevel
