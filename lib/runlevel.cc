// The runlevel protocol of init-telinit and init-runleveld: see keel/runlevel.h.
#include "keel/runlevel.h"

#include "keel/loop.h"
#include "keel/unixsock.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace keel::runlevel {
namespace {

constexpr std::size_t len_size = 4;

// Collects the environment into chunks of a small buffer and sends them.
class Sender {
public:
    explicit Sender(int sock) noexcept : sock_(sock) {}
    [[nodiscard]] bool put(const char* s, std::size_t len) noexcept
    {
        if (len > buf_.size() - len_ && !flush()) return false;
        if (len > buf_.size()) return send_all(sock_, s, len);
        std::memcpy(buf_.data() + len_, s, len);
        len_ += len;
        return true;
    }
    [[nodiscard]] bool flush() noexcept
    {
        const bool ok = send_all(sock_, buf_.data(), len_);
        len_ = 0;
        return ok;
    }

private:
    int sock_;
    std::array<char, 4096> buf_;
    std::size_t len_ = 0;
};

// Waits until fd is readable, the deadline passes or wake_fd is readable.
RecvResult wait_readable(int fd, std::int64_t deadline_ms, int wake_fd) noexcept
{
    std::array<pollfd, 2> p{{{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}}};
    const int r = poll_until({p.data(), wake_fd >= 0 ? 2u : 1u}, deadline_ms);
    if (r < 0) return RecvResult::error;
    if (r == 0) return RecvResult::timeout;
    if (wake_fd >= 0 && p[1].revents) return RecvResult::interrupted;
    return RecvResult::ok;
}

// Reads exactly len bytes before the deadline.
RecvResult read_exact(int fd, char* buf, std::size_t len, std::int64_t deadline_ms,
                      int wake_fd) noexcept
{
    while (len) {
        const RecvResult w = wait_readable(fd, deadline_ms, wake_fd);
        if (w != RecvResult::ok) return w;
        const ssize_t r = read_some(fd, buf, len);
        if (r < 0) return errno == EAGAIN ? RecvResult::ok : RecvResult::error;
        if (r == 0) return RecvResult::closed;
        buf += r;
        len -= static_cast<std::size_t>(r);
    }
    return RecvResult::ok;
}

// The first bytes of the request and the descriptors that come with them. Every descriptor
// the kernel installed is either kept in req.fds or closed, whatever the client sent.
RecvResult recv_first(int conn, Request& req, char* head, std::int64_t deadline_ms,
                      int wake_fd) noexcept
{
    const RecvResult w = wait_readable(conn, deadline_ms, wake_fd);
    if (w != RecvResult::ok) return w;
    std::size_t got = 0;
    const ssize_t r = recv_fds(conn, head, len_size, req.fds, got);
    if (r < 0) return RecvResult::error;
    if (r == 0) return RecvResult::closed;
    if (got != std::size(req.fds)) return RecvResult::bad_fds;
    const std::size_t rest = len_size - static_cast<std::size_t>(r);
    return read_exact(conn, head + r, rest, deadline_ms, wake_fd);
}

// Splits the environment block into req.envp.
RecvResult split_env(Request& req, std::size_t len) noexcept
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < len;) {
        char* s = req.env + i;
        const std::size_t slen = std::strlen(s); // the block ends in a NUL: checked before
        const char* eq = static_cast<const char*>(std::memchr(s, '=', slen));
        if (!eq || eq == s) return RecvResult::malformed;
        if (n == max_env_vars) return RecvResult::too_long;
        req.envp[n++] = s;
        i += slen + 1;
    }
    req.envp[n] = nullptr;
    return RecvResult::ok;
}

