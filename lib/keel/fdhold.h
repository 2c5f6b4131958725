// The pipeline fd holder's protocol (keel's own, "kfd1"), between rc-pipe (client) and
// rc-fdholderd (server) over a unix stream socket, one request per connection:
//   client -> server: "kfd1", an op byte ('r': the read end, 'w': the write end), the pipe
//     name's length (4 bytes, big-endian), the name (no NUL);
//   server -> client: "kfd1", then 'f' and 4 zero bytes, with the descriptor attached
//     (SCM_RIGHTS), or 'e' and an errno value (4 bytes, big-endian). Then the server closes.
// The server makes the pipe of a name on its first request and keeps both ends open, so that
// either side of a pipeline can restart without losing the pipe. Nothing here prints, exits
// or allocates; errors set errno.
#pragma once

#include "keel/fd.h"
#include "keel/frame.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keel::fdhold {

/// The first bytes of every request and reply.
inline constexpr std::string_view magic = "kfd1";
/// Request header: magic, op, name length. Reply: magic, kind, value (keel/frame.h).
inline constexpr std::size_t header_len = frame::len;
inline constexpr std::size_t reply_len = frame::len;
/// The longest pipe name (a service name is a file name).
inline constexpr std::size_t max_name = 255;
/// Request ops and reply kinds.
inline constexpr char op_read = 'r';
inline constexpr char op_write = 'w';
inline constexpr char reply_fd = 'f';
inline constexpr char reply_error = 'e';

/// True if name can name a pipe: a valid service name (keel/rcdb.h) of at most max_name bytes.
[[nodiscard]] bool valid_name(std::string_view name) noexcept;

/// What a server makes of a request's header (header_len bytes at hdr): ok with len, the
/// name's length, to read next; malformed (no magic, or an unknown op byte: EPROTO); or
/// bad_name (a length of 0 or above max_name: EINVAL).
using HeaderCheck = frame::Check;
[[nodiscard]] inline HeaderCheck check_header(const char* hdr, std::uint32_t& len) noexcept
{
    constexpr char ops[] = {op_read, op_write};
    return frame::check_request(hdr, magic, {ops, sizeof ops}, max_name, len);
}

/// Writes a reply (reply_len bytes) of kind (reply_fd or reply_error) with value to out.
inline void put_reply(char* out, char kind, std::uint32_t value) noexcept
{
    frame::put(out, magic, kind, value);
}

/// Asks the server at socket for one end (op: op_read or op_write) of the pipe name, waiting
/// until the monotonic deadline (ms, keel/loop.h). The descriptor, close-on-exec, or an
/// invalid Fd with errno: EINVAL for a bad op or name, ETIMEDOUT at the deadline, the
/// server's errno for a refused request, EPROTO for a garbled reply, EPIPE if the server
/// closed early, or the error of connect/send/recv (ENOENT, ECONNREFUSED: no server).
[[nodiscard]] Fd fetch(const char* socket, char op, std::string_view name,
                       std::int64_t deadline_ms) noexcept;

} // namespace keel::fdhold
