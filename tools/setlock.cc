// setlock: take a POSIX fcntl lock on the whole of a file, then exec into a program that
// inherits the descriptor holding it (on fd N with -d), so the lock lasts until that program
// exits. Exclusive on a file opened for writing (created if needed), or shared (-r) on a file
// opened for reading. s6-setlock compatible: same options, messages and exit codes.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/lock.h"
#include "keel/num.h"
#include "keel/opt.h"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "setlock [ -r | -w ] [ -n | -N ] [ -t timeout ] [ -d fd ] lockfile prog...";

// Failing to get the lock (busy or timed out) exits 1, as in s6.
constexpr int exit_no_lock = 1;

struct Options {
    keel::LockKind kind = keel::LockKind::Exclusive;
    bool no_wait = false;        // -n
    unsigned int timeout_ms = 0; // -t; 0 means none
    int dest = -1;               // -d
};

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "rwnNt:d:");
    while (int c = opts.next()) {
        switch (c) {
        case 'r': o.kind = keel::LockKind::Shared; break;
        case 'w': o.kind = keel::LockKind::Exclusive; break;
        case 'n': o.no_wait = true; break;
        case 'N': o.no_wait = false; break;
        case 't':
            if (!keel::scan_number(opts.arg(), o.timeout_ms)) keel::die_usage(usage);
            break;
        case 'd': {
            unsigned int fd = 0;
            if (!keel::scan_number(opts.arg(), fd) || fd > INT32_MAX) keel::die_usage(usage);
            o.dest = static_cast<int>(fd);
            break;
        }
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    return o;
}

constexpr int open_flags = O_NONBLOCK | O_NOCTTY;
// A missing lock file is created 0666 under the inherited umask, as s6-setlock does.
constexpr mode_t create_mode = 0666;

keel::Fd open_lockfile(const char* file, keel::LockKind kind)
{
    if (kind == keel::LockKind::Exclusive) {
        keel::Fd fd = keel::open_file(file, O_WRONLY | O_CREAT | open_flags, create_mode);
        if (!fd) keel::die_sys(keel::exit_sys, "unable to open ", file, " for writing");
        return fd;
    }
    keel::Fd fd = keel::open_file(file, O_RDONLY | open_flags);
    if (fd || errno != ENOENT) {
        if (!fd) keel::die_sys(keel::exit_sys, "unable to open ", file, " for reading");
        return fd;
    }
    if (!keel::open_file(file, O_WRONLY | O_CREAT | open_flags, create_mode))
        keel::die_sys(keel::exit_sys, "unable to create ", file);
    fd = keel::open_file(file, O_RDONLY | open_flags);
    if (!fd) keel::die_sys(keel::exit_sys, "unable to open ", file, " for reading");
    return fd;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "setlock";
    const Options o = parse(argc, argv);
    const char* file = argv[0];
    keel::Fd fd = open_lockfile(file, o.kind);

    // Closing any descriptor of the file drops a POSIX lock, so the fd is moved to its final
    // place before locking (s6-setlock 2.15 moves it after, and so loses the lock).
    int saved_stderr = -1;
    if (o.dest >= 0 && o.dest != fd.get()) {
        if (o.dest == 2) saved_stderr = fcntl(2, F_DUPFD_CLOEXEC, 3);
        if (!keel::fd_copy(o.dest, fd.get()))
            keel::die_sys(keel::exit_sys, "unable to move lock descriptor");
        fd.reset(o.dest);
    }
    const std::int64_t wait = o.no_wait ? keel::lock_no_wait
                              : o.timeout_ms ? std::int64_t{o.timeout_ms}
                                             : keel::lock_forever;
    if (!keel::lock_fd(fd.get(), o.kind, wait)) {
        const int e = errno;
        if (saved_stderr >= 0) (void)keel::fd_copy(2, saved_stderr);
        errno = e;
        if (e == ETIMEDOUT) keel::die(exit_no_lock, "lock ", file, ": timed out");
        keel::die_sys(exit_no_lock, "unable to lock ", file);
    }
    if (saved_stderr >= 0) keel::close_fd(saved_stderr);
    if (!keel::set_cloexec(fd.get(), false))
        keel::die_sys(keel::exit_sys, "unable to keep lock descriptor open");
    (void)fd.release();
    keel::xexec(argv + 1);
}
