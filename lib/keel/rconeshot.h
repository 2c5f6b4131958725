// The oneshot runner's protocol (keel's own, "krc1"), between rc (client) and rc-oneshotd
// (server) over a unix stream socket, one request per connection:
//   client -> server: "krc1", an op byte ('u' up, 'd' down, 'r' reload), the name's length
//     (4 bytes, big-endian), the name (no NUL);
//   server -> client: "krc1", then 'x' and the script's raw wait status (4 bytes, big-endian)
//     when it has ended (0 at once when there is no script), or 'e' and an errno value (4
//     bytes, big-endian) when no script could be run. Then the server closes the connection.
// Client side: start() and finish() for an event loop that polls many calls at once, and a
// blocking run_oneshot() on top. Nothing here prints, exits or allocates; errors set errno.
#pragma once

#include "keel/fd.h"
#include "keel/frame.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keel::rconeshot {

/// The first bytes of every request and reply.
inline constexpr std::string_view magic = "krc1";
/// Request header: magic, op, name length. Reply: magic, kind, value (keel/frame.h).
inline constexpr std::size_t header_len = frame::len;
inline constexpr std::size_t reply_len = frame::len;
/// The longest name a server accepts.
inline constexpr std::size_t max_name = 4095;
/// Reply kinds.
inline constexpr char reply_exited = 'x';
inline constexpr char reply_error = 'e';

/// What to run: the op byte is also the request's op byte.
enum class Op : char { up = 'u', down = 'd', reload = 'r' };

/// The script's file name for an op byte ("up", "down", "reload"); empty for any other byte.
[[nodiscard]] std::string_view op_name(char op) noexcept;

/// True if name can name a oneshot: not empty, at most max_name bytes, no '/', no NUL, and
/// neither "." nor "..".
[[nodiscard]] bool valid_name(std::string_view name) noexcept;

/// What a server makes of a request's header (header_len bytes at hdr): ok with len, the
/// name's length, to read next; malformed (no magic, or an unknown op byte: EPROTO); or
/// bad_name (a length of 0 or above max_name: EINVAL).
using HeaderCheck = frame::Check;
[[nodiscard]] inline HeaderCheck check_header(const char* hdr, std::uint32_t& len) noexcept
{
    constexpr char ops[] = {static_cast<char>(Op::up), static_cast<char>(Op::down),
                            static_cast<char>(Op::reload)};
    return frame::check_request(hdr, magic, {ops, sizeof ops}, max_name, len);
}

/// Writes a reply (reply_len bytes) of kind (reply_exited or reply_error) with value to out.
inline void put_reply(char* out, char kind, std::uint32_t value) noexcept
{
    frame::put(out, magic, kind, value);
}

// --- Client ---------------------------------------------------------------------------------

/// Connects to the server at socket without blocking and sends the request to run op for
/// name. Returns the connected, non-blocking, close-on-exec socket to poll for POLLIN and to
/// hand to finish(). Invalid Fd with errno: EINVAL for a name valid_name() refuses, EAGAIN if
/// the server's backlog is full (try again later), ENOENT/ECONNREFUSED if no server listens,
/// or the error of socket/connect/send.
[[nodiscard]] Fd start(const char* socket, Op op, std::string_view name) noexcept;

/// A reply being read: one per call in progress, zero-initialized before the first finish().
struct Reply {
    char buf[reply_len]{};
    std::size_t got = 0;
    int wstatus = 0; ///< the script's wait status, after Finish::exited
    int error = 0;   ///< the server's errno, after Finish::refused
};

enum class Finish {
    pending, ///< not complete yet: poll again
    exited,  ///< the script ran and ended (or there was none): reply.wstatus
    refused, ///< the server could not run it: reply.error (ENOENT: no such oneshot)
    failed,  ///< errno: EPIPE if the server closed early, EPROTO for a garbled reply, or a
             ///< read error
};

/// Reads what has arrived of the reply on sock (from start()) into reply, without blocking.
/// Call it when sock is readable; the caller closes sock once the result is not pending.
[[nodiscard]] Finish finish(int sock, Reply& reply) noexcept;

/// Runs op for name through the server at socket and waits for the end, until the monotonic
/// deadline (ms, keel/loop.h). True with wstatus set when the script has ended (wstatus 0 if
/// there was none). False with errno: ETIMEDOUT at the deadline (the script keeps running),
/// the server's errno for a refused request, or an error of start()/finish().
[[nodiscard]] bool run_oneshot(const char* socket, Op op, std::string_view name,
                               std::int64_t deadline_ms, int& wstatus) noexcept;

} // namespace keel::rconeshot
