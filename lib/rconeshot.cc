// The oneshot runner's protocol and its client side: see keel/rconeshot.h.
#include "keel/rconeshot.h"

#include "keel/loop.h"
#include "keel/unixsock.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace keel::rconeshot {

std::string_view op_name(char op) noexcept
{
    switch (op) {
    case static_cast<char>(Op::up): return "up";
    case static_cast<char>(Op::down): return "down";
    case static_cast<char>(Op::reload): return "reload";
    default: return {};
    }
}

bool valid_name(std::string_view name) noexcept
{
    return !name.empty() && name.size() <= max_name && name != "." && name != ".."
        && name.find('/') == std::string_view::npos
        && name.find('\0') == std::string_view::npos;
}

Fd start(const char* socket, Op op, std::string_view name) noexcept
{
    if (!valid_name(name)) {
        errno = EINVAL;
        return Fd();
    }
    Fd sock = unix_connect(socket, true);
    if (!sock) return Fd();
    std::array<char, header_len + max_name> req;
    const std::size_t n = frame::put_request(req.data(), magic, static_cast<char>(op), name);
    // A fresh connection's buffer holds the whole request: EAGAIN here is not worth a retry.
    if (!send_all(sock.get(), req.data(), n, MSG_DONTWAIT)) return Fd();
    return sock;
}

Finish finish(int sock, Reply& reply) noexcept
{
    while (reply.got < reply_len) {
        const ssize_t r = read_some(sock, reply.buf + reply.got, reply_len - reply.got);
        if (r < 0) return errno == EAGAIN ? Finish::pending : Finish::failed;
        if (r == 0) {
            errno = EPIPE;
            return Finish::failed;
        }
        reply.got += static_cast<std::size_t>(r);
    }
    char kind = 0;
    std::uint32_t value = 0;
    if (frame::get(reply.buf, magic, kind, value)) {
        if (kind == reply_exited) {
            reply.wstatus = static_cast<int>(value);
            return Finish::exited;
        }
        if (kind == reply_error) {
            reply.error = static_cast<int>(value);
            return Finish::refused;
        }
    }
    errno = EPROTO;
    return Finish::failed;
}

bool run_oneshot(const char* socket, Op op, std::string_view name, std::int64_t deadline_ms,
                 int& wstatus) noexcept
{
    struct Call {
        const char* socket;
        Op op;
        std::string_view name;
    } call{socket, op, name};
    const Fd sock = frame::retry_busy(deadline_ms, [](void* arg) noexcept {
        const Call& c = *static_cast<const Call*>(arg);
        return start(c.socket, c.op, c.name);
    }, &call);
    if (!sock) return false;
    Reply reply;
    for (;;) {
        std::array<pollfd, 1> p{{{sock.get(), POLLIN, 0}}};
        const int n = poll_until(p, deadline_ms);
        if (n < 0) return false;
        if (n == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        switch (finish(sock.get(), reply)) {
        case Finish::pending: continue;
        case Finish::exited: wstatus = reply.wstatus; return true;
        case Finish::refused: errno = reply.error; return false;
        case Finish::failed: return false;
        }
    }
}

} // namespace keel::rconeshot
