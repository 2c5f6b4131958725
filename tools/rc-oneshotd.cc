// rc-oneshotd: the oneshot runner (the internal service s6rc-oneshot-runner). Listens on a unix
// socket; for each request ("krc1" protocol, keel/rconeshot.h) runs ONESHOTS/NAME/up|down|reload
// (NUL-terminated words) in a child with this daemon's own environment plus RC_NAME and RC_OP,
// and answers with the child's wait status when it ends. Serves many clients at once from a
// fixed table; never dies because of a client or a script.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/loop.h"
#include "keel/notify.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/proc.h"
#include "keel/rconeshot.h"
#include "keel/tai.h"
#include "keel/unixsock.h"

#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace ro = keel::rconeshot;

constexpr std::string_view usage = "rc-oneshotd [ -d notif ] [ -1 ] socket oneshots";

// Clients served at once (connected or with a script running); more wait in the backlog.
constexpr std::size_t max_clients = 128;
constexpr int backlog = 64;
// A client has this long to send its whole request.
constexpr std::int64_t request_ms = 10000;
// A failing accept (EMFILE...) is retried after this pause rather than in a busy loop.
constexpr std::int64_t accept_retry_ms = 1000;
// The largest script file and number of words: one buffer, used between read and exec.
constexpr std::size_t max_script = 128 * 1024;
constexpr std::size_t max_words = 8192;

struct Client {
    keel::Fd conn;     // invalid once the client has gone (its script may still run)
    pid_t pid = 0;     // > 0 while its script runs
    std::int64_t deadline = 0;
    std::size_t got = 0, need = 0;
    char req[ro::header_len + ro::max_name];

    [[nodiscard]] bool free() const noexcept { return !conn && pid == 0; }
    [[nodiscard]] std::string_view name() const noexcept
    {
        return {req + ro::header_len, need - ro::header_len};
    }
    [[nodiscard]] std::string_view op() const noexcept { return ro::op_name(req[4]); }
};

struct State {
    const char* oneshots = nullptr;
    keel::SignalFd sigs;
    keel::Fd devnull;
    bool leaving = false;
    char** envp = nullptr; // the environment, minus RC_NAME and RC_OP, plus the two below
    char rc_name[sizeof "RC_NAME=" + ro::max_name];
    char rc_op[sizeof "RC_OP=reload"];
    char script[max_script];
    char* argv[max_words + 1];
};

Client clients[max_clients];
State S;

// Builds S.envp once: the process's environment with our two variables in front.
bool make_env() noexcept
{
    std::size_t n = 0;
    while (environ[n]) ++n;
    S.envp = static_cast<char**>(std::malloc((n + 3) * sizeof(char*)));
    if (!S.envp) return false;
    std::size_t k = 0;
    S.envp[k++] = S.rc_name;
    S.envp[k++] = S.rc_op;
    for (std::size_t i = 0; i < n; ++i)
        if (std::strncmp(environ[i], "RC_NAME=", 8) && std::strncmp(environ[i], "RC_OP=", 6))
            S.envp[k++] = environ[i];
    S.envp[k] = nullptr;
    return true;
}

void reply(Client& c, char kind, std::uint32_t value) noexcept
{
    char buf[ro::reply_len];
    ro::put_reply(buf, kind, value);
    if (c.conn && !keel::send_all(c.conn.get(), buf, sizeof buf, MSG_DONTWAIT)
        && errno != EPIPE && errno != ECONNRESET)
        keel::warn_sys("unable to answer the client for ", c.name(), " ", c.op());
    c.conn.reset();
}

void drop(Client& c, std::string_view why, int err) noexcept
{
    keel::warn("dropping client: ", why);
    if (err) reply(c, ro::reply_error, static_cast<std::uint32_t>(err));
    c.conn.reset();
}

// In the child: stdin on /dev/null, a process group of its own (stdout and stderr are ours).
bool child_setup(void*) noexcept
{
    return keel::fd_copy(0, S.devnull.get()) && setpgid(0, 0) == 0;
}

