// Unix stream sockets: see keel/unixsock.h.
#include "keel/unixsock.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace keel {
namespace {

bool make_addr(sockaddr_un& sa, const char* path) noexcept
{
    const std::size_t len = std::strlen(path);
    if (len >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return false;
    }
    std::memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path, len + 1);
    return true;
}

} // namespace

Fd unix_connect(const char* path, bool nonblock) noexcept
{
    sockaddr_un sa;
    if (!make_addr(sa, path)) return Fd();
    Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0));
    if (!sock) return Fd();
    int r;
    do r = connect(sock.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    while (r < 0 && errno == EINTR);
    if (r < 0) return Fd();
    return sock;
}

Fd unix_listen(const char* path, int backlog, mode_t mode) noexcept
{
    sockaddr_un sa;
    if (!make_addr(sa, path)) return Fd();
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            errno = EEXIST;
            return Fd();
        }
        if (unlink(path) < 0) return Fd();
    } else if (errno != ENOENT) {
        return Fd();
    }
    Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return Fd();
    // The file is created with no access for anyone else at once (connecting needs write
    // permission), so there is no moment at which someone else could connect.
    const mode_t old = umask(077 | (~mode & 0777));
    const int b = bind(sock.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    const int e = errno;
    umask(old);
    if (b < 0) {
        errno = e;
        return Fd();
    }
    if (chmod(path, mode) < 0 || listen(sock.get(), backlog) < 0) {
        const int saved = errno;
        unlink(path);
        errno = saved;
        return Fd();
    }
    return sock;
}

SockFile sock_file(const char* path) noexcept
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) return {};
    return {st.st_dev, st.st_ino};
}

void unlink_if_same(const char* path, SockFile mine) noexcept
{
    const int e = errno;
    const SockFile now = sock_file(path);
    if (mine.ino && now.ino == mine.ino && now.dev == mine.dev) unlink(path);
    errno = e;
}

bool send_all(int sock, const void* buf, std::size_t len, int flags) noexcept
{
    const char* p = static_cast<const char*>(buf);
    while (len) {
        const ssize_t w = send(sock, p, len, flags | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        len -= static_cast<std::size_t>(w);
    }
    return true;
}

bool send_fds(int sock, const void* buf, std::size_t len, std::span<const int> fds,
              int flags) noexcept
{
    if (len == 0 || fds.empty() || fds.size() > max_passed_fds) {
        errno = EINVAL;
        return false;
    }
    alignas(cmsghdr) char control[CMSG_SPACE(max_passed_fds * sizeof(int))]{};
    iovec iov{const_cast<void*>(buf), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
    ssize_t w;
    do w = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0) return false;
    const std::size_t sent = static_cast<std::size_t>(w);
    return send_all(sock, static_cast<const char*>(buf) + sent, len - sent, flags);
}

ssize_t recv_fds(int sock, void* buf, std::size_t len, std::span<Fd> fds, std::size_t& got,
                 int flags) noexcept
{
    got = 0;
    // Room for more descriptors than wanted, so that extra ones are seen (and closed).
    alignas(cmsghdr) char control[CMSG_SPACE(max_passed_fds * sizeof(int))];
    iovec iov{buf, len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r;
    do r = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < n; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (got < fds.size()) fds[got].reset(fd);
            else close_fd(fd);
            ++got;
        }
    }
    // Some were lost: more than room, whatever the count says.
    if ((msg.msg_flags & MSG_CTRUNC) && got <= fds.size()) got = fds.size() + 1;
    return r;
}

} // namespace keel
