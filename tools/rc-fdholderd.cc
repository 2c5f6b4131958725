// rc-fdholderd: the pipeline fd holder (the internal service s6rc-fdholder). Listens on a unix
// socket; for each request ("kfd1" protocol, keel/fdhold.h) answers with the read or the write
// end of the pipe of that name, made on the name's first request and held open from then on,
// so that a pipeline's pipes outlive any restart of its services. Fixed tables (up to max
// pipes, allocated once); never dies because of a client.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/fdhold.h"
#include "keel/loop.h"
#include "keel/notify.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/rlimit.h"
#include "keel/tai.h"
#include "keel/unixsock.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace fh = keel::fdhold;

constexpr std::string_view usage = "rc-fdholderd [ -d notif ] [ -n max ] socket";

constexpr std::uint32_t default_max = 1000;
constexpr std::uint32_t max_max = 100000;
// Clients served at once; more wait in the backlog.
constexpr std::size_t max_clients = 64;
constexpr int backlog = 64;
// A client has this long to send its whole request.
constexpr std::int64_t request_ms = 5000;
// A failing accept (EMFILE...) is retried after this pause rather than in a busy loop.
constexpr std::int64_t accept_retry_ms = 1000;

// One held pipe: both ends stay open until the daemon exits.
struct Pipe {
    int rd, wr;
    unsigned char len;
    char name[fh::max_name];
};

struct Client {
    keel::Fd conn;
    std::int64_t deadline = 0;
    std::size_t got = 0, need = 0;
    char req[fh::header_len + fh::max_name];

    [[nodiscard]] std::string_view name() const noexcept
    {
        return {req + fh::header_len, need - fh::header_len};
    }
};

struct State {
    keel::SignalFd sigs;
    Pipe* pipes = nullptr; // max entries, the first npipes in use
    std::uint32_t npipes = 0, max = default_max;
    bool leaving = false;
};

Client clients[max_clients];
State S;

void reply(Client& c, char kind, int value, int fd = -1) noexcept
{
    char buf[fh::reply_len];
    fh::put_reply(buf, kind, static_cast<std::uint32_t>(value));
    const bool ok = fd >= 0 ? keel::send_fds(c.conn.get(), buf, sizeof buf, {&fd, 1}, MSG_DONTWAIT)
                            : keel::send_all(c.conn.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (!ok && errno != EPIPE && errno != ECONNRESET)
        keel::warn_sys("unable to answer the client for ", c.name());
    c.conn.reset();
}

void drop(Client& c, std::string_view why, int err) noexcept
{
    keel::warn("dropping client: ", why);
    if (err) reply(c, fh::reply_error, err);
    c.conn.reset();
}

// The pipe called name, made if new; nullptr with errno if there is none and cannot be.
Pipe* find_or_make(std::string_view name) noexcept
{
    for (std::uint32_t i = 0; i < S.npipes; ++i) {
        Pipe& p = S.pipes[i];
        if (std::string_view(p.name, p.len) == name) return &p;
    }
    if (S.npipes == S.max) {
        keel::warn("unable to make pipe ", name, ": ", "table full");
        errno = ENOSPC;
        return nullptr;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        keel::warn_sys("unable to make pipe ", name);
        return nullptr;
    }
    Pipe& p = S.pipes[S.npipes++];
    p.rd = fds[0];
    p.wr = fds[1];
    p.len = static_cast<unsigned char>(name.size());
    std::memcpy(p.name, name.data(), name.size());
    return &p;
}

// c's socket is readable: more of its request, answered once complete.
void on_readable(Client& c) noexcept
{
    const ssize_t r = keel::read_some(c.conn.get(), c.req + c.got, c.need - c.got);
    if (r < 0) {
        if (errno != EAGAIN) drop(c, "unable to read its request", 0);
        return;
    }
    if (r == 0) return drop(c, "incomplete request", EPROTO);
    c.got += static_cast<std::size_t>(r);
    if (c.got < c.need) return;
    if (c.need == fh::header_len) {
        std::uint32_t len;
        switch (fh::check_header(c.req, len)) {
        case fh::HeaderCheck::ok: break;
        case fh::HeaderCheck::malformed: return drop(c, "malformed request", EPROTO);
        case fh::HeaderCheck::bad_name: return drop(c, "invalid pipe name", EINVAL);
        }
        c.need += len;
        return;
    }
    if (!fh::valid_name(c.name())) return drop(c, "invalid pipe name", EINVAL);
    const Pipe* p = find_or_make(c.name());
    if (!p) return reply(c, fh::reply_error, errno);
    reply(c, fh::reply_fd, 0, c.req[4] == fh::op_read ? p->rd : p->wr);
}

// Takes a new client into a free slot.
void accept_client(int listener, std::int64_t& retry) noexcept
{
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) return;
        keel::warn_sys("unable to accept a client");
        retry = keel::deadline_in(accept_retry_ms);
        return;
    }
    for (Client& c : clients) {
        if (c.conn) continue;
        c.conn.reset(fd);
        c.got = 0;
        c.need = fh::header_len;
        c.deadline = keel::deadline_in(request_ms);
        return;
    }
    keel::close_fd(fd); // not reached: the listener is only polled with a free slot
}

