// supervise: watch over one service, forever. Runs DIR/run (and DIR/finish after each death),
// restarts it, obeys the bytes written to DIR/supervise/control, keeps DIR/supervise/status
// and death_tally up to date and announces every change in the DIR/event fifodir.
// s6-supervise compatible on disk: s6-svc, s6-svstat and s6-svwait drive and read it.
// One poll loop (signalfd, control FIFO, readiness pipe, one deadline) around an explicit
// state x event table; after start-up it allocates nothing and never exits on an error.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/fifodir.h"
#include "keel/lock.h"
#include "keel/loop.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/proc.h"
#include "keel/sig.h"
#include "keel/str.h"
#include "keel/svcontrol.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sched.h>
#include <string_view>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace {

constexpr std::string_view usage = "supervise servicedir";

constexpr char service_lock[] = "supervise/service-lock";
constexpr std::int64_t retry_ms = 60000;   // after a failed start
constexpr std::int64_t rekill_ms = 5000;   // SIGKILL again while the process lingers
constexpr std::int64_t throttle_ms = 1000; // between a start and the next automatic one
constexpr unsigned default_finish_ms = 5000;
constexpr int permanent_failure = 125; // finish's exit code that stops the restarts

// DOWN: no process. UP: run is alive. FINISH: finish is alive. The LAST variants are the
// same, but supervise exits as soon as the service is down.
enum class State : std::uint8_t { down, up, finish, lastup, lastfinish, count };

enum class Ev : std::uint8_t {
    timeout, died, sigterm, sighup, sigquit, sigint, ready,
    kill,                              // a b q h k t i 1 2 y: the signal is in Sv::sig
    pause, cont,                       // p c
    pause_group, cont_group, kill_group, // P C K
    restart, reload,                   // r l
    once, down, up, down_file, up_file, exit, want_down, down_quiet, // o d u D U x O Q
    count
};

// The control commands, in keel::sv::Cmd's order from Ev::kill on.
constexpr Ev control_event(keel::sv::Cmd c)
{
    return static_cast<Ev>(static_cast<unsigned>(Ev::kill) + static_cast<unsigned>(c)
                           - static_cast<unsigned>(keel::sv::Cmd::kill));
}
static_assert(control_event(keel::sv::Cmd::pause) == Ev::pause);
static_assert(control_event(keel::sv::Cmd::kill_group) == Ev::kill_group);
static_assert(control_event(keel::sv::Cmd::restart) == Ev::restart);
static_assert(control_event(keel::sv::Cmd::down_quiet) == Ev::down_quiet);
static_assert(static_cast<unsigned>(Ev::down_quiet) + 1 == static_cast<unsigned>(Ev::count));

constexpr std::array<int, 5> trapped{SIGCHLD, SIGTERM, SIGHUP, SIGQUIT, SIGINT};

// The whole state of the supervisor.
struct Sv {
    State state = State::down;
    keel::sv::Status status{};
    pid_t pid = 0;                          // run or finish; 0 when down
    std::int64_t deadline = keel::no_deadline;
    std::int64_t ready_restart = 0;         // when ready: the earliest restart (ready + 1 s)
    keel::Fd notify;                        // the readiness pipe while run is up
    int event_dir = -1;
    int sv_dir = -1;                        // supervise/, where status and death_tally live
    int wstat = 0;                          // the death Ev::died is about
    int sig = 0;                            // the signal of Ev::kill
    bool running = true;                    // false: leave the loop and exit
    bool dying = false;                     // timeout-kill armed
    bool std_closed = false;                // stdin and stdout moved to /dev/null
    char* name = nullptr;                   // the argument: ./run NAME
    unsigned long maxfd = 0;                // RLIMIT_NOFILE: fds must be below
};

// --- Service directory files --------------------------------------------------------------

// The first line of a small file into buf. False if it is absent (or unreadable: warning).
bool read_small(const char* file, std::span<char> buf, std::string_view& out)
{
    keel::Fd fd = keel::open_file(file, O_RDONLY | O_NONBLOCK);
    if (!fd) {
        if (errno != ENOENT) keel::warn_sys("unable to open ", file);
        return false;
    }
    const ssize_t n = keel::read_full(fd.get(), buf.data(), buf.size());
    if (n < 0) {
        keel::warn_sys("unable to read ", file);
        return false;
    }
    out = std::string_view(buf.data(), static_cast<std::size_t>(n));
    if (const auto nl = out.find('\n'); nl != std::string_view::npos) out = keel::head(out, nl);
    return true;
}

