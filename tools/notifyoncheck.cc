// notifyoncheck: readiness by polling, for daemons that cannot notify it themselves. Run from a
// service's run script (cwd = the service dir); forks a child that subscribes to event/ for `d`
// (the service died), then execs into prog. The child runs ./data/check (or execlineb -Pc
// CHECK) until it exits 0, then writes a newline on the notification fd, which supervise reads.
// s6-notifyoncheck compatible: same options, messages and exit codes.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/fifodir.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/proc.h"
#include "keel/svcontrol.h"
#include "keel/tai.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <poll.h>
#include <string_view>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "notifyoncheck [ -d ] [ -3 fd ] [ -s initialsleep ] [ -T globaltimeout ] "
    "[ -t localtimeout ] [ -w waitingtime ] [ -n tries ] [ -c checkprog ] prog...";

// The child's exit codes, as s6's (nobody reads them: they only tell the cases apart).
constexpr int exit_ready = 0;
constexpr int exit_tries_exhausted = 1;
constexpr int exit_service_died = 2;
constexpr int exit_timed_out = 3;

constexpr std::int64_t no_deadline = -1;

struct Options {
    bool double_fork = false;      // -d
    int fd = -1;                   // -3; -1: read ./notification-fd
    unsigned int initial_ms = 10;  // -s
    unsigned int global_ms = 0;    // -T; 0: none
    unsigned int local_ms = 0;     // -t; 0: none
    unsigned int wait_ms = 1000;   // -w
    unsigned int tries = 7;        // -n; 0: unlimited
    const char* check = nullptr;   // -c
};

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "d3:s:T:t:w:n:c:");
    while (int c = opts.next()) {
        bool ok = true;
        switch (c) {
        case 'd': o.double_fork = true; break;
        case '3': {
            unsigned int fd = 0;
            ok = keel::scan_number(std::string_view(opts.arg()), fd) && fd <= INT_MAX;
            o.fd = static_cast<int>(fd);
            break;
        }
        case 's': ok = keel::scan_number(std::string_view(opts.arg()), o.initial_ms); break;
        case 'T': ok = keel::scan_number(std::string_view(opts.arg()), o.global_ms); break;
        case 't': ok = keel::scan_number(std::string_view(opts.arg()), o.local_ms); break;
        case 'w': ok = keel::scan_number(std::string_view(opts.arg()), o.wait_ms); break;
        case 'n': ok = keel::scan_number(std::string_view(opts.arg()), o.tries); break;
        case 'c': o.check = opts.arg(); break;
        default: ok = false;
        }
        if (!ok) keel::die_usage(usage);
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 1) keel::die_usage(usage);
    return o;
}

// The fd number in ./notification-fd: its first line, decimal digits only.
int read_notification_fd()
{
    keel::Fd f = keel::open_file("notification-fd", O_RDONLY | O_NONBLOCK);
    char buf[16];
    const ssize_t n = f ? keel::read_full(f.get(), buf, sizeof buf) : -1;
    if (n < 0) keel::die_sys(keel::exit_sys, "unable to read ./notification-fd");
    std::string_view s(buf, static_cast<std::size_t>(n));
    if (const auto nl = s.find('\n'); nl != std::string_view::npos) s.remove_suffix(s.size() - nl);
    unsigned int fd = 0;
    if (!keel::scan_number(s, fd) || fd > INT_MAX)
        keel::die(keel::exit_usage, "invalid ./notification-fd");
    return static_cast<int>(fd);
}

// The child's work, after it has subscribed to event/. Returns its exit code; never dies, so
// that the caller can remove its FIFO from event/ first.
class Checker {
public:
    Checker(const Options& o, keel::ftrig::Listener& ev, int sfd, std::int64_t deadline)
        : o_(o), ev_(ev), sfd_(sfd), deadline_(deadline)
    {}

