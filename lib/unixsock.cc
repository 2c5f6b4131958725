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

} // namespace keel