// Loads ONESHOTS/NAME/OP into S.argv: 1 with words, 0 if there is nothing to run, -1 with
// errno (ENOENT: no such oneshot; EINVAL, E2BIG: a bad script file).
int load_script(const Client& c) noexcept
{
    keel::PathBuf<PATH_MAX> path;
    if (!path.set(S.oneshots, "/", c.name(), "/", c.op())) return -1;
    keel::Fd f = keel::open_read(path.c_str());
    if (!f) {
        if (errno != ENOENT) return -1;
        struct stat st;
        if (!path.set(S.oneshots, "/", c.name())) return -1;
        if (stat(path.c_str(), &st) < 0) return -1;
        if (!S_ISDIR(st.st_mode)) return errno = ENOENT, -1;
        return 0;
    }
    const ssize_t len = keel::read_full(f.get(), S.script, sizeof S.script);
    if (len < 0) return -1;
    if (static_cast<std::size_t>(len) == sizeof S.script) return errno = E2BIG, -1;
    if (len == 0) return 0;
    if (S.script[len - 1]) return errno = EINVAL, -1;
    std::size_t n = 0;
    for (char* p = S.script; p < S.script + len; p += std::strlen(p) + 1) {
        if (n == max_words) return errno = E2BIG, -1;
        S.argv[n++] = p;
    }
    S.argv[n] = nullptr;
    return 1;
}

// The request of c is complete and checked: start its script, or answer at once.
void run(Client& c) noexcept
{
    const int r = load_script(c);
    if (r <= 0) {
        if (r < 0) {
            keel::warn_sys("unable to run ", c.name(), " ", c.op());
            reply(c, ro::reply_error, static_cast<std::uint32_t>(errno));
        } else {
            reply(c, ro::reply_exited, 0);
        }
        return;
    }
    std::memcpy(S.rc_name, "RC_NAME=", 8);
    std::memcpy(S.rc_name + 8, c.name().data(), c.name().size());
    S.rc_name[8 + c.name().size()] = 0;
    std::memcpy(S.rc_op, "RC_OP=", 6);
    std::memcpy(S.rc_op + 6, c.op().data(), c.op().size() + 1); // op_name() views a literal
    const keel::SpawnOptions opts{
        .envp = S.envp, .setup = child_setup, .ctx = nullptr, .reset_ignored = true};
    const pid_t pid = keel::spawn(S.argv, opts);
    if (pid == keel::spawn_exec_failed) {
        const int e = errno;
        keel::warn_sys("unable to run ", c.name(), " ", c.op(), ": unable to exec ", S.argv[0]);
        const int wstat = W_EXITCODE(keel::exec_failure_code(e), 0);
        reply(c, ro::reply_exited, static_cast<std::uint32_t>(wstat));
    } else if (pid < 0) {
        keel::warn_sys("unable to run ", c.name(), " ", c.op(), ": unable to spawn");
        reply(c, ro::reply_error, static_cast<std::uint32_t>(errno));
    } else {
        c.pid = pid;
    }
}

// c's socket is readable: more of its request, or (while its script runs) its going away.
void on_readable(Client& c) noexcept
{
    if (c.pid) {
        char junk[256];
        const ssize_t r = keel::read_some(c.conn.get(), junk, sizeof junk);
        if (r == 0 || (r < 0 && errno != EAGAIN)) c.conn.reset(); // the script runs on
        return;
    }
    const ssize_t r = keel::read_some(c.conn.get(), c.req + c.got, c.need - c.got);
    if (r < 0) {
        if (errno != EAGAIN) drop(c, "unable to read its request", 0);
        return;
    }
    if (r == 0) return drop(c, "incomplete request", EPROTO);
    c.got += static_cast<std::size_t>(r);
    if (c.got < c.need) return;
    if (c.need == ro::header_len) {
        std::uint32_t len;
        switch (ro::check_header(c.req, len)) {
        case ro::HeaderCheck::ok: break;
        case ro::HeaderCheck::malformed: return drop(c, "malformed request", EPROTO);
        case ro::HeaderCheck::bad_name: return drop(c, "invalid oneshot name", EINVAL);
        }
        c.need += len;
        return;
    }
    if (!ro::valid_name(c.name())) return drop(c, "invalid oneshot name", EINVAL);
    run(c);
}

// Reaps every child that has ended and answers its client, if still there.
void reap() noexcept
{
    for (;;) {
        int wstat;
        const pid_t pid = keel::wait_pid(-1, wstat, WNOHANG);
        if (pid <= 0) return;
        for (Client& c : clients) {
            if (c.pid != pid) continue;
            c.pid = 0;
            reply(c, ro::reply_exited, static_cast<std::uint32_t>(wstat));
            break;
        }
    }
}