std::optional<unsigned> read_uint(const char* file)
{
    char buf[20];
    std::string_view s;
    if (!read_small(file, buf, s)) return std::nullopt;
    unsigned v = 0;
    if (!keel::scan_number(s, v)) {
        keel::warn("invalid ", file);
        return std::nullopt;
    }
    return v;
}

// A descriptor number for the child: nonzero and below RLIMIT_NOFILE. -1 if absent/invalid.
int read_fd_number(const Sv& sv, const char* file)
{
    const auto v = read_uint(file);
    if (!v) return -1;
    if (*v == 0 || *v >= sv.maxfd || *v > INT_MAX) {
        keel::warn("invalid ", file);
        return -1;
    }
    return static_cast<int>(*v);
}

int read_signal(const char* file, int dflt)
{
    char buf[16];
    std::string_view s;
    if (!read_small(file, buf, s)) return dflt;
    const int sig = keel::sig_number(s);
    if (!sig) {
        keel::warn("invalid ", file);
        return dflt;
    }
    return sig;
}

bool exists(const char* file)
{
    return access(file, F_OK) == 0;
}

void add_down()
{
    keel::Fd fd = keel::open_file("down", O_WRONLY | O_CREAT | O_NONBLOCK, 0644);
    if (!fd) keel::warn_sys("unable to create ./down file");
}

void del_down()
{
    if (unlink("down") < 0 && errno != ENOENT) keel::warn_sys("unable to unlink ./down file");
}

// --- Children -----------------------------------------------------------------------------

struct Child {
    char* const* argv; // argv[0] is the path
    int notif_from = -1, notif_to = -1; // readiness pipe, placed on notification-fd
    int lock_from = -1, lock_to = -1;   // supervise/service-lock, locked on lock-fd
    bool newpidns = false;
};

// Where a child that fails before its exec leaves its errno: after vfork, in the parent's
// memory; after fork, in a close-on-exec pipe the parent reads (EOF means the exec worked).
struct Report {
    volatile int* shared = nullptr;
    int fd = -1;
};

[[noreturn]] void child_fail(const Report& r, int e) noexcept
{
    if (r.shared) *r.shared = e;
    else if (r.fd >= 0) (void)keel::write_all(r.fd, &e, sizeof e);
    _exit(keel::exec_failure_code(e));
}

// Between fork and exec: only async-signal-safe calls, and nothing that touches memory the
// parent uses (after vfork we run on its memory until the exec).
[[noreturn]] void child_exec(const Child& c, Report rep) noexcept
{
    int& report = rep.fd;
    // First lift every descriptor we need above every target, so no dup2 clobbers another,
    // and keep one copy of each: the report pipe must reach EOF when we close it, and a POSIX
    // lock dies with the first close of any descriptor of its file (close-on-exec included).
    const int top = c.notif_to > c.lock_to ? c.notif_to : c.lock_to;
    int notif = c.notif_from, lock = c.lock_from;
    for (int* fd : {&report, &notif, &lock}) {
        if (*fd < 0 || *fd > top) continue;
        const int moved = fcntl(*fd, F_DUPFD_CLOEXEC, top + 1);
        if (moved < 0) child_fail(rep, errno);
        if (*fd != c.notif_to && *fd != c.lock_to) close(*fd); // else dup2 replaces it
        *fd = moved;
    }
    if (notif >= 0 && !keel::fd_copy(c.notif_to, notif)) child_fail(rep, errno);
    if (lock >= 0) {
        if (!keel::fd_copy(c.lock_to, lock)) child_fail(rep, errno);
        close(lock);
    }
    setsid();
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (lock >= 0 && !keel::lock_fd(c.lock_to, keel::LockKind::Exclusive, keel::lock_no_wait)) {
        if (errno != EBUSY) child_fail(rep, errno);
        // Another instance holds it: we will block, so release the parent first.
        close(report);
        report = -1;
        if (!keel::lock_fd(c.lock_to, keel::LockKind::Exclusive, keel::lock_forever))
            _exit(keel::exit_sys);
    }
    execve(c.argv[0], c.argv, environ);
    child_fail(rep, errno);
}

