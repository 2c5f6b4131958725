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

// How often fetch() retries a connection refused for a full backlog.
constexpr std::int64_t connect_retry_ms = 20;

bool valid_name(std::string_view name) noexcept
{
    return name.size() <= max_name && rc::valid_name(name);
}

HeaderCheck check_header(const char* hdr, std::uint32_t& len) noexcept
{
    len = get_be32(hdr + 5);
    if (std::string_view(hdr, 4) != magic || (hdr[4] != op_read && hdr[4] != op_write)) return HeaderCheck::malformed;
    if (len == 0 || len > max_name) return HeaderCheck::bad_name;
    return HeaderCheck::ok;
}

void put_reply(char* out, char kind, std::uint32_t value) noexcept
{
    std::memcpy(out, magic.data(), magic.size());
    out[4] = kind;
    put_be32(out + 5, value);
}

Fd fetch(const char* socket, char op, std::string_view name, std::int64_t deadline_ms) noexcept
{
    if ((op != op_read && op != op_write) || !valid_name(name)) {
        errno = EINVAL;
        return Fd();
    }
    // Non-blocking, so that a full backlog (EAGAIN) is retried until the deadline, not waited
    // on without one.
    Fd sock;
    for (;;) {
        sock = unix_connect(socket, true);
        if (sock || errno != EAGAIN) break;
        const std::int64_t retry = deadline_in(connect_retry_ms);
        if (retry >= deadline_ms) {
            errno = ETIMEDOUT;
            return Fd();
        }
        (void)poll_until({}, retry);
    }
    if (!sock) return Fd();
    std::array<char, header_len + max_name> req;
    std::memcpy(req.data(), magic.data(), magic.size());
    req[4] = op;
    put_be32(req.data() + 5, static_cast<std::uint32_t>(name.size()));
    std::memcpy(req.data() + header_len, name.data(), name.size());
    if (!send_all(sock.get(), req.data(), header_len + name.size())) return Fd();
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
    if (std::string_view(reply, magic.size()) != magic) {
        errno = EPROTO;
        return Fd();
    }
    const std::uint32_t value = get_be32(reply + 5);
    if (reply[4] == reply_fd && fd && value == 0) return fd;
    if (reply[4] == reply_error && !fd && value != 0) {
        errno = static_cast<int>(value);
        return Fd();
    }
    errno = EPROTO;
    return Fd();
}

} // namespace keel::fdhold
