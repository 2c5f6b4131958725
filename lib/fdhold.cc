// The pipeline fd holder's protocol and its client side: see keel/fdhold.h.
#include "keel/fdhold.h"

#include "keel/loop.h"
#include "keel/rcdb.h"
#include "keel/unixsock.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <utility>

namespace keel::fdhold {

bool valid_name(std::string_view name) noexcept
{
    return name.size() <= max_name && rc::valid_name(name);
}

Fd fetch(const char* socket, char op, std::string_view name, std::int64_t deadline_ms) noexcept
{
    if ((op != op_read && op != op_write) || !valid_name(name)) {
        errno = EINVAL;
        return Fd();
    }
    // Non-blocking, so that a full backlog (EAGAIN) is retried until the deadline, not waited
    // on without one.
    Fd sock = frame::retry_busy(deadline_ms, [](void* path) noexcept {
        return unix_connect(static_cast<const char*>(path), true);
    }, const_cast<char*>(socket));
    if (!sock) return Fd();
    std::array<char, header_len + max_name> req;
    const std::size_t n = frame::put_request(req.data(), magic, op, name);
    if (!send_all(sock.get(), req.data(), n)) return Fd();
    char reply[reply_len];
    std::size_t got = 0;
    Fd fd;
    while (got < reply_len) {
        std::array<pollfd, 1> p{{{sock.get(), POLLIN, 0}}};
        const int n = poll_until(p, deadline_ms);
        if (n < 0) return Fd();
        if (n == 0) {
            errno = ETIMEDOUT;
            return Fd();
        }
        Fd more[1];
        std::size_t nfds = 0;
        const ssize_t r = recv_fds(sock.get(), reply + got, reply_len - got, more, nfds);
        if (r < 0) {
            if (errno == EAGAIN) continue;
            return Fd();
        }
        if (r == 0) {
            errno = EPIPE;
            return Fd();
        }
        got += static_cast<std::size_t>(r);
        if (nfds > 1 || (nfds == 1 && fd)) {
            errno = EPROTO;
            return Fd();
        }
        if (nfds == 1) fd = std::move(more[0]);
    }
    char kind = 0;
    std::uint32_t value = 0;
    if (!frame::get(reply, magic, kind, value)) {
        errno = EPROTO;
        return Fd();
    }
    if (kind == reply_fd && fd && value == 0) return fd;
    if (kind == reply_error && !fd && value != 0) {
        errno = static_cast<int>(value);
        return Fd();
    }
    errno = EPROTO;
    return Fd();
}

} // namespace keel::fdhold