// Starts a child in a new session. Returns its pid once it has exec'd (or is blocked on its
// lock), or -1 with errno (the child's, if it failed before its exec).
pid_t spawn_child(const Child& c)
{
    // vfork: no page tables to copy, and we sleep until the exec anyway. Not when the child
    // may block on its lock (we must not sleep with it), nor for a new pid namespace.
    if (!c.newpidns && c.lock_from < 0) {
        volatile int e = 0;
        const pid_t pid = vfork();
        if (pid < 0) return -1;
        if (pid == 0) child_exec(c, Report{.shared = &e});
        if (!e) return pid;
        int wstat;
        (void)keel::wait_pid(pid, wstat);
        errno = e;
        return -1;
    }
    keel::Fd rd, wr;
    if (!keel::make_pipe(rd, wr)) return -1;
    // A bare clone behaves like fork (no new stack: the child runs on a copy of ours); zero
    // arguments make the arch-specific argument order irrelevant.
    const pid_t pid = c.newpidns
        ? static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0))
        : fork();
    if (pid < 0) return -1;
    if (pid == 0) child_exec(c, Report{.fd = wr.get()});
    wr.reset();
    int e = 0;
    const ssize_t n = keel::read_full(rd.get(), &e, sizeof e);
    if (n == 0) return pid;
    if (n < 0) e = errno;
    else if (n != sizeof e) e = EPROTO;
    kill(pid, SIGKILL);
    int wstat;
    (void)keel::wait_pid(pid, wstat);
    errno = e;
    return -1;
}

// --- Announcements ------------------------------------------------------------------------

void announce(const Sv& sv)
{
    if (!keel::sv::status_write_at(sv.sv_dir, sv.status))
        keel::warn_sys("unable to write status file");
}

void send(const Sv& sv, std::string_view events)
{
    // As s6: a listener that cannot be reached is its own problem.
    (void)keel::ftrig::notify_at(sv.event_dir, events);
}

// --- Actions ------------------------------------------------------------------------------

using Action = void (*)(Sv&);

void nop(Sv&) {}
void bail(Sv& sv) { sv.running = false; }

template <class... A>
void retry_later(Sv& sv, const A&... what)
{
    keel::warn_sys(what..., " (waiting 60 seconds)");
    sv.deadline = keel::deadline_in(retry_ms);
}

void try_start(Sv& sv)
{
    const int lock_to = read_fd_number(sv, "lock-fd");
    const int notif_to = read_fd_number(sv, "notification-fd");
    if (lock_to >= 0 && lock_to == notif_to) {
        keel::warn("unable to start service: notification-fd and lock-fd are the same");
        sv.deadline = keel::no_deadline;
        return;
    }
    keel::Fd lock, notif_r, notif_w;
    if (lock_to >= 0) {
        lock = keel::open_file(service_lock, O_WRONLY | O_CREAT | O_NONBLOCK, 0644);
        if (!lock) return retry_later(sv, "unable to open ", service_lock, " for writing");
        struct stat st;
        if (fstat(lock.get(), &st) < 0) return retry_later(sv, "unable to stat ", service_lock);
        if (st.st_size) {
            if (ftruncate(lock.get(), 0) < 0) keel::warn_sys("unable to truncate ", service_lock);
            keel::warn("a previous instance of the service wrote to the lock file!");
        }
        const pid_t holder = keel::lock_holder(lock.get(), keel::LockKind::Exclusive);
        if (holder < 0) return retry_later(sv, "unable to read lock state on ", service_lock);
        if (holder > 0)
            keel::warn("another instance of the service is already running, child will block");
    }
    if (notif_to >= 0 &&
        (!keel::make_pipe(notif_r, notif_w) || !keel::set_nonblock(notif_r.get(), true)))
        return retry_later(sv, "unable to create notification pipe");

    char run[] = "./run";
    char* const argv[] = {run, sv.name, nullptr};
    const Child c{.argv = argv, .notif_from = notif_w.get(), .notif_to = notif_to,
                  .lock_from = lock.get(), .lock_to = lock_to, .newpidns = exists("flag-newpidns")};
    const pid_t pid = spawn_child(c);
    if (pid < 0) return retry_later(sv, "unable to spawn ./run");

    sv.state = State::up;
    sv.pid = pid;
    sv.notify = std::move(notif_r);
    sv.deadline = keel::no_deadline;
    sv.ready_restart = 0;
    sv.status.pid = static_cast<std::uint64_t>(pid);
    sv.status.ready = false;
    sv.status.paused = false; // also ends the "not started yet" mark
    sv.status.stamp = keel::tai_now();
    announce(sv);
    send(sv, "u");
}