// Serves until SIGTERM or SIGINT.
void loop(int listener) noexcept
{
    std::int64_t retry = 0;
    std::array<pollfd, 2 + max_clients> p;
    std::array<Client*, max_clients> polled;
    while (!S.leaving) {
        std::size_t n = 0;
        std::int64_t deadline = keel::no_deadline;
        p[n++] = {S.sigs.fd(), POLLIN, 0};
        for (Client& c : clients) {
            if (!c.conn) continue;
            deadline = keel::earliest(deadline, c.deadline);
            polled[n - 1] = &c;
            p[n++] = {c.conn.get(), POLLIN, 0};
        }
        const std::size_t nclients = n - 1;
        const bool paused = retry > keel::mono_now_ms();
        const bool accepting = !paused && nclients < max_clients;
        if (paused) deadline = keel::earliest(deadline, retry);
        if (accepting) p[n++] = {listener, POLLIN, 0};
        if (keel::poll_until({p.data(), n}, deadline) < 0) {
            keel::warn_sys("unable to poll");
            retry = keel::deadline_in(accept_retry_ms);
            (void)keel::poll_until({}, retry); // avoid a busy loop
            continue;
        }
        if (p[0].revents)
            for (int s; (s = S.sigs.next()) > 0;) S.leaving = true;
        for (std::size_t i = 0; i < nclients; ++i) {
            Client& c = *polled[i];
            if (p[i + 1].revents) on_readable(c);
            else if (c.deadline <= keel::mono_now_ms()) drop(c, "too slow to send its request", 0);
        }
        if (accepting && p[n - 1].revents) accept_client(listener, retry);
    }
}

// Room for every pipe's two ends and every client: the soft descriptor limit is raised (as
// far as the hard one allows) when it is lower.
void raise_fd_limit() noexcept
{
    const rlim_t need = 2 * static_cast<rlim_t>(S.max) + max_clients + 16;
    if (!keel::raise_nofile(need)) keel::warn_sys("unable to raise the descriptor limit");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-fdholderd";
    keel::OptParser opts(argc, argv, "d:n:");
    int notif = -1;
    for (int o; (o = opts.next());) {
        switch (o) {
        case 'd': notif = keel::xfd_arg(opts.arg(), usage, "notification fd"); break;
        case 'n':
            if (!keel::scan_number(std::string_view(opts.arg()), S.max) || S.max == 0 ||
                S.max > max_max)
                keel::die_usage(usage);
            break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() != 1) keel::die_usage(usage);
    const char* path = argv[opts.index()];

    if (!keel::open_std())
        keel::die_sys(keel::exit_sys, "unable to sanitize standard descriptors");
    S.pipes = static_cast<Pipe*>(std::calloc(S.max, sizeof(Pipe)));
    if (!S.pipes) keel::die_sys(keel::exit_sys, "unable to allocate the pipe table");
    raise_fd_limit();
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        keel::die_sys(keel::exit_sys, "unable to ignore SIGPIPE");
    constexpr std::array<int, 2> trapped{SIGTERM, SIGINT};
    if (!S.sigs.open(trapped)) keel::die_sys(keel::exit_sys, "unable to trap signals");
    keel::Fd listener = keel::unix_listen(path, backlog, 0600);
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
