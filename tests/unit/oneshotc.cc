// oneshotc: the test client of rc-oneshotd (tests/rc-oneshotd.bats), over lib/rconeshot.
//   oneshotc run SOCKET u|d|r NAME [TIMEOUT_MS]   run_oneshot(); prints the outcome
//   oneshotc par SOCKET u|d|r NAME...             start() all, then finish() them in one poll
//                                                 loop; one line per NAME, in order
//   oneshotc many SOCKET u|d|r NAME COUNT         COUNT runs in a row, each must exit 0
//   oneshotc selftest DIR                         lib/rconeshot's client alone, against
//                                                 socketpairs and a server that never
//                                                 answers (socket DIR/s); prints "ok"
//   oneshotc raw SOCKET HEX [shut]                sends the bytes HEX as they are (then shuts
//                                                 down its sending side if "shut"); prints the
//                                                 reply
// Outcomes: "exit N", "signal N", "error ERRNO_TEXT" (a refused request: the server's errno),
// "closed" (no reply), "garbled HEX". Exit 0 if an outcome was printed, 1 on a local error.
#include "keel/fd.h"
#include "keel/loop.h"
#include "keel/rconeshot.h"
#include "keel/unixsock.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <string_view>
#include <sys/socket.h>
#include <sys/wait.h>

namespace ro = keel::rconeshot;

