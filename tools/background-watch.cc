// background-watch: supervise a daemon that insists on forking. As a child subreaper it spawns
// PROG, waits for it to exit 0, reads the daemon's pid from PIDFILE, optionally writes "\n" on
// a notification fd, then forwards every signal it gets to the daemon and exits with the
// daemon's code (128+signal if killed). s6-background-watch (s6 2.14+) compatible.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/proc.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <string_view>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "background-watch [ -t timeout ] [ -d notif ] pidfile prog...";

constexpr int exit_bad_pidfile = 104;
constexpr int exit_unsupported = 112;

constexpr std::array<keel::LongOpt, 2> long_opts{{
    {"timeout-ready", 't', true},
    {"notification-fd", 'd', true},
}};

struct Options {
    unsigned int timeout_ms = 0; // 0: wait for the parent forever
    int notif = -1;
};

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "t:d:", long_opts);
    while (int c = opts.next()) {
        switch (c) {
        case 't':
            if (!keel::scan_number(opts.arg(), o.timeout_ms)) keel::die_usage(usage);
            break;
        case 'd': {
            unsigned int fd = 0;
            if (!keel::scan_number(opts.arg(), fd) || fd > INT32_MAX) keel::die_usage(usage);
            o.notif = static_cast<int>(fd);
            break;
        }
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    if (o.notif >= 0) {
        if (o.notif < 3) keel::die(keel::exit_usage, "notification-fd cannot be 0, 1 or 2");
        // Checked now, and kept away from PROG.
        if (!keel::set_cloexec(o.notif, true))
            keel::die_sys(keel::exit_sys, "unable to check notification-fd");
    }
    return o;
}

// Waits for the next signal; -1 when deadline_ms (monotonic; < 0 for none) is reached first.
int next_signal(int sfd, long long deadline_ms)
{
    for (;;) {
        int timeout = -1;
        if (deadline_ms >= 0) {
            const long long left = deadline_ms - keel::mono_now_ms();
            if (left <= 0) return -1;
            timeout = left > 1000000 ? 1000000 : static_cast<int>(left);
        }
        pollfd p{sfd, POLLIN, 0};
        const int r = poll(&p, 1, timeout);
        if (r < 0 && errno != EINTR) keel::die_sys(keel::exit_sys, "unable to poll");
        if (r <= 0) continue;
        signalfd_siginfo si;
        const ssize_t n = keel::read_some(sfd, &si, sizeof si);
        if (n < 0 && errno == EAGAIN) continue;
        if (n != static_cast<ssize_t>(sizeof si))
            keel::die_sys(keel::exit_sys, "unable to read signalfd");
        return static_cast<int>(si.ssi_signo);
    }
}

// Until the parent exits 0; its failure becomes ours (and takes the stale pidfile with it).
void watch_parent(int sfd, pid_t parent, const char* pidfile, const char* name, unsigned int tmo)
{
    long long deadline = tmo ? keel::mono_now_ms() + tmo : -1;
    for (;;) {
        const int sig = next_signal(sfd, deadline);
        if (sig < 0) {
            keel::warn(name, " (parent) did not exit before timeout-ready, killing it");
            kill(parent, SIGKILL);
            deadline = -1;
            continue;
        }
        if (sig != SIGCHLD) {
            kill(parent, sig);
            continue;
        }
        int wstat;
        const pid_t r = keel::wait_pid(parent, wstat, WNOHANG);
        if (r < 0) keel::die_sys(keel::exit_sys, "unable to wait for ", name);
        if (r == 0) continue;
        if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 0) return;
        unlink(pidfile);
        if (WIFSIGNALED(wstat))
            keel::die(keel::wait_estatus(wstat), name, " (parent) crashed with signal ",
                      keel::fmt_number(WTERMSIG(wstat)));
        keel::die(keel::wait_estatus(wstat), name, " (parent) exited ",
                  keel::fmt_number(WEXITSTATUS(wstat)));
    }
}

// The first line of the pidfile: a positive decimal pid, blanks allowed after it.
pid_t read_pidfile(const char* pidfile, const char* name)
{
    keel::Fd fd = keel::open_file(pidfile, O_RDONLY | O_NONBLOCK);
    if (!fd) {
        if (errno == ENOENT)
            keel::die(exit_bad_pidfile, name, " (parent) exited but pidfile ", pidfile,
                      " does not exist");
        keel::die_sys(keel::exit_sys, "unable to open ", pidfile);
    }
    char buf[128];
    const ssize_t n = keel::read_full(fd.get(), buf, sizeof buf);
    if (n < 0) keel::die_sys(keel::exit_sys, "unable to read ", pidfile);
    std::string_view s(buf, static_cast<std::size_t>(n));
    if (const auto nl = s.find('\n'); nl != std::string_view::npos) s.remove_suffix(s.size() - nl);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    pid_t pid = 0;
    if (!keel::scan_number(s, pid) || pid <= 0)
        keel::die(exit_bad_pidfile, "pidfile ", pidfile, " does not contain a valid pid");
    return pid;
}

// Reaps every dead descendant; exits with the daemon's code if it is one of them.
void reap(pid_t daemon)
{
    for (;;) {
        int wstat;
        const pid_t r = keel::wait_pid(-1, wstat, WNOHANG);
        if (r == daemon) keel::exit_now(keel::wait_estatus(wstat));
        if (r == 0) return;
        // No child left, the daemon among them: it never was a descendant of ours.
        if (r < 0)
            keel::die_sys(keel::exit_sys, "unable to wait for daemon ", keel::fmt_number(daemon));
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "background-watch";
    const Options o = parse(argc, argv);
    const char* pidfile = argv[0];
    const char* name = argv[1];

    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    const keel::Fd sfd(signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd) keel::die_sys(keel::exit_sys, "unable to create signalfd");

    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        if (errno == EINVAL)
            keel::die(exit_unsupported,
                      "system does not meet the requirements to watch auto-backgrounding daemons");
        keel::die_sys(keel::exit_sys, "unable to prctl with PR_SET_CHILD_SUBREAPER");
    }

    const pid_t parent = keel::spawn(argv + 1);
    if (parent == keel::spawn_exec_failed)
        keel::die_sys(keel::exec_failure_code(errno), "unable to spawn ", name);
    if (parent < 0) keel::die_sys(keel::exit_sys, "unable to spawn ", name);

    watch_parent(sfd.get(), parent, pidfile, name, o.timeout_ms);
    const pid_t daemon = read_pidfile(pidfile, name);
    // A dead but unreaped descendant still answers: only a stranger's pid can fail here.
    if (kill(daemon, 0) < 0)
        keel::die_sys(keel::exit_sys, "unable to check daemon with a null signal");
    if (o.notif >= 0) {
        (void)keel::write_all(o.notif, "\n", 1);
        keel::close_fd(o.notif);
    }
    // The daemon may have died before its SIGCHLD could be told apart from the parent's.
    reap(daemon);
    for (;;) {
        const int sig = next_signal(sfd.get(), -1);
        if (sig == SIGCHLD)
            reap(daemon);
        else
            kill(daemon, sig);
    }
}
