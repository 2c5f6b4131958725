// init-hpr: halt, poweroff or reboot (s6-linux-init-hpr compatible). Without -f, it asks
// shutdownd for a clean shutdown now, by writing a 17-byte order to its FIFO
// (/run/service/s6-linux-init-shutdownd/fifo), after a wtmp RUN_LVL record and a wall message.
// With -f, it syncs and calls reboot(2) at once: the last step of a machine's life.
#include "keel/err.h"
#include "keel/hpr.h"
#include "keel/init.h"
#include "keel/opt.h"

#include <array>
#include <csignal>
#include <cstring>
#include <ctime>
#include <paths.h>
#include <string_view>
#include <unistd.h>
#include <utmpx.h>

namespace {

constexpr std::string_view usage = "init-hpr [ -h | -p | -r ] [ -f ] [ -n ] [ -d | -w ] [ -W ] [ -i ]";

enum class Wtmp { none, also, only };

struct Request {
    char what = 0; // h p r
    bool force = false;
    bool sync = true;
    Wtmp wtmp = Wtmp::also;
    bool wall = true;
    bool confirm = false;
};

Request parse(int argc, char** argv) noexcept
{
    Request req;
    keel::OptParser opts(argc, argv, "hprfndwWi");
    while (int c = opts.next()) {
        switch (c) {
        case 'h': case 'p': case 'r': req.what = static_cast<char>(c); break;
        case 'f': req.force = true; break;
        case 'n': req.sync = false; break;
        case 'd': req.wtmp = Wtmp::none; break;
        case 'w': req.wtmp = Wtmp::only; break;
        case 'W': req.wall = false; break;
        case 'i': req.confirm = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (!req.what) keel::die(keel::exit_usage, "one of the -h, -p or -r options must be given");
    return req;
}

// The record last(1) shows as "reboot" or "shutdown": a RUN_LVL entry on line "~".
void write_wtmp(char what) noexcept
{
    utmpx u{};
    u.ut_type = RUN_LVL;
    u.ut_pid = getpid();
    u.ut_session = getsid(0);
    std::strncpy(u.ut_line, "~", sizeof u.ut_line);
    std::strncpy(u.ut_user, what == 'r' ? "reboot" : "shutdown", sizeof u.ut_user);
    if (gethostname(u.ut_host, sizeof u.ut_host - 1) < 0) {
        keel::warn_sys("unable to get host name");
        u.ut_host[0] = 0;
    }
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    // (ut_tv has 32-bit fields on some 64-bit ABIs: assign them one by one)
    u.ut_tv.tv_sec = static_cast<decltype(u.ut_tv.tv_sec)>(now.tv_sec);
    u.ut_tv.tv_usec = static_cast<decltype(u.ut_tv.tv_usec)>(now.tv_nsec / 1000);
    updwtmpx(_PATH_WTMP, &u);
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "init-hpr";
    const Request req = parse(argc, argv);
    if (req.confirm) keel::hpr::xconfirm_hostname();

    if (req.force) {
        keel::init::hard_reboot(keel::init::reboot_cmd(req.what), !req.sync);
        keel::die_sys(keel::exit_sys, "unable to reboot()");
    }

    signal(SIGPIPE, SIG_IGN);
    const keel::Fd fifo = keel::init::open_shutdownd();
    if (!fifo) {
        // s6-linux-init-hpr's words, whatever the reason (nobody listens, not root...).
        errno = EPERM;
        keel::die_sys(keel::exit_usage, "unable to talk to shutdownd");
    }
    if (req.wtmp != Wtmp::none) write_wtmp(req.what);
    if (req.wall) {
        const std::string_view banner[] = {keel::hpr::wall_pre, "NOW", keel::hpr::wall_post, "\n"};
        keel::hpr::wall(banner);
    }
    if (req.wtmp != Wtmp::only) {
        std::array<char, keel::init::order_len> msg{};
        keel::init::order_pack({.what = req.what, .delay = {0, 0}, .grace_ms = 0}, msg);
        keel::hpr::xsend(fifo.get(), msg);
    }
    return 0;
}