namespace {

constexpr std::int64_t default_timeout_ms = 20000;

void print_wstatus(const char* prefix, int w)
{
    if (WIFSIGNALED(w)) std::printf("%s%ssignal %d\n", prefix, *prefix ? " " : "", WTERMSIG(w));
    else std::printf("%s%sexit %d\n", prefix, *prefix ? " " : "", WEXITSTATUS(w));
}

int local_error(const char* what)
{
    std::fprintf(stderr, "oneshotc: %s: %s\n", what, std::strerror(errno));
    return 1;
}

bool parse_op(const char* s, ro::Op& op)
{
    if (std::string_view(s) == "u") op = ro::Op::up;
    else if (std::string_view(s) == "d") op = ro::Op::down;
    else if (std::string_view(s) == "r") op = ro::Op::reload;
    else return false;
    return true;
}

int run(const char* sock, ro::Op op, const char* name, std::int64_t timeout)
{
    int w = 0;
    if (ro::run_oneshot(sock, op, name, keel::deadline_in(timeout), w)) print_wstatus("", w);
    else std::printf("error %s\n", std::strerror(errno));
    return 0;
}

int par(const char* sock, ro::Op op, int n, char** names)
{
    constexpr int max = 256;
    if (n > max) return 1;
    keel::Fd fds[max];
    ro::Reply replies[max];
    const char* outcome[max] = {};
    int status[max] = {};
    for (int i = 0; i < n; ++i) {
        fds[i] = ro::start(sock, op, names[i]);
        if (!fds[i]) return local_error("start");
    }
    const std::int64_t deadline = keel::deadline_in(default_timeout_ms);
    for (int left = n; left;) {
        pollfd p[max];
        int idx[max], k = 0;
        for (int i = 0; i < n; ++i)
            if (!outcome[i]) p[k] = {fds[i].get(), POLLIN, 0}, idx[k++] = i;
        const int r = keel::poll_until({p, static_cast<std::size_t>(k)}, deadline);
        if (r <= 0) return errno = r ? errno : ETIMEDOUT, local_error("poll");
        for (int j = 0; j < k; ++j) {
            if (!p[j].revents) continue;
            const int i = idx[j];
            switch (ro::finish(fds[i].get(), replies[i])) {
            case ro::Finish::pending: continue;
            case ro::Finish::exited: outcome[i] = "x"; status[i] = replies[i].wstatus; break;
            case ro::Finish::refused: outcome[i] = std::strerror(replies[i].error); break;
            case ro::Finish::failed: outcome[i] = std::strerror(errno); break;
            }
            fds[i].reset();
            --left;
        }
    }
    for (int i = 0; i < n; ++i) {
        if (std::string_view(outcome[i]) == "x") print_wstatus(names[i], status[i]);
        else std::printf("%s error %s\n", names[i], outcome[i]);
    }
    return 0;
}

int many(const char* sock, ro::Op op, const char* name, long count)
{
    for (long i = 0; i < count; ++i) {
        int w = -1;
        if (!ro::run_oneshot(sock, op, name, keel::deadline_in(default_timeout_ms), w))
            return local_error("run_oneshot");
        if (w != 0) {
            std::fprintf(stderr, "oneshotc: run %ld: wait status %d\n", i, w);
            return 1;
        }
    }
    std::printf("%ld runs\n", count);
    return 0;
}

int raw(const char* sock, const char* hex, bool shut)
{
    keel::Fd fd = keel::unix_connect(sock);
    if (!fd) return local_error("connect");
    char buf[8192];
    std::size_t len = 0;
    for (const char* h = hex; h[0] && h[1] && len < sizeof buf; h += 2) {
        const char pair[3] = {h[0], h[1], 0};
        buf[len++] = static_cast<char>(std::strtoul(pair, nullptr, 16));
    }
    if (!keel::send_all(fd.get(), buf, len)) return local_error("send");
    if (shut && shutdown(fd.get(), SHUT_WR) < 0) return local_error("shutdown");
    pollfd p{fd.get(), POLLIN, 0};
    if (keel::poll_until({&p, 1}, keel::deadline_in(default_timeout_ms)) <= 0)
        return local_error("poll");
    // Until EOF; a server that closes with our extra bytes unread resets the connection.
    ssize_t r = 0;
    for (ssize_t n; (n = keel::read_some(fd.get(), buf + r, sizeof buf - r)) != 0; r += n)
        if (n < 0) {
            if (errno == ECONNRESET) break;
            return local_error("read");
        }
    if (r == 0) std::printf("closed\n");
    else if (r != static_cast<ssize_t>(ro::reply_len) || std::memcmp(buf, "krc1", 4)
             || (buf[4] != ro::reply_exited && buf[4] != ro::reply_error)) {
        std::printf("garbled");
        for (ssize_t i = 0; i < r; ++i) std::printf(" %02x", static_cast<unsigned char>(buf[i]));
        std::printf("\n");
    } else {
        const int value = static_cast<int>(keel::get_be32(buf + 5));
        if (buf[4] == ro::reply_exited) print_wstatus("", value);
        else std::printf("error %s\n", std::strerror(value));
    }
    return 0;
}

#define EXPECT(cond)                                                                        \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);          \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)

// finish() on one end of a socketpair, fed by hand from the other.
int selftest(const char* dir)
{
    int sv[2];
    EXPECT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    keel::Fd a(sv[0]), b(sv[1]);
    ro::Reply r;
    EXPECT(ro::finish(a.get(), r) == ro::Finish::pending);
    EXPECT(keel::write_all(b.get(), "krc1x", 5));
    EXPECT(ro::finish(a.get(), r) == ro::Finish::pending && r.got == 5);
    EXPECT(keel::write_all(b.get(), "\x00\x00\x86\x09", 4));
    EXPECT(ro::finish(a.get(), r) == ro::Finish::exited && r.wstatus == 0x8609);

    r = {};
    EXPECT(keel::write_all(b.get(), "krc1e\0\0\0\x02", 9));
    EXPECT(ro::finish(a.get(), r) == ro::Finish::refused && r.error == ENOENT);
    r = {};
    EXPECT(keel::write_all(b.get(), "krc2x\0\0\0\0", 9));
    EXPECT(ro::finish(a.get(), r) == ro::Finish::failed && errno == EPROTO);
    r = {};
    EXPECT(keel::write_all(b.get(), "krc1?\0\0\0\0", 9));
    EXPECT(ro::finish(a.get(), r) == ro::Finish::failed && errno == EPROTO);
    r = {};
    EXPECT(keel::write_all(b.get(), "krc1", 4));
    b.reset();
    EXPECT(ro::finish(a.get(), r) == ro::Finish::failed && errno == EPIPE);

    char path[4096];
    std::snprintf(path, sizeof path, "%s/s", dir);
    for (const char* bad : {"", ".", "..", "a/b"}) {
        errno = 0;
        EXPECT(!ro::start(path, ro::Op::up, bad) && errno == EINVAL);
    }
    EXPECT(!ro::start(path, ro::Op::up, std::string_view("a\0b", 3)) && errno == EINVAL);
    EXPECT(!ro::start(path, ro::Op::up, "x") && errno == ENOENT);
    // A server that never accepts: the request fits in the backlog, no answer comes.
    keel::Fd listener = keel::unix_listen(path, 4, 0600);
    EXPECT(listener);
    int w = 12345;
    EXPECT(!ro::run_oneshot(path, ro::Op::up, "x", keel::deadline_in(100), w) && errno == ETIMEDOUT);
    EXPECT(w == 12345);
    std::printf("ok\n");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    ro::Op op{};
    const std::string_view cmd = argc > 1 ? argv[1] : "";
    if (cmd == "run" && (argc == 5 || argc == 6) && parse_op(argv[3], op))
        return run(argv[2], op, argv[4], argc == 6 ? std::atol(argv[5]) : default_timeout_ms);
    if (cmd == "par" && argc >= 5 && parse_op(argv[3], op))
        return par(argv[2], op, argc - 4, argv + 4);
    if (cmd == "many" && argc == 6 && parse_op(argv[3], op))
        return many(argv[2], op, argv[4], std::atol(argv[5]));
    if (cmd == "selftest" && argc == 3) return selftest(argv[2]);
    if (cmd == "raw" && (argc == 4 || argc == 5))
        return raw(argv[2], argv[3], argc == 5 && std::string_view(argv[4]) == "shut");
    std::fprintf(stderr, "oneshotc: usage: oneshotc run|par|many|raw SOCKET ...\n");
    return 100;
}