    int run()
    {
        char check_path[] = "./data/check";
        char execlineb[] = "execlineb";
        char pc[] = "-Pc";
        char* argv_file[] = {check_path, nullptr};
        char* argv_exec[] = {execlineb, pc, const_cast<char*>(o_.check), nullptr};
        char* const* argv = o_.check ? argv_exec : argv_file;
        std::int64_t pause_ms = o_.initial_ms;
        for (unsigned int n = 0; o_.tries == 0 || n < o_.tries; ++n) {
            if (const int r = sleep(pause_ms); r >= 0) return r;
            pause_ms = o_.wait_ms;
            const pid_t pid = keel::spawn(argv);
            if (pid < 0) {
                keel::warn_sys("unable to spawn ", argv[0]);
                continue;
            }
            if (const int r = await(pid); r >= 0) return r;
        }
        return exit_tries_exhausted;
    }

private:
    // The earlier of now + ms (ms < 0: never) and the global deadline.
    std::int64_t deadline_in(std::int64_t ms) const
    {
        const std::int64_t d = ms < 0 ? no_deadline : keel::mono_now_ms() + ms;
        if (d == no_deadline) return deadline_;
        return deadline_ == no_deadline || d < deadline_ ? d : deadline_;
    }

    bool global_passed() const
    {
        return deadline_ != no_deadline && keel::mono_now_ms() >= deadline_;
    }

    // Polls fds until deadline: the number of ready fds, 0 at the deadline, -1 on error.
    static int wait_fds(pollfd* p, nfds_t n, std::int64_t deadline)
    {
        for (;;) {
            int timeout = -1;
            if (deadline != no_deadline) {
                const std::int64_t left = deadline - keel::mono_now_ms();
                if (left <= 0) return 0;
                timeout = left > INT_MAX ? INT_MAX : static_cast<int>(left);
            }
            const int r = poll(p, n, timeout);
            if (r > 0 || (r < 0 && errno != EINTR)) return r;
        }
    }

    // Reads the events; 1 if the service died, 0 if not, -1 on error.
    int died()
    {
        char buf[64];
        for (;;) {
            const ssize_t n = ev_.read(buf, sizeof buf);
            if (n < 0) {
                keel::warn_sys("unable to read from event fifodir");
                return -1;
            }
            if (n == 0) return 0;
            if (std::string_view(buf, static_cast<std::size_t>(n)).find('d') !=
                std::string_view::npos)
                return 1;
        }
    }

    // Waits ms, or less if the service dies or the global deadline comes first. -1 when the
    // time is over, else the exit code.
    int sleep(std::int64_t ms)
    {
        const std::int64_t deadline = deadline_in(ms);
        for (;;) {
            pollfd p{ev_.fd(), POLLIN, 0};
            const int r = wait_fds(&p, 1, deadline);
            if (r < 0) {
                keel::warn_sys("unable to poll");
                return keel::exit_sys;
            }
            if (r == 0) return global_passed() ? exit_timed_out : -1;
            if (const int d = died(); d != 0) return d > 0 ? exit_service_died : keel::exit_sys;
        }
    }

    // Waits for the check pid. -1 if it failed (and another try may follow), else the exit
    // code: ready, service died, timed out.
    int await(pid_t pid)
    {
        const std::int64_t deadline = deadline_in(o_.local_ms ? o_.local_ms : -1);
        for (;;) {
            pollfd p[2] = {{sfd_, POLLIN, 0}, {ev_.fd(), POLLIN, 0}};
            const int r = wait_fds(p, 2, deadline);
            if (r < 0) {
                keel::warn_sys("unable to poll");
                kill(pid, SIGTERM);
                return keel::exit_sys;
            }
            if (r == 0) {
                if (global_passed()) {
                    kill(pid, SIGTERM);
                    return exit_timed_out;
                }
                // This try took too long: it failed.
                kill(pid, SIGKILL);
                int wstat;
                (void)keel::wait_pid(pid, wstat);
                return -1;
            }
            if (p[0].revents) {
                signalfd_siginfo si;
                while (keel::read_some(sfd_, &si, sizeof si) > 0) {}
                int wstat;
                if (keel::wait_pid(pid, wstat, WNOHANG) == pid) {
                    if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) != 0) return -1;
                    (void)keel::write_all(o_.fd, "\n", 1);
                    return exit_ready;
                }
            }
            if (p[1].revents) {
                if (const int d = died(); d != 0) {
                    kill(pid, SIGTERM);
                    return d > 0 ? exit_service_died : keel::exit_sys;
                }
            }
        }
    }

    const Options& o_;
    keel::ftrig::Listener& ev_;
    int sfd_;
    std::int64_t deadline_; // monotonic ms, or no_deadline
};

