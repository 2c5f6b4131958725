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

// A full backlog makes a non-blocking connect fail with EAGAIN: run_oneshot retries this often.
constexpr std::int64_t connect_retry_ms = 20;

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

HeaderCheck check_header(const char* hdr, std::uint32_t& len) noexcept
{
    len = get_be32(hdr + 5);
    if (std::string_view(hdr, 4) != magic || op_name(hdr[4]).empty()) return HeaderCheck::malformed;
    if (len == 0 || len > max_name) return HeaderCheck::bad_name;
    return HeaderCheck::ok;
}

void put_reply(char* out, char kind, std::uint32_t value) noexcept
{
    std::memcpy(out, magic.data(), magic.size());
    out[4] = kind;
    put_be32(out + 5, value);
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
    std::memcpy(req.data(), magic.data(), magic.size());
    req[4] = static_cast<char>(op);
    put_be32(req.data() + 5, static_cast<std::uint32_t>(name.size()));
    std::memcpy(req.data() + header_len, name.data(), name.size());
    // A fresh connection's buffer holds the whole request: EAGAIN here is not worth a retry.
    if (!send_all(sock.get(), req.data(), header_len + name.size(), MSG_DONTWAIT)) return Fd();
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
    const int value = static_cast<int>(get_be32(reply.buf + 5));
    if (std::string_view(reply.buf, magic.size()) == magic) {
        if (reply.buf[4] == reply_exited) {
            reply.wstatus = value;
            return Finish::exited;
        }
        if (reply.buf[4] == reply_error) {
            reply.error = value;
            return Finish::refused;
        }
    }
    errno = EPROTO;
    return Finish::failed;
}

bool run_oneshot(const char* socket, Op op, std::string_view name, std::int64_t deadline_ms,
                 int& wstatus) noexcept
{
    Fd sock;
    for (;;) {
        sock = start(socket, op, name);
        if (sock || errno != EAGAIN) break;
        const std::int64_t retry = deadline_in(connect_retry_ms);
        if (retry >= deadline_ms) {
            errno = ETIMEDOUT;
            return false;
        }
        (void)poll_until({}, retry);
    }
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
