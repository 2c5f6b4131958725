// svscan: the root (or a branch) of a supervision tree. Runs one supervise per service
// directory of the scan directory (two for a logged service, joined by a pipe svscan keeps
// open), restarts dead supervisors, reaps every zombie (it can be pid 1), obeys the bytes
// written to .s6-svscan/control and the signals it gets, and execs .s6-svscan/finish when
// told to stop (.s6-svscan/crash if it cannot go on). s6-svscan compatible.
// Its tables are sized once at start-up (-C); from then on it allocates nothing and never
// exits on an error: what fails is retried later.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/loop.h"
#include "keel/notify.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/sig.h"
#include "keel/str.h"
#include "keel/svcontrol.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

constexpr std::string_view usage = "svscan [ -C services_max ] [ -L name_max ] [ -t rescan ] "
                                   "[ -d notif ] [ -X consoleholder ] [ scandir ]";

constexpr char control_dir[] = ".s6-svscan";
constexpr char finish_prog[] = ".s6-svscan/finish";
constexpr char crash_prog[] = ".s6-svscan/crash";
constexpr std::string_view catchall_name = "s6-svscan-log";

// How long to wait before trying again, in ms.
constexpr std::int64_t throttle_ms = 1000;     // between two starts of one supervisor
constexpr std::int64_t retry_dir_ms = 5000;    // the scan directory could not be read
constexpr std::int64_t retry_stat_ms = 4000;   // an entry could not be stat()ed
constexpr std::int64_t retry_pipe_ms = 3000;   // no pipe for a logged service
constexpr std::int64_t retry_old_ms = 10000;   // NAME/log still belongs to an old producer
constexpr std::int64_t retry_full_ms = 60000;  // the table is full
constexpr std::int64_t retry_spawn_ms = 10000; // supervise could not be started

constexpr unsigned default_max = 1000, min_max = 4, max_max = 160000;
constexpr unsigned default_name_max = 251, min_name_max = 11, max_name_max = 1019;

constexpr std::uint32_t none = UINT32_MAX;

// Signals svscan handles; SIGHUP to SIGWINCH may be diverted to .s6-svscan/SIGNAME scripts.
constexpr std::array<int, 11> trapped{SIGCHLD, SIGALRM, SIGABRT, SIGHUP, SIGINT, SIGTERM,
                                      SIGQUIT, SIGUSR1, SIGUSR2, SIGPWR, SIGWINCH};

// One supervised directory: a service, or the log/ subdirectory of one (its logger). It is
// known by the device and inode of its directory, never by name: a renamed directory keeps its
// supervisor. svscan keeps no names; each scan reads them afresh.
struct Service {
    dev_t dev = 0;
    ino_t ino = 0;
    std::int64_t start_after = 0; // monotonic ms: no supervisor start before then
    pid_t pid = 0;                // its supervise; 0 if none
    int rfd = -1, wfd = -1;       // a logger's pipe from its producer: svscan holds both ends
    std::uint32_t peer = none;    // producer <-> logger; on a free slot: the next free slot
    bool used = false;
    bool active = false;   // found by the last complete scan
    bool seen = false;     // found by the scan in progress
    bool logger = false;   // NAME/log
    bool catchall = false; // s6-svscan-log, the tree's catch-all logger
};

// Open addressing with linear probing over slot numbers; the keys live in the slots. Sized
// once to a power of two at least twice the slot count, so it never fills up.
class Index {
public:
    void init(std::uint32_t* cells, std::uint32_t size) noexcept
    {
        cells_ = cells;
        mask_ = size - 1;
    }

    // The slot whose key hashes to h and satisfies match(slot), or none.
    template <class Match>
    [[nodiscard]] std::uint32_t find(std::uint64_t h, Match match) const noexcept
    {
        for (std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;; i = (i + 1) & mask_) {
            if (!cells_[i]) return none;
            if (match(cells_[i] - 1)) return cells_[i] - 1;
        }
    }

    void insert(std::uint64_t h, std::uint32_t slot) noexcept
    {
        std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;
        while (cells_[i]) i = (i + 1) & mask_;
        cells_[i] = slot + 1;
    }