// Down and ready to restart: after the throttle delay, or from readiness + 1 s.
void down_and_ready(Sv& sv, std::string_view events)
{
    sv.state = State::down;
    sv.pid = 0;
    sv.status.pid = 0;
    sv.status.finishing = false;
    sv.status.ready = true;
    sv.status.readystamp = keel::tai_now();
    sv.deadline = sv.ready_restart ? sv.ready_restart : keel::deadline_in(throttle_ms);
    announce(sv);
    send(sv, events);
}

void record_death(const Sv& sv)
{
    unsigned max = read_uint("max-death-tally").value_or(keel::sv::default_death_tally);
    if (max > keel::sv::max_death_tally_limit) max = keel::sv::max_death_tally_limit;
    if (!max) return;
    const auto death = keel::sv::death_from_wstat(sv.wstat, sv.status.stamp);
    if (!keel::sv::tally_append_at(sv.sv_dir, death, max))
        keel::warn_sys("unable to write supervise/death_tally");
}

// A NUL-terminated decimal number in a NumText.
char* c_number(keel::NumText& t)
{
    t.buf[t.len] = 0;
    return t.buf;
}

// run died: record it and start finish. False if finish did not start (down and ready now).
bool run_died(Sv& sv)
{
    const pid_t dead = sv.pid;
    sv.notify.reset();
    sv.dying = false;
    sv.status.wstat = static_cast<std::uint16_t>(sv.wstat);
    sv.status.paused = false;
    sv.status.ready = false;
    sv.status.stamp = keel::tai_now();
    record_death(sv);

    keel::NumText code = keel::fmt_number(WIFSIGNALED(sv.wstat) ? 256 : WEXITSTATUS(sv.wstat));
    keel::NumText sig = keel::fmt_number(WTERMSIG(sv.wstat));
    keel::NumText pgid = keel::fmt_number(dead);
    char finish[] = "./finish";
    char* const argv[] = {finish, c_number(code), c_number(sig), sv.name, c_number(pgid), nullptr};
    // Most services have no finish: do not create a process only to learn that.
    const bool none = access(finish, F_OK) < 0 && errno == ENOENT;
    const pid_t pid = none ? -1 : spawn_child(Child{.argv = argv});
    if (pid < 0) {
        if (errno != ENOENT) keel::warn_sys("unable to spawn ./finish");
        down_and_ready(sv, "dD");
        return false;
    }
    sv.pid = pid;
    sv.status.pid = static_cast<std::uint64_t>(pid);
    sv.status.finishing = true;
    const unsigned ms = read_uint("timeout-finish").value_or(default_finish_ms);
    sv.deadline = ms ? keel::deadline_in(ms) : keel::no_deadline;
    announce(sv);
    send(sv, "d");
    return true;
}

void up_died(Sv& sv)
{
    if (run_died(sv)) sv.state = State::finish;
}

void lastup_died(Sv& sv)
{
    if (run_died(sv)) sv.state = State::lastfinish;
    else bail(sv); // down already: dD was sent
}

void finish_died(Sv& sv)
{
    if (WIFEXITED(sv.wstat) && WEXITSTATUS(sv.wstat) == permanent_failure) {
        sv.status.wantup = false;
        down_and_ready(sv, "OD");
    } else {
        down_and_ready(sv, "D");
    }
}

void lastfinish_died(Sv& sv) { finish_died(sv); bail(sv); }

void down_timeout(Sv& sv)
{
    if (sv.status.wantup) try_start(sv);
    else sv.deadline = keel::no_deadline;
}

// timeout-kill: the service outlived its down-signal.
void up_timeout(Sv& sv)
{
    if (!sv.dying) {
        sv.deadline = keel::no_deadline;
        return;
    }
    if (exists("flag-timeout-killpg")) killpg(sv.pid, SIGKILL);
    else kill(sv.pid, SIGKILL);
    kill(sv.pid, SIGCONT);
    sv.deadline = keel::deadline_in(rekill_ms);
}

void finish_timeout(Sv& sv)
{
    keel::warn("finish script lifetime reached maximum value - sending it a SIGKILL");
    kill(sv.pid, SIGCONT);
    kill(sv.pid, SIGKILL);
    sv.deadline = keel::deadline_in(rekill_ms);
}

