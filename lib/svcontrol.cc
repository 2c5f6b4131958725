// Both sides of a control FIFO and its lock (keel/svcontrol.h).
#include "keel/svcontrol.h"

#include "keel/fd.h"
#include "keel/lock.h"
#include "keel/path.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <sys/stat.h>

namespace keel::sv {

CtlResult write_control_at(const char* dir, const char* subdir, std::string_view cmds) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/", subdir, "/control")) return CtlResult::error;
    Fd fd = open_file(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd) {
        if (!set_nonblock(fd.get(), false) || !write_all(fd.get(), cmds)) return CtlResult::error;
        return CtlResult::ok;
    }
    const int e = errno;
    if (e == ENXIO) return CtlResult::not_supervised;
    if (e != ENOENT && e != ENOTDIR && e != EISDIR) return CtlResult::error;
    // Tell "never run here" (no SUBDIR at all) from a broken SUBDIR.
    Fd d = open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!d) return CtlResult::error;
    Fd sub = open_at(d.get(), subdir, O_RDONLY | O_DIRECTORY);
    if (!sub && errno == ENOENT) return CtlResult::not_supervised;
    errno = sub ? e : errno;
    return CtlResult::bad_dir;
}

int supervised(const char* dir) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/supervise/lock")) return -1;
    Fd fd = open_read(path.c_str());
    if (!fd) return errno == ENOENT ? 0 : -1;
    const pid_t holder = lock_holder(fd.get(), LockKind::Exclusive);
    return holder < 0 ? -1 : holder > 0;
}

namespace {

// The body of listen_control, with the umask already 0.
int listen_in(const char* dir, mode_t lock_mode, ListenStep& failed) noexcept
{
    PathBuf<> lock_path, fifo;
    if (!lock_path.set(dir, "/lock") || !fifo.set(dir, "/control")) {
        failed = ListenStep::open_lock;
        return -1;
    }
    Fd lock = open_file(lock_path.c_str(), O_WRONLY | O_NONBLOCK | O_CREAT, lock_mode);
    if (!lock) {
        failed = ListenStep::open_lock;
        return -1;
    }
    if (!lock_fd(lock.get(), LockKind::Exclusive, lock_no_wait)) {
        failed = errno == EBUSY ? ListenStep::busy : ListenStep::lock;
        return -1;
    }
    if (mkfifo(fifo.c_str(), 0600) < 0) {
        if (errno != EEXIST) {
            failed = ListenStep::mkfifo;
            return -1;
        }
        struct stat st;
        if (stat(fifo.c_str(), &st) < 0) {
            failed = ListenStep::stat;
            return -1;
        }
        if (!S_ISFIFO(st.st_mode)) {
            failed = ListenStep::not_fifo;
            errno = EEXIST;
            return -1;
        }
    }
    Fd rd = open_file(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    if (!rd) {
        failed = ListenStep::open_read;
        return -1;
    }
    Fd wr = open_file(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (!wr) {
        failed = ListenStep::open_write;
        return -1;
    }
    // Closing any descriptor of the lock file would drop the lock: keep it open for good.
    (void)lock.release();
    (void)wr.release();
    return rd.release();
}

} // namespace

int listen_control(const char* dir, mode_t lock_mode, ListenStep& failed) noexcept
{
    const mode_t old = umask(0);
    const int fd = listen_in(dir, lock_mode, failed);
    const int e = errno;
    umask(old);
    errno = e;
    return fd;
}

ListenFailure listen_failure(ListenStep step) noexcept
{
    switch (step) {
    case ListenStep::open_lock: return {"open", "lock"};
    case ListenStep::lock:
    case ListenStep::busy: return {"lock", "lock"};
    case ListenStep::mkfifo: return {"mkfifo", "control"};
    case ListenStep::stat:
    case ListenStep::not_fifo: return {"stat", "control"};
    case ListenStep::open_read: return {"open", "control for reading"};
    case ListenStep::open_write: return {"open", "control for writing"};
    }
    return {"listen on", "control"};
}

Control control_decode(char c) noexcept
{
    struct Entry {
        char c;
        Cmd cmd;
        int sig;
    };
    static constexpr std::array<Entry, 25> table{{
        {'a', Cmd::kill, SIGALRM}, {'b', Cmd::kill, SIGABRT}, {'q', Cmd::kill, SIGQUIT},
        {'h', Cmd::kill, SIGHUP}, {'k', Cmd::kill, SIGKILL}, {'t', Cmd::kill, SIGTERM},
        {'i', Cmd::kill, SIGINT}, {'1', Cmd::kill, SIGUSR1}, {'2', Cmd::kill, SIGUSR2},
        {'y', Cmd::kill, SIGWINCH}, {'p', Cmd::pause, 0}, {'c', Cmd::cont, 0},
        {'P', Cmd::pause_group, 0}, {'C', Cmd::cont_group, 0}, {'K', Cmd::kill_group, 0},
        {'r', Cmd::restart, 0}, {'l', Cmd::reload, 0}, {'o', Cmd::once, 0}, {'d', Cmd::down, 0},
        {'u', Cmd::up, 0}, {'D', Cmd::down_file, 0}, {'U', Cmd::up_file, 0}, {'x', Cmd::exit, 0},
        {'O', Cmd::want_down, 0}, {'Q', Cmd::down_quiet, 0},
    }};
    for (const Entry& e : table)
        if (e.c == c) return {e.cmd, e.sig};
    return {};
}

ScanCmd scan_control_decode(char c) noexcept
{
    switch (c) {
    case 'z': return ScanCmd::reap;
    case 'a': return ScanCmd::scan;
    case 'b': return ScanCmd::leave;
    case 'h': return ScanCmd::scan_inactive;
    case 't':
    case 'i': return ScanCmd::stop_all;
    case 'q': return ScanCmd::stop_all_term;
    case 'n': return ScanCmd::inactive;
    case 'N': return ScanCmd::inactive_term;
    default: return ScanCmd::unknown;
    }
}

} // namespace keel::sv