RecvResult recv_frames(int conn, Request& req, std::int64_t deadline_ms, int wake_fd) noexcept
{
    char head[len_size];
    RecvResult r = recv_first(conn, req, head, deadline_ms, wake_fd);
    if (r != RecvResult::ok) return r;
    const std::uint32_t rl_len = get_be32(head);
    if (rl_len > max_runlevel) return RecvResult::too_long;
    if (rl_len < 2) return RecvResult::malformed; // at least one byte and the NUL
    r = read_exact(conn, req.runlevel, rl_len, deadline_ms, wake_fd);
    if (r != RecvResult::ok) return r;
    if (std::strlen(req.runlevel) != rl_len - 1) return RecvResult::malformed;

    r = read_exact(conn, head, len_size, deadline_ms, wake_fd);
    if (r != RecvResult::ok) return r;
    const std::uint32_t env_len = get_be32(head);
    if (env_len > max_env) return RecvResult::too_long;
    r = read_exact(conn, req.env, env_len, deadline_ms, wake_fd);
    if (r != RecvResult::ok) return r;
    if (env_len && req.env[env_len - 1]) return RecvResult::malformed;
    return split_env(req, env_len);
}

} // namespace

bool send_request(int sock, const char* rl, char* const* envp) noexcept
{
    const std::size_t rl_len = std::strlen(rl) + 1;
    if (rl_len < 2) {
        errno = EINVAL;
        return false;
    }
    std::size_t env_len = 0, vars = 0;
    for (char* const* e = envp; *e; ++e, ++vars) env_len += std::strlen(*e) + 1;
    if (rl_len > max_runlevel || env_len > max_env || vars > max_env_vars) {
        errno = E2BIG;
        return false;
    }

    // The first length prefix carries the three descriptors.
    char head[len_size];
    put_be32(head, static_cast<std::uint32_t>(rl_len));
    const int fds[3] = {0, 1, 2};
    if (!send_fds(sock, head, len_size, fds)) return false;

    Sender out(sock);
    put_be32(head, static_cast<std::uint32_t>(env_len));
    if (!out.put(rl, rl_len) || !out.put(head, len_size)) return false;
    for (char* const* e = envp; *e; ++e)
        if (!out.put(*e, std::strlen(*e) + 1)) return false;
    return out.flush();
}

bool read_status(int sock, int& wstat, std::int64_t deadline_ms) noexcept
{
    char buf[status_len];
    switch (read_exact(sock, buf, status_len, deadline_ms, -1)) {
    case RecvResult::ok: break;
    case RecvResult::timeout: errno = ETIMEDOUT; return false;
    case RecvResult::closed: errno = EPIPE; return false;
    default: return false;
    }
    wstat = static_cast<int>(get_be32(buf));
    return true;
}

RecvResult recv_request(int conn, Request& req, std::int64_t deadline_ms, int wake_fd) noexcept
{
    const RecvResult r = recv_frames(conn, req, deadline_ms, wake_fd);
    if (r != RecvResult::ok)
        for (Fd& fd : req.fds) fd.reset();
    return r;
}

std::string_view describe(RecvResult r) noexcept
{
    switch (r) {
    case RecvResult::ok: return "request received";
    case RecvResult::closed: return "client closed the connection before its request was complete";
    case RecvResult::timeout: return "client too slow to send its request";
    case RecvResult::interrupted: return "interrupted";
    case RecvResult::bad_fds: return "client did not pass exactly three descriptors";
    case RecvResult::too_long: return "client request exceeds the size limits";
    case RecvResult::malformed: return "malformed client request";
    case RecvResult::error: return "unable to read the client request";
    }
    return "unknown result";
}

bool send_status(int conn, int wstat) noexcept
{
    char buf[status_len];
    put_be32(buf, static_cast<std::uint32_t>(wstat));
    ssize_t w;
    do w = send(conn, buf, status_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w < 0 && errno == EINTR);
    if (w < 0) return false;
    if (w != static_cast<ssize_t>(status_len)) {
        errno = EAGAIN;
        return false;
    }
    return true;
}

} // namespace keel::runlevel