void up_ready(Sv& sv)
{
    sv.ready_restart = keel::deadline_in(throttle_ms);
    sv.status.ready = true;
    sv.status.readystamp = keel::tai_now();
    announce(sv);
    send(sv, "U");
}

void set_wantup(Sv& sv, bool up)
{
    sv.status.wantup = up;
    announce(sv);
}

void want_down(Sv& sv) { set_wantup(sv, false); }
void want_up(Sv& sv) { set_wantup(sv, true); }
void want_down_file(Sv& sv) { add_down(); want_down(sv); }
void want_up_file(Sv& sv) { del_down(); want_up(sv); }
void down_once(Sv& sv) { want_down(sv); try_start(sv); }
void down_up(Sv& sv) { want_up(sv); try_start(sv); }
void down_up_file(Sv& sv) { del_down(); down_up(sv); }

void set_paused(Sv& sv, bool group, int sig, bool paused)
{
    if (group) killpg(sv.pid, sig);
    else kill(sv.pid, sig);
    sv.status.paused = paused;
    announce(sv);
}

void pause_pid(Sv& sv) { set_paused(sv, false, SIGSTOP, true); }
void cont_pid(Sv& sv) { set_paused(sv, false, SIGCONT, false); }
void pause_pgrp(Sv& sv) { set_paused(sv, true, SIGSTOP, true); }
void cont_pgrp(Sv& sv) { set_paused(sv, true, SIGCONT, false); }
void kill_pgrp(Sv& sv) { killpg(sv.pid, SIGKILL); }
void kill_sig(Sv& sv) { kill(sv.pid, sv.sig); }
void restart(Sv& sv) { kill(sv.pid, read_signal("down-signal", SIGTERM)); }
void reload(Sv& sv) { kill(sv.pid, read_signal("reload-signal", SIGHUP)); }

// d: the down-signal, then SIGCONT so a stopped service can act on it; arm timeout-kill.
void up_down(Sv& sv)
{
    sv.status.wantup = false;
    kill(sv.pid, read_signal("down-signal", SIGTERM));
    cont_pid(sv);
    const unsigned ms = read_uint("timeout-kill").value_or(0);
    sv.dying = ms != 0;
    sv.deadline = ms ? keel::deadline_in(ms) : keel::no_deadline;
}

void up_down_file(Sv& sv) { add_down(); up_down(sv); }

// Once exiting, stdin and stdout go to /dev/null, so the last finish (and a logger reading
// our stdout) sees them closed.
void close_std(Sv& sv)
{
    if (sv.std_closed) return;
    sv.std_closed = true;
    for (const auto& [fd, mode] : {std::pair{0, O_RDONLY}, std::pair{1, O_WRONLY}}) {
        keel::Fd null = keel::open_file("/dev/null", mode);
        if (!null || !keel::fd_copy(fd, null.get()))
            keel::warn_sys("unable to open /dev/null for ", fd ? "writing" : "reading");
    }
}

void up_exit(Sv& sv) { sv.state = State::lastup; close_std(sv); }
void up_term(Sv& sv) { up_exit(sv); up_down(sv); }
void finish_exit(Sv& sv) { sv.state = State::lastfinish; close_std(sv); }

void interrupt(Sv& sv)
{
    const pid_t pgid = getpgid(sv.pid);
    if (pgid < 0) keel::warn_sys("unable to getpgid");
    else killpg(pgid, SIGINT);
    bail(sv);
}

constexpr std::size_t n_events = static_cast<std::size_t>(Ev::count);

// actions[state][event], columns in the order of Ev:
//   timeout died TERM HUP QUIT INT ready | kill p c P C K r l | o d u D U x O Q
constexpr Action actions[static_cast<std::size_t>(State::count)][n_events] = {
    // down
    {down_timeout, nop, bail, bail, bail, bail, nop,
     nop, nop, nop, nop, nop, nop, nop, nop,
     down_once, want_down, down_up, want_down_file, down_up_file, bail, want_down, want_down_file},
    // up
    {up_timeout, up_died, up_term, up_exit, bail, interrupt, up_ready,
     kill_sig, pause_pid, cont_pid, pause_pgrp, cont_pgrp, kill_pgrp, restart, reload,
     want_down, up_down, want_up, up_down_file, want_up_file, up_exit, want_down, want_down_file},
    // finish
    {finish_timeout, finish_died, finish_exit, finish_exit, bail, interrupt, nop,
     nop, nop, nop, nop, nop, nop, nop, nop,
     want_down, want_down, want_up, want_down_file, want_up_file, finish_exit, want_down,
     want_down_file},
    // lastup
    {up_timeout, lastup_died, up_down, close_std, bail, interrupt, up_ready,
     kill_sig, pause_pid, cont_pid, pause_pgrp, cont_pgrp, kill_pgrp, restart, reload,
     want_down, up_down, want_up, up_down_file, want_up_file, close_std, want_down,
     want_down_file},
    // lastfinish
    {finish_timeout, lastfinish_died, nop, close_std, bail, interrupt, nop,
     nop, nop, nop, nop, nop, nop, nop, nop,
     want_down, want_down, want_up, want_down_file, want_up_file, close_std, want_down,
     want_down_file},
};

