// init-shutdown: schedule (or cancel) the shutdown of the machine, the sysvinit/LSB way
// (s6-linux-init-shutdown compatible): it walls a warning to logged-in users and writes a
// 17-byte order, whose delay is relative to now, to shutdownd's FIFO
// (/run/service/s6-linux-init-shutdownd/fifo); -c writes the cancel byte instead.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/hpr.h"
#include "keel/init.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/str.h"

#include <array>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <string_view>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage =
    "init-shutdown [ -h [ -H | -P ] | -p | -r | -k ] [ -f | -F ] [ -a ] [ -i ] [ -t sec ] "
    "time [ message ] or init-shutdown -c [ message ]";

constexpr char allow_file[] = "/etc/shutdown.allow";
constexpr std::size_t allow_max_size = 4096; // the file must be smaller
constexpr std::size_t allow_max_users = 64;
constexpr std::uint32_t max_grace_sec = keel::init::max_grace_ms / 1000;

struct Request {
    char what = 'S'; // h p r S, or k: wall only
    char sub = 0;    // H or P
    bool cancel = false;
    bool access = false;
    bool confirm = false;
    std::uint64_t grace_sec = 0;
    const char* time = nullptr;
    const char* message = nullptr;
};

Request parse(int argc, char** argv) noexcept
{
    Request req;
    keel::OptParser opts(argc, argv, "hprkHPfFaict:");
    while (int c = opts.next()) {
        switch (c) {
        case 'h': case 'p': case 'r': case 'k': req.what = static_cast<char>(c); break;
        case 'H': case 'P': req.sub = static_cast<char>(c); break;
        case 'f': case 'F': break; // accepted, meaningless: fsck is not shutdown's business
        case 'a': req.access = true; break;
        case 'i': req.confirm = true; break;
        case 'c': req.cancel = true; break;
        case 't':
            if (!keel::scan_number(std::string_view(opts.arg()), req.grace_sec))
                keel::die_usage(usage);
            break;
        default: keel::die_usage(usage);
        }
    }
    if (req.sub) {
        if (req.what != 'h') keel::die_usage(usage);
        req.what = req.sub == 'H' ? 'h' : 'p';
    }
    char** args = argv + opts.index();
    if (req.cancel) {
        req.message = args[0];
        return req;
    }
    if (!args[0]) keel::die_usage(usage);
    req.time = args[0];
    if (args[1]) req.message = args[1];
    return req;
}

// TIME, checked before anything else is done; the delay is computed once confirmed.
keel::hpr::When parse_time(std::string_view s) noexcept
{
    keel::hpr::When w;
    if (!keel::hpr::parse_when(s, w)) keel::die(keel::exit_usage, "invalid time format");
    return w;
}

// The delay from now to w: hh:mm is the next such local time, tomorrow if already past.
keel::Tai64n delay_of(const keel::hpr::When& w) noexcept
{
    if (w.kind == keel::hpr::When::now) return {0, 0};
    if (w.kind == keel::hpr::When::minutes) return {w.count * 60, 0};
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm t{};
    if (!localtime_r(&now.tv_sec, &t))
        keel::die_sys(keel::exit_sys, "unable to break down the current time");
    t.tm_hour = w.hour;
    t.tm_min = w.minute;
    t.tm_sec = 0;
    t.tm_isdst = -1;
    tm day = t;
    time_t then = mktime(&day);
    if (then < now.tv_sec) {
        day = t;
        day.tm_mday += 1; // mktime normalizes the month and the year
        then = mktime(&day);
    }
    if (then == static_cast<time_t>(-1) || then < now.tv_sec)
        keel::die_sys(keel::exit_sys, "unable to compute the shutdown time");
    if (then == now.tv_sec) return {0, 0};
    const auto sec = static_cast<std::uint64_t>(then - now.tv_sec) - (now.tv_nsec ? 1 : 0);
    return {sec, now.tv_nsec ? static_cast<std::uint32_t>(1000000000L - now.tv_nsec) : 0};
}

// -a: one of the users listed in /etc/shutdown.allow must be logged in. No file: anyone.
void check_access() noexcept
{
    keel::Fd fd = keel::open_read(allow_file);
    if (!fd) {
        if (errno == ENOENT) return;
        keel::die_sys(keel::exit_sys, "unable to open ", allow_file);
    }
    struct stat st{};
    if (fstat(fd.get(), &st) < 0) keel::die_sys(keel::exit_sys, "unable to stat ", allow_file);
    if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) >= allow_max_size)
        keel::die(1, allow_file, " is too big: it needs to be ",
                  keel::fmt_number(allow_max_size - 1), " bytes or less");
    char buf[allow_max_size];
    const ssize_t len = keel::read_full(fd.get(), buf, sizeof buf - 1);
    if (len < 0) keel::die_sys(keel::exit_sys, "unable to read ", allow_file);
    std::array<std::string_view, allow_max_users> users;
    bool more;
    const std::size_t n = keel::hpr::allow_users(
        std::string_view(buf, static_cast<std::size_t>(len)), users, more);
    if (more)
        keel::warn(allow_file, " lists more than ", keel::fmt_number(allow_max_users),
                   " authorized users - ignoring the extra ones");
    if (!keel::hpr::any_logged_in({users.data(), n}))
        keel::die(1, "no authorized users logged in");
}

// "NOW", or "1 days 2 hours 3 minutes 4 seconds" without the zero units, into out.
std::string_view fmt_delay(std::uint64_t sec, std::span<char, 96> out) noexcept
{
    if (!sec) return "NOW";
    const std::uint64_t v[] = {sec / 86400, sec / 3600 % 24, sec / 60 % 60, sec % 60};
    constexpr std::string_view unit[] = {" days", " hours", " minutes", " seconds"};
    std::size_t len = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        if (!v[i]) continue;
        if (len) out[len++] = ' ';
        const keel::NumText t = keel::fmt_number(v[i]);
        for (std::string_view s : {t.view(), unit[i]})
            for (char c : s) out[len++] = c;
    }
    return {out.data(), len};
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "init-shutdown";
    const Request req = parse(argc, argv);
    const keel::hpr::When when = req.cancel ? keel::hpr::When{} : parse_time(req.time);

    signal(SIGPIPE, SIG_IGN);
    const keel::Fd fifo = keel::init::open_shutdownd();
    if (!fifo) keel::die_sys(keel::exit_sys, "unable to talk to shutdownd");
    if (req.access) check_access();
    if (req.confirm) keel::hpr::xconfirm_hostname();

    if (req.cancel) {
        if (req.message) {
            const std::string_view text[] = {req.message, "\n"};
            keel::hpr::wall(text);
        }
        keel::hpr::xsend(fifo.get(), {&keel::init::order_cancel, 1});
        return 0;
    }

    const keel::Tai64n delay = delay_of(when);
    char buf[96];
    const std::string_view text[] = {
        req.message ? std::string_view(req.message) : keel::hpr::wall_pre,
        req.message ? "" : fmt_delay(delay.sec, buf),
        req.message ? "" : keel::hpr::wall_post, "\n"};
    keel::hpr::wall(text);
    if (req.what == 'k') return 0;

    std::uint64_t grace = req.grace_sec;
    if (grace > max_grace_sec) {
        grace = max_grace_sec;
        keel::warn("delay between SIGTERM and SIGKILL is capped to 300 seconds");
    }
    std::array<char, keel::init::order_len> msg{};
    keel::init::order_pack({.what = req.what, .delay = delay, .grace_ms = static_cast<std::uint32_t>(grace * 1000)}, msg);
    keel::hpr::xsend(fifo.get(), msg);
    return 0;
}