    // Removes slot (hashing to h); hash_of(slot) gives the hash of any other slot, so the
    // entries after it move back and no probe sequence is broken.
    template <class HashOf>
    void erase(std::uint64_t h, std::uint32_t slot, HashOf hash_of) noexcept
    {
        std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;
        while (cells_[i] != slot + 1) {
            if (!cells_[i]) return;
            i = (i + 1) & mask_;
        }
        for (std::uint32_t j = (i + 1) & mask_; cells_[j]; j = (j + 1) & mask_) {
            const std::uint32_t home = static_cast<std::uint32_t>(hash_of(cells_[j] - 1)) & mask_;
            // Move j into the hole at i unless its home lies cyclically in (i, j].
            const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (stays) continue;
            cells_[i] = cells_[j];
            i = j;
        }
        cells_[i] = 0;
    }

private:
    std::uint32_t* cells_ = nullptr;
    std::uint32_t mask_ = 0;
};

constexpr std::uint64_t mix(std::uint64_t x) noexcept
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

std::uint64_t dir_hash(dev_t dev, ino_t ino) noexcept
{
    return mix(static_cast<std::uint64_t>(ino) ^ mix(static_cast<std::uint64_t>(dev)));
}

std::uint64_t pid_hash(pid_t pid) noexcept { return mix(static_cast<std::uint64_t>(pid)); }

// What the control bytes and signals asked for, done after the current batch.
enum class Kill : std::uint8_t {
    none,
    inactive,      // n, h: services found no more; loggers get SIGHUP
    inactive_term, // N: the same, loggers get SIGTERM too
    all,           // t, i: everything; loggers get SIGHUP
    all_term,      // q: everything with SIGTERM
};

struct Scanner {
    Service* sv = nullptr;
    std::uint32_t max = default_max;
    std::uint32_t high = 0;        // slots [0, high) have been used at least once
    std::uint32_t count = 0;       // slots in use
    std::uint32_t free_head = none;
    std::uint32_t alive = 0;       // supervisors running
    Index by_dir, by_pid;
    unsigned name_max = default_name_max;
    std::int64_t rescan_ms = 0;    // -t; 0: scan only on demand
    std::int64_t next_rescan = keel::no_deadline;
    std::int64_t retry_at = keel::no_deadline; // a scan is due then: restarts, retries
    int ctl = -1;
    int console = -1;              // -X
    bool want_scan = true;
    bool want_reap = true;
    Kill kill = Kill::none;
    bool stopping = false;         // t, i, q: no more starts; exec finish once all are gone
    bool leaving = false;          // b: exec finish now
    keel::PathBuf<PATH_MAX> supervise;
    const char* supervise_argv0 = "supervise";
};

Scanner S;

// --- Leaving: finish and crash --------------------------------------------------------------

// Signals back to how a freshly exec'd program expects them.
void reset_signals() noexcept
{
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none_blocked;
    sigemptyset(&none_blocked);
    sigprocmask(SIG_SETMASK, &none_blocked, nullptr);
}

// The console of -X back on stderr and stdout.
void restore_console() noexcept
{
    if (S.console < 0) return;
    if (!keel::fd_copy(2, S.console) || !keel::fd_copy(1, 2))
        keel::warn_sys("unable to restore the console");
}

[[noreturn]] void exec_crash() noexcept
{
    keel::warn("executing into ", crash_prog);
    reset_signals();
    char* argv[] = {const_cast<char*>(crash_prog), nullptr};
    execve(crash_prog, argv, environ);
    keel::die_sys(keel::exec_failure_code(errno), "unable to exec ", crash_prog);
}

// Something svscan cannot go on without failed: hand over to .s6-svscan/crash.
[[noreturn]] void crash(const char* what) noexcept
{
    const int e = errno;
    restore_console();
    errno = e;
    keel::warn_sys("unable to ", what);
    exec_crash();
}

[[noreturn]] void exec_finish() noexcept
{
    reset_signals();
    char* argv[] = {const_cast<char*>(finish_prog), nullptr};
    execve(finish_prog, argv, environ);
    if (errno == ENOENT) keel::exit_now(0);
    keel::warn_sys("unable to exec finish script ", finish_prog);
    exec_crash();
}