void dispatch(Sv& sv, Ev e)
{
    actions[static_cast<std::size_t>(sv.state)][static_cast<std::size_t>(e)](sv);
}

// --- The loop -----------------------------------------------------------------------------

// One read per turn, so a writer that never stops cannot starve the other events.
void handle_notify(Sv& sv)
{
    char buf[512];
    const ssize_t n = keel::read_some(sv.notify.get(), buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) return;
    if (n > 0 && !std::memchr(buf, '\n', static_cast<std::size_t>(n))) return;
    if (n > 0) dispatch(sv, Ev::ready);
    sv.notify.reset(); // a newline, EOF or an error: either way, done with it
}

void reap(Sv& sv)
{
    for (;;) {
        int wstat;
        const pid_t r = keel::wait_pid(-1, wstat, WNOHANG);
        if (r <= 0) return;
        if (r != sv.pid) continue;
        sv.wstat = wstat;
        dispatch(sv, Ev::died);
        if (!sv.running) return;
    }
}

void handle_signals(Sv& sv, keel::SignalFd& sigs)
{
    while (sv.running) {
        const int s = sigs.next();
        if (s < 0) keel::warn_sys("unable to read signals");
        if (s <= 0) return;
        switch (s) {
        case SIGCHLD: reap(sv); break;
        case SIGTERM: dispatch(sv, Ev::sigterm); break;
        case SIGHUP: dispatch(sv, Ev::sighup); break;
        case SIGQUIT: dispatch(sv, Ev::sigquit); break;
        case SIGINT: dispatch(sv, Ev::sigint); break;
        default: break;
        }
    }
}

void handle_control(Sv& sv, int fd)
{
    char buf[64];
    const ssize_t n = keel::read_some(fd, buf, sizeof buf);
    if (n < 0) {
        if (errno != EAGAIN) keel::warn_sys("unable to read supervise/control");
        return;
    }
    for (ssize_t i = 0; i < n && sv.running; ++i) {
        const keel::sv::Control c = keel::sv::control_decode(buf[i]);
        if (c.cmd == keel::sv::Cmd::none) continue;
        sv.sig = c.sig;
        dispatch(sv, control_event(c.cmd));
    }
}

// --- Start-up -----------------------------------------------------------------------------

// A dangling symlink: mkdir its target. Out of line, so its buffer costs stack only here.
[[gnu::noinline]] bool make_link_target(const char* path, mode_t mode)
{
    char target[PATH_MAX];
    const ssize_t n = readlink(path, target, sizeof target);
    if (n < 0) keel::die_sys(keel::exit_sys, "unable to readlink ", path);
    if (static_cast<std::size_t>(n) == sizeof target) {
        errno = ENAMETOOLONG;
        keel::die_sys(keel::exit_sys, "unable to readlink ", path);
    }
    target[n] = 0;
    if (mkdir(target, mode) < 0) keel::die_sys(keel::exit_sys, "unable to mkdir ", target);
    return true;
}

// mkdir path; for a dangling symlink, mkdir its target. True if created, false if it already
// was a directory. Dies otherwise.
bool make_dir(const char* path, mode_t mode)
{
    if (mkdir(path, mode) == 0) return true;
    if (errno != EEXIST) keel::die_sys(keel::exit_sys, "unable to mkdir ", path);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            keel::die(keel::exit_usage, path, " exists and is not a directory");
        return false;
    }
    if (errno != ENOENT) keel::die_sys(keel::exit_sys, "unable to stat ", path);
    return make_link_target(path, mode);
}

