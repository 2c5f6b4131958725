// init-runleveld: keel's runlevel daemon (the early service s6-linux-init-runleveld). Listens
// on a unix socket, serves one client at a time: receives its stdin/stdout/stderr, a runlevel
// and its environment (keel/runlevel.h), runs BASEDIR/scripts/runlevel RL with them, waits,
// and answers with the script's 4-byte wait status. It never dies because of a client.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/init.h"
#include "keel/loop.h"
#include "keel/notify.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/proc.h"
#include "keel/runlevel.h"
#include "keel/unixsock.h"

#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace rl = keel::runlevel;

constexpr std::string_view usage =
    "init-runleveld [ -d notif ] [ -c basedir ] [ -t timeout_ms ] socket";

// A client has this long to send its whole request.
constexpr std::int64_t request_ms = 10000;
// After the timeout, the script's process group gets SIGTERM, then SIGKILL this much later.
constexpr std::int64_t kill_grace_ms = 5000;
// A failing accept (EMFILE...) is retried after this pause rather than in a busy loop.
constexpr std::int64_t accept_retry_ms = 1000;
constexpr int backlog = 16;

struct State {
    const char* basedir = keel::init::default_basedir;
    std::int64_t timeout_ms = 3600000; // 0: none
    keel::PathBuf<PATH_MAX> script;
    keel::SignalFd sigs;
    bool leaving = false;
};

State S;
// One client's request: too large for the stack, reused for every client.
rl::Request req;

// Drains the signalfd; true if SIGCHLD came (the caller then tries to reap).
bool read_signals() noexcept
{
    bool child = false;
    for (int s; (s = S.sigs.next()) > 0;) {
        if (s == SIGCHLD) child = true;
        else S.leaving = true;
    }
    return child;
}

// In the child: the client's descriptors become 0, 1 and 2; a process group of its own, so
// that a timeout kills whatever the script started too.
bool child_setup(void*) noexcept
{
    for (int i = 0; i < 3; ++i)
        if (!keel::fd_copy(i, req.fds[i].get())) return false;
    return setpgid(0, 0) == 0;
}

// Waits for pid until deadline; 0 with wstat filled when it is reaped, -1 at the deadline.
int reap_until(pid_t pid, int& wstat, std::int64_t deadline) noexcept
{
    for (;;) {
        const pid_t r = keel::wait_pid(pid, wstat, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno == ECHILD) { // cannot happen unless someone reaped it for us
            wstat = 0;
            return 0;
        }
        std::array<pollfd, 1> p{{{S.sigs.fd(), POLLIN, 0}}};
        const int n = keel::poll_until(p, deadline);
        if (n == 0) return -1;
        if (n < 0) {
            keel::warn_sys("unable to poll");
            (void)keel::poll_until({}, keel::deadline_in(100)); // avoid a busy loop
            continue;
        }
        (void)read_signals();
    }
}

// Runs the script for the request in req and returns its wait status.
int run_script() noexcept
{
    char* argv[] = {const_cast<char*>(S.script.c_str()), req.runlevel, nullptr};
    const keel::SpawnOptions opts{
        .envp = req.envp, .setup = child_setup, .ctx = nullptr, .reset_ignored = true};
    const pid_t pid = keel::spawn(argv, opts);
    if (pid < 0) {
        const int e = errno;
        keel::warn_sys("unable to spawn ", S.script.view());
        const int code = pid == keel::spawn_exec_failed ? keel::exec_failure_code(e) : 111;
        return W_EXITCODE(code, 0);
    }
    int wstat = 0;
    const std::int64_t deadline =
        S.timeout_ms ? keel::deadline_in(S.timeout_ms) : keel::no_deadline;
    if (reap_until(pid, wstat, deadline) == 0) return wstat;
    keel::warn(S.script.view(), " ", req.runlevel, " timed out after ",
               keel::fmt_number(S.timeout_ms), " ms: killing it");
    kill(-pid, SIGTERM);
    kill(-pid, SIGCONT);
    if (reap_until(pid, wstat, keel::deadline_in(kill_grace_ms)) == 0) return wstat;
    kill(-pid, SIGKILL);
    (void)reap_until(pid, wstat, keel::no_deadline);
    return wstat;
}

void serve(int conn) noexcept
{
    const rl::RecvResult r =
        rl::recv_request(conn, req, keel::deadline_in(request_ms), S.sigs.fd());
    if (r == rl::RecvResult::interrupted) {
        (void)read_signals();
        return;
    }
    if (r != rl::RecvResult::ok) {
        if (r == rl::RecvResult::error) keel::warn_sys("dropping client: ", rl::describe(r));
        else keel::warn("dropping client: ", rl::describe(r));
        return;
    }
    const int wstat = run_script();
    for (keel::Fd& fd : req.fds) fd.reset();
    if (!rl::send_status(conn, wstat)) keel::warn_sys("unable to answer the client");
}

// Accepts and serves clients until SIGTERM or SIGINT.
void loop(int listener) noexcept
{
    std::int64_t retry = 0;
    while (!S.leaving) {
        std::array<pollfd, 2> p{{{S.sigs.fd(), POLLIN, 0}, {listener, POLLIN, 0}}};
        const bool paused = retry > keel::mono_now_ms();
        const int n =
            keel::poll_until({p.data(), paused ? 1u : 2u}, paused ? retry : keel::no_deadline);
        if (n < 0) {
            keel::warn_sys("unable to poll");
            retry = keel::deadline_in(accept_retry_ms);
            continue;
        }
        if (p[0].revents) (void)read_signals();
        if (S.leaving || paused || !p[1].revents) continue;
        const int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
            keel::warn_sys("unable to accept a client");
            retry = keel::deadline_in(accept_retry_ms);
            continue;
        }
        keel::Fd conn(c);
        serve(conn.get());
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "init-runleveld";
    keel::OptParser opts(argc, argv, "d:c:t:");
    int notif = -1;
    for (int o; (o = opts.next());) {
        switch (o) {
        case 'd': notif = keel::xfd_arg(opts.arg(), usage, "notification fd"); break;
        case 'c': S.basedir = opts.arg(); break;
        case 't': {
            std::uint32_t t = 0;
            if (!keel::scan_number(std::string_view(opts.arg()), t)) keel::die_usage(usage);
            S.timeout_ms = t;
            break;
        }
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() != 1) keel::die_usage(usage);
    const char* path = argv[opts.index()];
    if (S.basedir[0] != '/') keel::die(keel::exit_usage, "basedir must be an absolute path");
    if (!S.script.set(S.basedir, "/scripts/runlevel"))
        keel::die_sys(keel::exit_usage, "invalid basedir ", S.basedir);

    if (!keel::open_std())
        keel::die_sys(keel::exit_sys, "unable to sanitize standard descriptors");
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        keel::die_sys(keel::exit_sys, "unable to ignore SIGPIPE");
    constexpr std::array<int, 3> trapped{SIGCHLD, SIGTERM, SIGINT};
    if (!S.sigs.open(trapped)) keel::die_sys(keel::exit_sys, "unable to trap signals");
    keel::Fd listener = keel::unix_listen(path, backlog, 0700);
    if (!listener) {
        if (errno == EEXIST) keel::die(keel::exit_sys, path, " exists and is not a socket");
        keel::die_sys(keel::exit_sys, "unable to listen on ", path);
    }
    const keel::SockFile mine = keel::sock_file(path);
    if (notif >= 0) (void)keel::notify_ready(notif);

    loop(listener.get());

    keel::unlink_if_same(path, mine); // unless another server has replaced it
    return 0;
}