// Before finish: drop svscan's ends of the log pipes, so loggers see EOF once their producers
// are gone; when the tree has a catch-all logger, let go of its FIFO too; console back.
void let_go() noexcept
{
    bool catchall = false;
    for (std::uint32_t i = 0; i < S.high; ++i) {
        Service& s = S.sv[i];
        if (!s.used) continue;
        if (s.rfd >= 0) keel::close_fd(s.rfd);
        if (s.wfd >= 0) keel::close_fd(s.wfd);
        s.rfd = s.wfd = -1;
        catchall = catchall || s.catchall;
    }
    if (catchall) {
        const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0 || !keel::fd_copy(1, null) || !keel::fd_copy(2, null))
            keel::warn_sys("unable to redirect stdout and stderr to /dev/null");
        if (null >= 0) keel::close_fd(null);
    }
    restore_console();
}

// --- The table ------------------------------------------------------------------------------

std::uint32_t find_dir(dev_t dev, ino_t ino) noexcept
{
    return S.by_dir.find(dir_hash(dev, ino), [&](std::uint32_t i) {
        return S.sv[i].dev == dev && S.sv[i].ino == ino;
    });
}

std::uint32_t find_pid(pid_t pid) noexcept
{
    return S.by_pid.find(pid_hash(pid), [&](std::uint32_t i) { return S.sv[i].pid == pid; });
}

std::uint32_t add_service(const struct stat& st) noexcept
{
    std::uint32_t i = S.free_head;
    if (i != none) S.free_head = S.sv[i].peer;
    else i = S.high++;
    Service& s = S.sv[i];
    s = Service{};
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.used = s.active = s.seen = true;
    S.by_dir.insert(dir_hash(s.dev, s.ino), i);
    ++S.count;
    return i;
}

// Forgets a service whose supervisor is gone. A producer's end of the pipe is closed, so its
// logger reads EOF once the last writer has gone; a logger takes both ends with it.
void forget(std::uint32_t i) noexcept
{
    Service& s = S.sv[i];
    if (s.peer != none) {
        Service& p = S.sv[s.peer];
        p.peer = none;
        if (!s.logger && p.wfd >= 0) {
            keel::close_fd(p.wfd);
            p.wfd = -1;
        }
    }
    if (s.rfd >= 0) keel::close_fd(s.rfd);
    if (s.wfd >= 0) keel::close_fd(s.wfd);
    S.by_dir.erase(dir_hash(s.dev, s.ino), i,
                   [](std::uint32_t j) { return dir_hash(S.sv[j].dev, S.sv[j].ino); });
    s = Service{};
    s.peer = S.free_head;
    S.free_head = i;
    --S.count;
}

void retry_in(std::int64_t ms) noexcept
{
    S.retry_at = keel::earliest(S.retry_at, keel::deadline_in(ms));
}

// --- Starting supervisors -------------------------------------------------------------------

// Forks (vfork: no page tables to copy, and we would wait for the exec anyway) a child with
// stdin, stdout and stderr copied from the given descriptors (-1: inherited) and a clean signal
// state, that execs path with argv. Returns its pid, or -1 with errno (the child's, if its exec failed; it is reaped).
pid_t spawn(const char* path, char* const* argv, int in, int out, int err) noexcept
{
    volatile int failed = 0;
    const pid_t pid = vfork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
            (err >= 0 && dup2(err, 2) < 0)) {
            failed = errno;
            _exit(keel::exit_sys);
        }
        reset_signals();
        execve(path, argv, environ);
        failed = errno;
        _exit(keel::exec_failure_code(errno));
    }
    if (!failed) return pid;
    int wstat;
    while (waitpid(pid, &wstat, 0) < 0 && errno == EINTR) {}
    errno = failed;
    return -1;
}