// event/, supervise/, the lock and the control FIFO, as s6-supervise makes them. Returns the
// control FIFO's read end; its write end stays open (never EOF) for the process lifetime.
int control_init()
{
    const mode_t old = umask(0);
    if (make_dir("event", keel::ftrig::restricted_mode)) {
        if (chown("event", static_cast<uid_t>(-1), getegid()) < 0)
            keel::die_sys(keel::exit_sys, "unable to chown event");
        if (chmod("event", keel::ftrig::restricted_mode) < 0)
            keel::die_sys(keel::exit_sys, "unable to chmod event");
    }
    make_dir("supervise", 0700);
    umask(old);
    keel::sv::ListenStep failed{};
    const int ctl = keel::sv::listen_control("supervise", 0644, failed);
    if (ctl >= 0) return ctl;
    if (failed == keel::sv::ListenStep::busy)
        keel::die(keel::exit_usage, "another instance of supervise is already running");
    if (failed == keel::sv::ListenStep::not_fifo)
        keel::die(keel::exit_usage, "supervise/control is not a FIFO");
    const keel::sv::ListenFailure f = keel::sv::listen_failure(failed);
    keel::die_sys(keel::exit_sys, "unable to ", f.verb, " supervise/", f.file);
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "supervise";
    keel::OptParser opts(argc, argv, "");
    if (opts.next()) keel::die_usage(usage);
    if (argc - opts.index() != 1) keel::die_usage(usage);
    Sv sv;
    sv.name = argv[opts.index()];
    if (chdir(sv.name) < 0) keel::die_sys(keel::exit_sys, "unable to chdir to ", sv.name);
    // "supervise DIR" prefixes every message from now on; chdir has bounded DIR by PATH_MAX.
    static constinit char prog[sizeof "supervise " + PATH_MAX]{};
    const std::size_t len = std::strlen(sv.name) < PATH_MAX ? std::strlen(sv.name) : PATH_MAX;
    std::memcpy(prog, "supervise ", 10);
    std::memcpy(prog + 10, sv.name, len);
    keel::prog = std::string_view(prog, 10 + len);

    // A closed stdin, stdout or stderr would be taken by the first file we open.
    if (!keel::open_std())
        keel::die_sys(keel::exit_sys, "unable to sanitize standard descriptors");
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) keel::die_sys(keel::exit_sys, "unable to getrlimit");
    sv.maxfd = rl.rlim_cur;
    const int ctl = control_init();

    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        keel::die_sys(keel::exit_sys, "unable to ignore SIGPIPE");
    keel::SignalFd sigs;
    if (!sigs.open(trapped)) keel::die_sys(keel::exit_sys, "unable to trap signals");

    keel::Fd svdir = keel::open_file("supervise", O_RDONLY | O_DIRECTORY);
    if (!svdir) keel::die_sys(keel::exit_sys, "unable to open supervise");
    sv.sv_dir = svdir.get();
    keel::Fd event = keel::open_file("event", O_RDONLY | O_DIRECTORY);
    if (!event) keel::die_sys(keel::exit_sys, "unable to open event");
    sv.event_dir = event.get();
    if (!keel::ftrig::clean_at(sv.event_dir)) keel::warn_sys("unable to clean event");
    if (!keel::open_file("supervise/death_tally", O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0644))
        keel::die_sys(keel::exit_sys, "unable to truncate supervise/death_tally");
    if (exists("down")) sv.status.wantup = false;
    else if (errno != ENOENT) keel::die_sys(keel::exit_sys, "unable to access ./down");
    else sv.status.wantup = true;

    // Down, ready, and paused: s6 2.13.2's mark of a service not started yet.
    sv.status.stamp = keel::tai_now();
    sv.status.readystamp = sv.status.stamp;
    sv.status.ready = true;
    sv.status.paused = true;
    announce(sv);
    send(sv, "s");
    sv.deadline = keel::mono_now_ms();

    while (sv.running) {
        std::array<pollfd, 3> p{{{sigs.fd(), POLLIN, 0}, {ctl, POLLIN, 0},
                                 {sv.notify.get(), POLLIN, 0}}};
        const int n = keel::poll_until(p, sv.deadline);
        if (n < 0) {
            keel::warn_sys("unable to poll");
            sleep(1);
            continue;
        }
        if (n == 0) {
            dispatch(sv, Ev::timeout);
            continue;
        }
        if (p[2].revents && sv.notify) handle_notify(sv);
        if (sv.running && p[0].revents) handle_signals(sv, sigs);
        if (sv.running && p[1].revents) handle_control(sv, ctl);
    }
    send(sv, "x");
    return 0;
}
