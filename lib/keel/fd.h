// File descriptors: a move-only owner, open helpers that always set O_CLOEXEC, and
// EINTR-safe full reads and writes. Functions return false / -1 with errno set; none prints.
#pragma once

#include <cstddef>
#include <fcntl.h>
#include <string_view>
#include <sys/types.h>
#include <utility>

namespace keel {

/// Owns one descriptor and closes it on destruction. Move-only; -1 means "none".
class Fd {
public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept
    {
        if (this != &o) reset(o.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    /// Gives up ownership without closing; returns the descriptor.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the owned descriptor (errno preserved) and takes fd instead.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

/// open(2) / openat(2) with O_CLOEXEC added and EINTR retried. Invalid Fd on error.
[[nodiscard]] Fd open_at(int dirfd, const char* path, int flags, mode_t mode = 0666) noexcept;
[[nodiscard]] inline Fd open_file(const char* path, int flags, mode_t mode = 0666) noexcept
{
    return open_at(AT_FDCWD, path, flags, mode);
}
[[nodiscard]] inline Fd open_read(const char* path) noexcept { return open_file(path, O_RDONLY); }

/// close(2) that does not retry on EINTR (Linux always closes) and keeps errno.
void close_fd(int fd) noexcept;

/// read(2) retried on EINTR. Returns bytes read, 0 at EOF, -1 on error.
[[nodiscard]] ssize_t read_some(int fd, void* buf, std::size_t len) noexcept;
/// Reads until len bytes or EOF. Returns bytes read (< len only at EOF), -1 on error.
[[nodiscard]] ssize_t read_full(int fd, void* buf, std::size_t len) noexcept;
/// Writes all of buf, retrying on EINTR and short writes. False on error (errno set).
[[nodiscard]] bool write_all(int fd, const void* buf, std::size_t len) noexcept;
[[nodiscard]] inline bool write_all(int fd, std::string_view s) noexcept
{
    return write_all(fd, s.data(), s.size());
}

/// Makes `to` a copy of `from` (dup2, EINTR-safe); the copy is not close-on-exec.
[[nodiscard]] bool fd_copy(int to, int from) noexcept;
/// Moves `from` to `to`: copy, then close `from` (nothing to do if equal). to is not CLOEXEC.
[[nodiscard]] bool fd_move(int to, int from) noexcept;
/// Sets or clears FD_CLOEXEC / O_NONBLOCK.
[[nodiscard]] bool set_cloexec(int fd, bool on) noexcept;
[[nodiscard]] bool set_nonblock(int fd, bool on) noexcept;
/// True if fd is an open descriptor.
[[nodiscard]] bool fd_is_open(int fd) noexcept;

/// Makes sure descriptors 0, 1 and 2 are open: each closed one is opened on /dev/null (not
/// close-on-exec: they are stdio for the programs run later). False with errno on failure.
[[nodiscard]] bool open_std() noexcept;

/// pipe2 with O_CLOEXEC (plus extra flags, e.g. O_NONBLOCK). fds[0] reads, fds[1] writes.
[[nodiscard]] bool make_pipe(Fd& rd, Fd& wr, int extra_flags = 0) noexcept;

} // namespace keel
