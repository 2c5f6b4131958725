// The frames of keel's small request/reply protocols over unix stream sockets (the oneshot
// runner's, keel/rconeshot.h, and the pipeline fd holder's, keel/fdhold.h): 4 bytes of magic
// that name the protocol and its version, a kind byte, and a 32-bit big-endian value. A
// request is a frame whose kind is the op and whose value is the length of the name that
// follows it; a reply is one frame. Each protocol keeps its own magic, ops and name limit;
// the byte layout, and how a server judges a header, live here once. Nothing here prints,
// exits or allocates; errors set errno.
#pragma once

#include "keel/fd.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keel::frame {

/// The length of a frame, and of a magic.
inline constexpr std::size_t len = 9;
inline constexpr std::size_t magic_len = 4;

/// Writes the frame (magic, kind, value) to out (len bytes).
void put(char* out, std::string_view magic, char kind, std::uint32_t value) noexcept;

/// Writes a request for op on name to out (len + name.size() bytes) and returns its length.
std::size_t put_request(char* out, std::string_view magic, char op, std::string_view name) noexcept;

/// If the frame at in (len bytes) carries magic: true, with its kind and value.
[[nodiscard]] bool get(const char* in, std::string_view magic, char& kind,
                       std::uint32_t& value) noexcept;

/// What a server makes of a request's header (len bytes at hdr) for a protocol of this magic,
/// these op bytes and this longest name: ok, with name_len the length of the name to read
/// next; malformed (another magic, or an op byte not in ops: EPROTO); or bad_name (a length
/// of 0 or above max_name: EINVAL).
enum class Check { ok, malformed, bad_name };
[[nodiscard]] Check check_request(const char* hdr, std::string_view magic, std::string_view ops,
                                  std::size_t max_name, std::uint32_t& name_len) noexcept;

/// How long a client waits before it tries again to connect to a server whose backlog is
/// full (a non-blocking connect failing with EAGAIN).
inline constexpr std::int64_t busy_retry_ms = 20;

/// Calls attempt() (returning an Fd, invalid with errno on failure) until it succeeds or fails
/// with anything but EAGAIN, every busy_retry_ms, until the monotonic deadline (ms, keel/loop.h):
/// then an invalid Fd with ETIMEDOUT.
[[nodiscard]] Fd retry_busy(std::int64_t deadline_ms, Fd (*attempt)(void*), void* arg) noexcept;

} // namespace keel::frame