// Starts the supervisor of slot i, whose directory is called name (NAME or NAME/log).
void start(std::uint32_t i, const char* name) noexcept
{
    Service& s = S.sv[i];
    const std::int64_t now = keel::mono_now_ms();
    if (now < s.start_after) {
        S.retry_at = keel::earliest(S.retry_at, s.start_after);
        return;
    }
    int in = -1, out = -1, err = -1;
    if (s.logger) in = s.rfd;
    else if (s.peer != none) out = S.sv[s.peer].wfd;
    if (s.catchall && S.console >= 0) err = S.console;
    // ps shows the short name; the path is what runs.
    char* argv[] = {const_cast<char*>(S.supervise_argv0), const_cast<char*>(name), nullptr};
    const pid_t pid = spawn(S.supervise.c_str(), argv, in, out, err);
    if (pid < 0) {
        keel::warn_sys("unable to spawn ", S.supervise.c_str(), " for ", name,
                       " (waiting 10 seconds)");
        s.start_after = keel::deadline_in(retry_spawn_ms);
        S.retry_at = keel::earliest(S.retry_at, s.start_after);
        return;
    }
    s.pid = pid;
    s.start_after = now + throttle_ms;
    S.by_pid.insert(pid_hash(pid), i);
    ++S.alive;
}

// --- The scanner ----------------------------------------------------------------------------

