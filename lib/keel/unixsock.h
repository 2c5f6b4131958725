// Unix stream sockets for keel's request/reply daemons (init-runleveld, rc-oneshotd,
// rc-fdholderd) and their clients: listening on a path, connecting to it, sending without
// SIGPIPE, passing descriptors (SCM_RIGHTS), and the big-endian 32-bit integers their protocols
// carry. Nothing here prints or exits; errors set errno.
#pragma once

#include "keel/fd.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/types.h>

namespace keel {

/// A close-on-exec stream socket connected to path (non-blocking if nonblock: the connect then
/// fails with EAGAIN instead of waiting when the server's backlog is full). Invalid Fd with
/// errno: ENOENT (no socket), ECONNREFUSED (nobody listens), ENAMETOOLONG (path too long for a
/// sockaddr_un), or the error of socket/connect.
[[nodiscard]] Fd unix_connect(const char* path, bool nonblock = false) noexcept;

/// A close-on-exec listening socket bound to path with exactly the given mode, whatever the
/// umask (the file is never wider, not even for a moment). An old socket at path is replaced;
/// anything else there is left alone and the call fails with EEXIST. Invalid Fd with errno.
[[nodiscard]] Fd unix_listen(const char* path, int backlog, mode_t mode) noexcept;

/// Which file a listening socket was bound to, so that a server leaving removes its socket
/// only if no other server has replaced it meanwhile.
struct SockFile {
    dev_t dev = 0;
    ino_t ino = 0;
};

/// The identity of the socket file at path (all zero if there is none).
[[nodiscard]] SockFile sock_file(const char* path) noexcept;

/// Removes path if it is still the socket file mine. errno is preserved.
void unlink_if_same(const char* path, SockFile mine) noexcept;

/// send(2) of all of buf, retrying on EINTR and short sends, never raising SIGPIPE (EPIPE
/// instead). With flags MSG_DONTWAIT a full socket gives EAGAIN. False with errno.
[[nodiscard]] bool send_all(int sock, const void* buf, std::size_t len, int flags = 0) noexcept;

/// The most descriptors send_fds() passes at once.
inline constexpr std::size_t max_passed_fds = 16;

/// Sends all of buf (len >= 1) on sock with the descriptors fds (at most max_passed_fds)
/// attached to its first part, like send_all() otherwise (EINTR, short sends, no SIGPIPE,
/// flags). The descriptors stay open here. False with errno (EINVAL for a bad len or count).
[[nodiscard]] bool send_fds(int sock, const void* buf, std::size_t len, std::span<const int> fds,
                            int flags = 0) noexcept;

/// One recvmsg(2) of up to len bytes into buf (EINTR retried), taking the descriptors that
/// come with them, close-on-exec: the first ones go into fds (each one reset), any more are
/// closed at once; got is set to how many came (more than fds.size() if the sender passed more
/// than room, or more than max_passed_fds: some were then lost). Returns the number of bytes
/// read (0 at EOF), or -1 with errno.
[[nodiscard]] ssize_t recv_fds(int sock, void* buf, std::size_t len, std::span<Fd> fds,
                               std::size_t& got, int flags = 0) noexcept;

/// v as 4 bytes, most significant first, at out.
inline void put_be32(char* out, std::uint32_t v) noexcept
{
    for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (24 - 8 * i));
}

/// The 4 bytes at in, most significant first.
[[nodiscard]] inline std::uint32_t get_be32(const char* in) noexcept
{
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(in[i]);
    return v;
}

} // namespace keel