void read_signals() noexcept
{
    for (int s; (s = S.sigs.next()) > 0;) {
        if (s == SIGCHLD) reap();
        else S.leaving = true;
    }
}

// Takes a new client into a free slot; false if there was none to accept.
bool accept_client(int listener, std::int64_t& retry) noexcept
{
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) return false;
        keel::warn_sys("unable to accept a client");
        retry = keel::deadline_in(accept_retry_ms);
        return false;
    }
    for (Client& c : clients) {
        if (!c.free()) continue;
        c.conn.reset(fd);
        c.got = 0;
        c.need = ro::header_len;
        c.deadline = keel::deadline_in(request_ms);
        return true;
    }
    keel::close_fd(fd); // not reached: the listener is only polled with a free slot
    return false;
}

// Serves until SIGTERM or SIGINT (with once: until the first client is done).
void loop(keel::Fd& listener, bool once) noexcept
{
    std::int64_t retry = 0;
    std::array<pollfd, 2 + max_clients> p;
    std::array<Client*, max_clients> polled;
    while (!S.leaving) {
        std::size_t n = 0, busy = 0;
        std::int64_t deadline = keel::no_deadline;
        p[n++] = {S.sigs.fd(), POLLIN, 0};
        for (Client& c : clients) {
            if (c.free()) continue;
            ++busy;
            if (!c.conn) continue;
            if (!c.pid) deadline = keel::earliest(deadline, c.deadline);
            polled[n - 1] = &c;
            p[n++] = {c.conn.get(), POLLIN, 0};
        }
        if (once && !listener && !busy) return;
        const bool paused = retry > keel::mono_now_ms();
        const bool accepting = listener && !paused && busy < max_clients;
        if (paused) deadline = keel::earliest(deadline, retry);
        if (accepting) p[n++] = {listener.get(), POLLIN, 0};
        if (keel::poll_until({p.data(), n}, deadline) < 0) {
            keel::warn_sys("unable to poll");
            retry = keel::deadline_in(accept_retry_ms);
            (void)keel::poll_until({}, retry); // avoid a busy loop
            continue;
        }
        if (p[0].revents) read_signals();
        const std::size_t nclients = accepting ? n - 2 : n - 1;
        for (std::size_t i = 0; i < nclients; ++i) {
            Client& c = *polled[i];
            if (p[i + 1].revents && c.conn) on_readable(c);
            else if (c.conn && !c.pid && c.deadline <= keel::mono_now_ms())
                drop(c, "too slow to send its request", 0);
        }
        if (accepting && p[n - 1].revents && accept_client(listener.get(), retry) && once)
            listener.reset();
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-oneshotd";
    keel::OptParser opts(argc, argv, "d:1");
    int notif = -1;
    bool once = false;
    for (int o; (o = opts.next());) {
        switch (o) {
        case 'd': notif = keel::xfd_arg(opts.arg(), usage, "notification fd"); break;
        case '1': once = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() != 2) keel::die_usage(usage);
    const char* path = argv[opts.index()];
    S.oneshots = argv[opts.index() + 1];

    if (!keel::open_std())
        keel::die_sys(keel::exit_sys, "unable to sanitize standard descriptors");
    S.devnull = keel::open_file("/dev/null", O_RDONLY);
    if (!S.devnull) keel::die_sys(keel::exit_sys, "unable to open /dev/null");
    if (!make_env()) keel::die_sys(keel::exit_sys, "unable to build the environment");
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        keel::die_sys(keel::exit_sys, "unable to ignore SIGPIPE");
    constexpr std::array<int, 3> trapped{SIGCHLD, SIGTERM, SIGINT};
    if (!S.sigs.open(trapped)) keel::die_sys(keel::exit_sys, "unable to trap signals");
    keel::Fd listener = keel::unix_listen(path, backlog, 0600);
    if (!listener) {
        if (errno == EEXIST) keel::die(keel::exit_sys, path, " exists and is not a socket");
        keel::die_sys(keel::exit_sys, "unable to listen on ", path);
    }
    const keel::SockFile mine = keel::sock_file(path);
    if (notif >= 0) (void)keel::notify_ready(notif);

    loop(listener, once);

    keel::unlink_if_same(path, mine); // unless another server has replaced it
    return 0;
}