// NAME/log for the producer in slot p: registers a new logger (with a new pipe), or marks the
// known one as found. False if the producer must wait (its log/ belongs to someone else, no
// room, no pipe): the caller then keeps the producer out of this scan.
bool check_log(std::uint32_t p, bool is_new, const char* name, const char* logname) noexcept
{
    struct stat st;
    if (stat(logname, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return true;
        keel::warn_sys("unable to stat ", logname);
        retry_in(retry_stat_ms);
        return !is_new;
    }
    if (!S_ISDIR(st.st_mode)) return true;
    const std::uint32_t l = find_dir(st.st_dev, st.st_ino);
    if (l != none) {
        if (l == S.sv[p].peer) {
            S.sv[l].seen = true;
            return true;
        }
        keel::warn("old service ", name, " still exists, waiting");
        retry_in(retry_old_ms);
        return !is_new;
    }
    if (S.count >= S.max) { // the producer has its slot already
        keel::warn("unable to start supervisor for ", logname, ": too many services");
        retry_in(retry_full_ms);
        return !is_new;
    }
    keel::Fd rd, wr;
    if (!keel::make_pipe(rd, wr)) {
        keel::warn_sys("unable to create a pipe for ", name);
        retry_in(retry_pipe_ms);
        return !is_new;
    }
    // A log/ that appears later joins an existing producer: its supervisor writes into the
    // new pipe from its next start on; an old logger it had is left to die as inactive.
    if (S.sv[p].peer != none) S.sv[S.sv[p].peer].peer = none;
    const std::uint32_t l2 = add_service(st);
    Service& lg = S.sv[l2];
    lg.logger = true;
    lg.rfd = rd.release();
    lg.wfd = wr.release();
    lg.peer = p;
    S.sv[p].peer = l2;
    return true;
}

void check(const char* name) noexcept
{
    const std::size_t len = std::strlen(name);
    if (len > S.name_max) {
        keel::warn("name too long - not spawning service: ", name);
        return;
    }
    struct stat st;
    if (stat(name, &st) < 0) {
        keel::warn_sys("unable to stat ", name);
        retry_in(retry_stat_ms);
        return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    keel::PathBuf<max_name_max + 8> logname;
    (void)logname.set(name, "/log"); // fits: len <= name_max
    std::uint32_t i = find_dir(st.st_dev, st.st_ino);
    if (i != none) {
        S.sv[i].seen = true;
        if (S.sv[i].logger) return; // a logger linked in by itself: nothing more to it
        (void)check_log(i, false, name, logname.c_str());
    } else {
        if (S.count >= S.max) {
            keel::warn("unable to start supervisor for ", name, ": too many services");
            retry_in(retry_full_ms);
            return;
        }
        i = add_service(st);
        S.sv[i].catchall = std::string_view(name, len) == catchall_name;
        if (!check_log(i, true, name, logname.c_str())) {
            S.sv[i].seen = false;
            forget(i);
            return;
        }
    }
    const std::uint32_t l = S.sv[i].peer;
    if (l != none && S.sv[l].seen && !S.sv[l].pid && !S.stopping) start(l, logname.c_str());
    if (!S.sv[i].pid && !S.stopping) start(i, name);
}

void scan() noexcept
{
    S.want_scan = false;
    S.retry_at = keel::no_deadline;
    if (S.rescan_ms) S.next_rescan = keel::deadline_in(S.rescan_ms);
    keel::Fd dir = keel::open_file(".", O_RDONLY | O_DIRECTORY);
    if (!dir) {
        keel::warn_sys("unable to opendir .");
        retry_in(retry_dir_ms);
        return;
    }
    for (std::uint32_t i = 0; i < S.high; ++i) S.sv[i].seen = false;
    alignas(8) char buf[4096];
    bool complete = true;
    for (;;) {
        const ssize_t n = getdents64(dir.get(), buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            keel::warn_sys("unable to readdir .");
            retry_in(retry_dir_ms);
            complete = false;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            const auto* d = reinterpret_cast<const dirent64*>(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] != '.') check(d->d_name);
        }
    }
    // What the scan did not find is inactive: never restarted, forgotten once its supervisor
    // is gone. A scan cut short by an error decides nothing.
    for (std::uint32_t i = 0; i < S.high; ++i) {
        Service& s = S.sv[i];
        if (!s.used) continue;
        if (complete) s.active = s.seen;
        else s.active = s.active || s.seen;
    }
    for (std::uint32_t i = 0; i < S.high; ++i) {
        if (S.sv[i].used && !S.sv[i].active && !S.sv[i].pid) forget(i);
    }
}

// --- The reaper -----------------------------------------------------------------------------

void reap() noexcept
{
    S.want_reap = false;
    for (;;) {
        int wstat;
        const pid_t pid = waitpid(-1, &wstat, WNOHANG);
        if (pid == 0) return;
        if (pid < 0) {
            if (errno == EINTR) continue;
            if (errno == ECHILD) return;
            crash("wait for children");
        }
        const std::uint32_t i = find_pid(pid);
        if (i == none) continue; // an orphan, a signal script: reaped, that is all
        Service& s = S.sv[i];
        S.by_pid.erase(pid_hash(pid), i, [](std::uint32_t j) { return pid_hash(S.sv[j].pid); });
        s.pid = 0;
        --S.alive;
        if (!s.active || S.stopping) forget(i);
        else S.retry_at = keel::earliest(S.retry_at, s.start_after);
    }
}

// --- Commands -------------------------------------------------------------------------------

bool is_logger(const Service& s) noexcept { return s.logger || s.catchall; }

void kill_them() noexcept
{
    const Kill k = S.kill;
    S.kill = Kill::none;
    const bool all = k == Kill::all || k == Kill::all_term;
    const bool term_loggers = k == Kill::all_term || k == Kill::inactive_term;
    for (std::uint32_t i = 0; i < S.high; ++i) {
        const Service& s = S.sv[i];
        if (!s.used || !s.pid || (!all && s.active)) continue;
        kill(s.pid, is_logger(s) && !term_loggers ? SIGHUP : SIGTERM);
    }
}

// Asks for a kill; a stronger one asked in the same batch wins.
void want_kill(Kill k) noexcept
{
    if (static_cast<int>(k) > static_cast<int>(S.kill)) S.kill = k;
}

void stop(Kill k) noexcept
{
    want_kill(k);
    if (S.stopping) return;
    S.stopping = true;
    let_go();
}

void handle_control() noexcept
{
    char buf[256];
    for (;;) {
        const ssize_t n = read(S.ctl, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            crash("read control FIFO");
        }
        if (n == 0) return;
        for (ssize_t j = 0; j < n; ++j) {
            using keel::sv::ScanCmd;
            switch (keel::sv::scan_control_decode(buf[j])) {
            case ScanCmd::reap: S.want_reap = true; break;
            case ScanCmd::scan: S.want_scan = true; break;
            case ScanCmd::leave: S.leaving = true; break;
            case ScanCmd::scan_inactive:
                S.want_scan = true;
                want_kill(Kill::inactive);
                break;
            case ScanCmd::stop_all: stop(Kill::all); break;
            case ScanCmd::stop_all_term: stop(Kill::all_term); break;
            case ScanCmd::inactive: want_kill(Kill::inactive); break;
            case ScanCmd::inactive_term: want_kill(Kill::inactive_term); break;
            case ScanCmd::unknown: {
                const char c[1] = {buf[j]};
                keel::warn("received unknown control command: ", std::string_view(c, 1));
            }
            }
        }
    }
}

// Runs .s6-svscan/SIGNAME if it is executable. True if it was started.
bool divert(int sig) noexcept
{
    keel::PathBuf<64> path;
    if (!path.set(control_dir, "/", keel::sig_name(sig))) return false;
    if (access(path.c_str(), X_OK) < 0) return false;
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    if (spawn(argv[0], argv, -1, -1, -1) < 0) {
        keel::warn_sys("unable to spawn ", path.c_str());
        return false;
    }
    return true;
}

void handle_signal(int sig) noexcept
{
    switch (sig) {
    case SIGCHLD: S.want_reap = true; return;
    case SIGALRM: S.want_scan = true; return;
    case SIGABRT: S.leaving = true; return;
    default: break;
    }
    if (divert(sig)) return;
    switch (sig) {
    case SIGHUP:
        S.want_scan = true;
        want_kill(Kill::inactive);
        break;
    case SIGINT:
    case SIGTERM: stop(Kill::all); break;
    case SIGQUIT: stop(Kill::all_term); break;
    default: break; // SIGUSR1, SIGUSR2, SIGPWR, SIGWINCH: nothing unless diverted
    }
}

// --- Start-up -------------------------------------------------------------------------------

int open_control()
{
    const mode_t old = umask(0);
    const int made = mkdir(control_dir, 0700);
    const int e = errno;
    umask(old);
    if (made < 0) {
        struct stat st;
        if (e != EEXIST) {
            errno = e;
            keel::die_sys(keel::exit_sys, "unable to mkdir ", control_dir);
        }
        if (stat(control_dir, &st) < 0) keel::die_sys(keel::exit_sys, "unable to stat ", control_dir);
        if (!S_ISDIR(st.st_mode))
            keel::die(keel::exit_usage, control_dir, " exists and is not a directory");
    }
    keel::sv::ListenStep failed{};
    const int ctl = keel::sv::listen_control(control_dir, 0600, failed);
    if (ctl >= 0) return ctl;
    if (failed == keel::sv::ListenStep::busy)
        keel::die(keel::exit_usage,
                  "another instance of svscan is already running on the same directory");
    if (failed == keel::sv::ListenStep::not_fifo)
        keel::die(keel::exit_usage, ".s6-svscan/control is not a FIFO");
    const keel::sv::ListenFailure f = keel::sv::listen_failure(failed);
    keel::die_sys(keel::exit_sys, "unable to ", f.verb, " .s6-svscan/", f.file);
}

// s6 2.14 and later: symlinks in the scan directory that lead nowhere are removed at start-up.
void remove_dangling() noexcept
{
    keel::Fd dir = keel::open_file(".", O_RDONLY | O_DIRECTORY);
    if (!dir) return; // the first scan will say why
    alignas(8) char buf[4096];
    for (;;) {
        const ssize_t n = getdents64(dir.get(), buf, sizeof buf);
        if (n <= 0) return;
        for (ssize_t off = 0; off < n;) {
            const auto* d = reinterpret_cast<const dirent64*>(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] == '.') continue;
            struct stat st;
            if (access(d->d_name, F_OK) == 0 || errno != ENOENT) continue;
            if (lstat(d->d_name, &st) == 0 && S_ISLNK(st.st_mode) && unlink(d->d_name) < 0)
                keel::warn_sys("unable to remove dangling symlink ", d->d_name);
        }
    }
}

