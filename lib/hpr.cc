// Shared pieces of init-hpr and init-shutdown: see keel/hpr.h.
#include "keel/hpr.h"

#include "keel/err.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/path.h"
#include "keel/str.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <strings.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include <utmpx.h>

namespace keel::hpr {

namespace {

constexpr std::size_t name_size = sizeof(utmpx{}.ut_user);
constexpr std::size_t line_size = sizeof(utmpx{}.ut_line);

// Walks utmp (setutxent...endutxent) and calls f on each USER_PROCESS entry until it
// returns true. Returns whether it did.
template <class F>
bool each_user_process(F f) noexcept
{
    setutxent();
    bool found = false;
    while (const utmpx* u = getutxent()) {
        if (u->ut_type == USER_PROCESS && f(*u)) {
            found = true;
            break;
        }
    }
    endutxent();
    return found;
}

// A utmp line is a device name under /dev ("pts/3", "tty1"): nothing empty, absolute or
// climbing out with "..".
bool sane_line(std::string_view line) noexcept
{
    if (line.empty() || line.front() == '/') return false;
    for (std::size_t at = 0; at <= line.size();) {
        const std::size_t slash = std::min(line.find('/', at), line.size());
        if (sub(line, at, slash - at) == "..") return false;
        at = slash + 1;
    }
    return true;
}

// Writes v[0..n) to a non-blocking terminal: short writes are resumed, EAGAIN gives up.
void write_tty(int fd, iovec* v, std::size_t n) noexcept
{
    while (n) {
        const ssize_t r = writev(fd, v, static_cast<int>(n));
        if (r < 0) {
            if (errno == EINTR) continue;
            return;
        }
        auto done = static_cast<std::size_t>(r);
        while (n && done >= v->iov_len) {
            done -= v->iov_len;
            ++v;
            --n;
        }
        if (n) {
            v->iov_base = static_cast<char*>(v->iov_base) + done;
            v->iov_len -= done;
        }
    }
}

// The host name's part before the first '.', NUL-terminated in out.
bool short_hostname(std::span<char, HOST_NAME_MAX + 1> out) noexcept
{
    if (gethostname(out.data(), out.size() - 1) < 0) return false;
    out.back() = 0;
    if (char* dot = std::strchr(out.data(), '.')) *dot = 0;
    return true;
}

} // namespace

void wall(std::span<const std::string_view> pieces) noexcept
{
    const int saved = errno;
    const std::size_t n = std::min(pieces.size(), wall_max_pieces);
    each_user_process([&](const utmpx& u) {
        const std::string_view line(u.ut_line, strnlen(u.ut_line, line_size));
        PathBuf<sizeof "/dev/" + line_size> tty;
        if (!sane_line(line) || !tty.set("/dev/", line)) return false;
        Fd fd = open_file(tty.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK);
        if (!fd || !isatty(fd.get())) return false;
        iovec v[wall_max_pieces]; // write_tty consumes it
        for (std::size_t i = 0; i < n; ++i)
            v[i] = {const_cast<char*>(pieces[i].data()), pieces[i].size()};
        write_tty(fd.get(), v, n);
        return false;
    });
    errno = saved;
}

bool any_logged_in(std::span<const std::string_view> users) noexcept
{
    return each_user_process([&](const utmpx& u) {
        const std::string_view name(u.ut_user, strnlen(u.ut_user, name_size));
        for (std::string_view want : users)
            if (head(want, name_size) == name) return true;
        return false;
    });
}

void xconfirm_hostname() noexcept
{
    constexpr std::string_view prompt = "Please enter the machine's hostname: ";
    char name[HOST_NAME_MAX + 1];
    char answer[HOST_NAME_MAX + 1];
    if (!isatty(0) || !isatty(1))
        die(exit_usage, "unable to ask hostname confirmation: stdin or stdout is not a tty");
    if (!short_hostname(name)) die_sys(exit_sys, "unable to get host name");
    if (!write_all(1, prompt)) die_sys(exit_sys, "unable to write to stdout");
    if (tcdrain(1) < 0) die_sys(exit_sys, "unable to tcdrain stdout");
    // What was typed before the prompt appeared is not an answer to it.
    if (tcflush(0, TCIFLUSH) < 0) die_sys(exit_sys, "unable to empty stdin buffer");
    const ssize_t r = read_some(0, answer, sizeof answer - 1);
    if (r == 0) errno = EPIPE;
    if (r <= 0) die_sys(exit_sys, "unable to read from stdin");
    answer[r] = 0;
    answer[std::strcspn(answer, "\n.")] = 0;
    if (strcasecmp(name, answer) != 0) die(1, "hostname mismatch: expecting ", name);
}

void xsend(int fd, std::span<const char> msg) noexcept
{
    if (!write_all(fd, msg.data(), msg.size()))
        die_sys(exit_sys, "unable to write to ", init::shutdownd_fifo);
}

bool parse_when(std::string_view s, When& w) noexcept
{
    w = When{};
    if (s == "now") return true;
    if (const auto colon = s.find(':'); colon != std::string_view::npos) {
        const std::string_view h = head(s, colon), m = sub(s, colon + 1);
        // Unsigned: "8:-2" and "-1:30" are not times.
        unsigned hour, minute;
        if (h.size() > 2 || m.size() != 2 || !scan_number(h, hour) || !scan_number(m, minute)
            || hour > 23 || minute > 59)
            return false;
        w.kind = When::clock;
        w.hour = static_cast<int>(hour);
        w.minute = static_cast<int>(minute);
        return true;
    }
    if (s.starts_with('+')) s.remove_prefix(1);
    // (a delay of 2^62 s or more could overflow the deadline shutdownd computes)
    if (!scan_number(s, w.count) || w.count >= (std::uint64_t{1} << 62) / 60) return false;
    w.kind = When::minutes;
    return true;
}

std::size_t allow_users(std::string_view rest, std::span<std::string_view> users,
                        bool& more) noexcept
{
    more = false;
    rest = head(rest, rest.find('\0'));
    std::size_t n = 0;
    while (!rest.empty()) {
        const std::size_t eol = std::min(rest.find('\n'), rest.size());
        const std::string_view line = head(rest, eol);
        rest.remove_prefix(std::min(eol + 1, rest.size()));
        if (line.empty() || line.front() == '#') continue;
        if (n == users.size()) {
            more = true;
            break;
        }
        users[n++] = line;
    }
    return n;
}

} // namespace keel::hpr
