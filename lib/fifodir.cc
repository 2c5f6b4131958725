// The ftrig1 fifodir protocol of keel/fifodir.h.
#include "keel/fifodir.h"

#include "keel/tai.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keel::ftrig {
bool is_listener_name(const char* name) noexcept
{
    return std::strncmp(name, listener_prefix.data(), listener_prefix.size()) == 0 &&
           std::strlen(name) == listener_name_len;
}

namespace {

// Calls fn(name) for each listener FIFO of the directory open as dirfd, from its start.
template <class Fn>
bool for_each_listener(int dirfd, Fn fn) noexcept
{
    if (lseek(dirfd, 0, SEEK_SET) < 0) return false;
    // Small on purpose: supervise calls this on every event, and stack it touches stays dirty.
    alignas(dirent64) char buf[1024];
    for (;;) {
        const ssize_t n = getdents64(dirfd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        for (ssize_t at = 0; at < n;) {
            const auto* d = reinterpret_cast<const dirent64*>(buf + at);
            at += d->d_reclen;
            if (is_listener_name(d->d_name)) fn(d->d_name);
        }
    }
}

Fd open_dir(const char* path) noexcept
{
    return open_file(path, O_RDONLY | O_DIRECTORY);
}

} // namespace

bool make_fifodir(const char* path, bool is_public, gid_t gid, bool force) noexcept
{
    const mode_t mode = is_public ? public_mode : restricted_mode;
    const mode_t old = umask(0);
    const int r = mkdir(path, mode);
    const int e = errno;
    umask(old);
    if (r < 0) {
        if (e != EEXIST) {
            errno = e;
            return false;
        }
        struct stat st;
        if (stat(path, &st) < 0) return false;
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return false;
        }
        if (!force) return true;
    }
    // mkdir cannot set the setgid and sticky bits portably, nor the group: set them now.
    if (!is_public && chown(path, static_cast<uid_t>(-1), gid) < 0) return false;
    return chmod(path, mode) == 0;
}

int notify_at(int dirfd, std::string_view events) noexcept
{
    int reached = 0;
    const bool ok = for_each_listener(dirfd, [&](const char* name) {
        Fd fd = open_at(dirfd, name, O_WRONLY | O_NONBLOCK);
        if (!fd) {
            if (errno == ENXIO) unlinkat(dirfd, name, 0);
            return;
        }
        ssize_t w;
        do w = write(fd.get(), events.data(), events.size());
        while (w < 0 && errno == EINTR);
        if (w == static_cast<ssize_t>(events.size())) ++reached;
        else if (w < 0 && errno == EPIPE) unlinkat(dirfd, name, 0);
    });
    return ok ? reached : -1;
}

int notify(const char* path, std::string_view events) noexcept
{
    Fd d = open_dir(path);
    return d ? notify_at(d.get(), events) : -1;
}

bool clean_at(int dirfd) noexcept
{
    return for_each_listener(dirfd, [&](const char* name) {
        Fd fd = open_at(dirfd, name, O_WRONLY | O_NONBLOCK);
        if (!fd && errno == ENXIO) unlinkat(dirfd, name, 0);
    });
}

bool clean(const char* path) noexcept
{
    Fd d = open_dir(path);
    return d && clean_at(d.get());
}

bool Listener::subscribe(const char* fifodir) noexcept
{
    unsubscribe();
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    // O_PATH: a fifodir gives its group (03730) or everybody (01733) -wx but no read right,
    // and a listener needs none: it only makes, opens, renames and unlinks its own FIFO.
    dir_ = open_file(fifodir, O_PATH | O_DIRECTORY);
    if (!dir_) return false;
    // "." + "ftrig1:@" + 24 hex digits of now + ":" + 6 random characters.
    char hidden[listener_name_len + 2];
    hidden[0] = '.';
    std::memcpy(hidden + 1, listener_prefix.data(), listener_prefix.size());
    char stamp[tai64n_text_len];
    const std::string_view ts = tai_fmt(tai_now(), stamp); // "@" + 24 hex
    std::memcpy(hidden + listener_prefix.size(), ts.data(), ts.size());
    char* const suffix = hidden + listener_prefix.size() + ts.size();
    suffix[0] = ':';
    suffix[7] = 0;
    for (int attempt = 0;; ++attempt) {
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd) {
            // No entropy yet (early boot): the pid and the clock still make names unique.
            const unsigned long x = static_cast<unsigned long>(getpid()) * 2654435761u ^
                                    tai_now().nano ^ static_cast<unsigned>(attempt);
            for (std::size_t i = 0; i < sizeof rnd; ++i)
                rnd[i] = static_cast<unsigned char>(x >> (5 * i));
        }
        for (std::size_t i = 0; i < 6; ++i) suffix[1 + i] = alphabet[rnd[i] & 63];
        if (mkfifoat(dir_.get(), hidden, 0622) == 0) break;
        if (errno != EEXIST || attempt > 20) {
            dir_.reset();
            return false;
        }
    }
    rd_ = open_at(dir_.get(), hidden, O_RDONLY | O_NONBLOCK);
    if (rd_) wr_ = open_at(dir_.get(), hidden, O_WRONLY | O_NONBLOCK);
    if (!wr_ || renameat(dir_.get(), hidden, dir_.get(), hidden + 1) < 0) {
        const int e = errno;
        unlinkat(dir_.get(), hidden, 0);
        rd_.reset();
        wr_.reset();
        dir_.reset();
        errno = e;
        return false;
    }
    std::memcpy(name_, hidden + 1, sizeof name_);
    return true;
}

ssize_t Listener::read(char* buf, std::size_t len) noexcept
{
    const ssize_t n = read_some(rd_.get(), buf, len);
    if (n < 0 && errno == EAGAIN) return 0;
    return n;
}

void Listener::unsubscribe() noexcept
{
    if (name_[0]) {
        const int e = errno;
        unlinkat(dir_.get(), name_, 0);
        errno = e;
        name_[0] = 0;
    }
    rd_.reset();
    wr_.reset();
    dir_.reset();
}

} // namespace keel::ftrig