// The tables, once: slots, and two indexes (by directory, by supervisor pid). Pages nobody
// touches cost nothing, so a large -C is cheap until it is used.
void make_tables()
{
    std::uint32_t cells = 16;
    while (cells < 2 * S.max) cells *= 2;
    const std::size_t slots = sizeof(Service) * S.max;
    const std::size_t size = slots + 2 * sizeof(std::uint32_t) * cells;
    void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) keel::die_sys(keel::exit_sys, "unable to allocate the service table");
    S.sv = static_cast<Service*>(mem);
    auto* index = reinterpret_cast<std::uint32_t*>(static_cast<char*>(mem) + slots);
    S.by_dir.init(index, cells);
    S.by_pid.init(index + cells, cells);
}

unsigned clamp(unsigned v, unsigned lo, unsigned hi) noexcept
{
    return v < lo ? lo : v > hi ? hi : v;
}

unsigned number_arg(const char* arg)
{
    unsigned v = 0;
    if (!keel::scan_number(std::string_view(arg), v)) keel::die_usage(usage);
    return v;
}

constexpr std::array<keel::LongOpt, 5> long_opts{{
    {"services-max", 'C', true},
    {"name-max", 'L', true},
    {"timeout", 't', true},
    {"notification-fd", 'd', true},
    {"console-holder", 'X', true},
}};

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svscan";
    keel::OptParser opts(argc, argv, "C:c:L:t:d:X:sS", long_opts);
    int notif = -1;
    for (int o; (o = opts.next());) {
        switch (o) {
        case 'C':
        case 'c': S.max = clamp(number_arg(opts.arg()), min_max, max_max); break;
        case 'L': S.name_max = clamp(number_arg(opts.arg()), min_name_max, max_name_max); break;
        case 't': S.rescan_ms = number_arg(opts.arg()); break;
        case 'd':
            notif = keel::xfd_arg(opts.arg(), usage, "notification fd");
            break;
        case 'X':
            S.console = keel::xfd_arg(opts.arg(), usage, "console holder fd");
            break;
        case 's':
        case 'S': break; // s6 2.11: signals are diverted whenever a script is there
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() > 1) keel::die_usage(usage);
    const char* scandir = argc > opts.index() ? argv[opts.index()] : ".";

    if (!keel::open_std())
        keel::die_sys(keel::exit_sys, "unable to sanitize standard descriptors");
    if (chdir(scandir) < 0) keel::die_sys(keel::exit_sys, "unable to chdir to ", scandir);
    if (S.console >= 0 && !keel::set_cloexec(S.console, true))
        keel::die_sys(keel::exit_sys, "unable to set close-on-exec on the console holder");
    if (!keel::program_path(S.supervise, "supervise"))
        keel::die_sys(keel::exit_usage, "unable to find supervise");
    {
        const std::string_view path = S.supervise.view();
        S.supervise_argv0 = S.supervise.c_str() + path.rfind('/') + 1;
    }
    S.ctl = open_control();
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        keel::die_sys(keel::exit_sys, "unable to ignore SIGPIPE");
    keel::SignalFd sigs;
    if (!sigs.open(trapped)) keel::die_sys(keel::exit_sys, "unable to trap signals");
    make_tables();
    remove_dangling();
    if (notif >= 0) (void)keel::notify_ready(notif);

    // From here on svscan must not die: it retries what fails, or hands over to crash.
    for (;;) {
        if (S.want_reap) reap();
        if (S.leaving) {
            if (!S.stopping) let_go();
            kill_them();
            exec_finish();
        }
        if (S.stopping && !S.alive) exec_finish();
        if (S.want_scan && !S.stopping) scan();
        if (S.kill != Kill::none) kill_them();

        std::array<pollfd, 2> p{{{sigs.fd(), POLLIN, 0}, {S.ctl, POLLIN, 0}}};
        const std::int64_t deadline =
            S.stopping ? keel::no_deadline : keel::earliest(S.retry_at, S.next_rescan);
        const int n = keel::poll_until(p, deadline);
        if (n < 0) crash("poll");
        if (n == 0) {
            S.want_scan = true;
            continue;
        }
        if ((p[0].revents | p[1].revents) & (POLLERR | POLLNVAL)) {
            errno = EIO;
            crash("check internal descriptors");
        }
        if (p[0].revents & POLLIN) {
            for (int sig; (sig = sigs.next());) {
                if (sig < 0) crash("read signals");
                handle_signal(sig);
            }
        }
        if (p[1].revents & POLLIN) handle_control();
    }
}