// The child: subscribes to event/, tells the parent (which then execs prog), then checks.
[[noreturn]] void child(const Options& o, keel::Fd sync, std::int64_t deadline)
{
    keel::prog = "notifyoncheck (child)";
    // Neither the check nor anything it leaves behind may hold the notification pipe open.
    (void)keel::set_cloexec(o.fd, true);
    // An inherited SIG_IGN would make the kernel reap the checks without telling us.
    signal(SIGCHLD, SIG_DFL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
    const keel::Fd sfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd) keel::die_sys(keel::exit_sys, "unable to create signalfd");
    keel::ftrig::Listener ev;
    if (!ev.subscribe("event"))
        keel::die_sys(keel::exit_sys, "unable to subscribe to event fifodir");
    if (!keel::write_all(sync.get(), "", 1)) {
        ev.unsubscribe();
        keel::die_sys(exit_service_died, "unable to synchronize with parent");
    }
    sync.reset();
    const int code = Checker(o, ev, sfd.get(), deadline).run();
    ev.unsubscribe();
    keel::exit_now(code);
}

// fork(), or with -d a fork whose child forks again and exits, so that the grandchild is
// nobody's child but init's (prog need not reap it). 0 in the (grand)child, as fork().
pid_t fork_checker(bool double_fork)
{
    const pid_t pid = fork();
    if (pid < 0 || !double_fork) return pid;
    if (pid == 0) {
        const pid_t grandchild = fork();
        if (grandchild != 0) keel::exit_now(grandchild < 0 ? keel::exit_sys : 0);
        return 0;
    }
    int wstat;
    if (keel::wait_pid(pid, wstat) < 0) return -1;
    if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) != 0) {
        errno = EAGAIN; // the middle child could not fork
        return -1;
    }
    return pid;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "notifyoncheck";
    Options o = parse(argc, argv);

    const int sup = keel::sv::supervised(".");
    if (sup < 0) keel::die_sys(keel::exit_sys, "unable to sanity-check current service directory");
    if (!sup) keel::die(keel::exit_usage, "supervise not running.");
    if (o.fd < 0) o.fd = read_notification_fd();
    if (fcntl(o.fd, F_GETFD) < 0)
        keel::die_sys(keel::exit_sys, "notification-fd sanity check failed");
    const std::int64_t deadline = o.global_ms ? keel::mono_now_ms() + o.global_ms : no_deadline;

    keel::Fd rd, wr;
    if (!keel::make_pipe(rd, wr)) keel::die_sys(keel::exit_sys, "unable to create pipe");
    const pid_t pid = fork_checker(o.double_fork);
    if (pid < 0) keel::die_sys(keel::exit_sys, "unable to ", o.double_fork ? "doublefork" : "fork");
    if (pid == 0) {
        rd.reset();
        child(o, std::move(wr), deadline);
    }
    // prog never holds the notification fd: only the child may say the service is ready.
    keel::close_fd(o.fd);
    wr.reset();
    char c;
    if (keel::read_some(rd.get(), &c, 1) < 1)
        keel::die(keel::exit_sys, "unable to synchronize with child");
    rd.reset();
    keel::xexec(argv);
}
