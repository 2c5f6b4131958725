// permafailon: meant for a service's finish script (cwd = the service dir). If the death tally
// (supervise/death_tally, read through keel/svstatus.h) holds at least COUNT deaths from the last
// SECS seconds with an exit code or signal of the list, report a permanent failure (exit 125,
// so the supervisor stops restarting the service); otherwise exec into prog.
// s6-permafailon compatible: same arguments, messages and exit codes.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/num.h"
#include "keel/sig.h"
#include "keel/str.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <string_view>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage = "permafailon seconds deathcount statuslist prog...";

constexpr int exit_permanent_failure = 125;
constexpr char tally_name[] = "supervise/death_tally";
constexpr std::string_view separators = ",; \n\r\t";
constexpr int max_signal = 64;

// The statuslist: which exit bytes and which signals count as a matching death.
struct Events {
    std::array<bool, 256> codes{};
    std::array<bool, max_signal + 1> sigs{};
};

bool is_separator(char c) { return separators.find(c) != std::string_view::npos; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads the digits at s[pos...], as s6's uint_scan; a value over 255 is reported as 256.
unsigned int scan_code(std::string_view s, std::size_t& pos)
{
    unsigned int v = 0;
    for (; pos < s.size() && is_digit(s[pos]); ++pos) {
        v = v * 10 + static_cast<unsigned int>(s[pos] - '0');
        if (v > 255) v = 256;
    }
    return v;
}

// "TERM", "SIGTERM", "sigterm" or "SIG15" (a bare number is an exit code). 0 if it is none of
// these, -1 for "SIG" + a number that no signal has.
int scan_signal(std::string_view t)
{
    const bool sig_prefix = t.size() > 3 && (t[0] | 0x20) == 's' && (t[1] | 0x20) == 'i' &&
                            (t[2] | 0x20) == 'g';
    if (sig_prefix && is_digit(t[3])) {
        unsigned int n = 0;
        if (!keel::scan_number(keel::sub(t, 3), n)) return 0;
        return n >= 1 && n <= max_signal ? static_cast<int>(n) : -1;
    }
    return keel::sig_number(t);
}

// Exit codes N, ranges N-M and signal names, separated by any run of ",; \t\r\n".
Events parse_events(std::string_view s)
{
    Events ev;
    std::size_t pos = 0;
    while (pos < s.size()) {
        if (is_digit(s[pos])) {
            const unsigned int lo = scan_code(s, pos);
            if (lo > 255) keel::die(keel::exit_usage, "invalid exit code");
            unsigned int hi = lo;
            if (pos < s.size() && s[pos] == '-') {
                ++pos;
                if (pos == s.size() || !is_digit(s[pos]))
                    keel::die(keel::exit_usage, "invalid interval specification");
                hi = scan_code(s, pos);
                if (hi > 255) keel::die(keel::exit_usage, "invalid exit code");
                if (hi < lo) keel::die(keel::exit_usage, "invalid interval");
            }
            for (unsigned int c = lo; c <= hi; ++c) ev.codes[c] = true;
        } else {
            std::size_t end = pos;
            while (end < s.size() && !is_separator(s[end])) ++end;
            const std::string_view token = keel::sub(s, pos, end - pos);
            const int sig = token.empty() ? 0 : scan_signal(token);
            if (sig == 0) keel::die(keel::exit_usage, "invalid status list specification");
            if (sig < 0) keel::die(keel::exit_usage, "invalid signal");
            ev.sigs[static_cast<std::size_t>(sig)] = true;
            pos = end;
        }
        while (pos < s.size() && is_separator(s[pos])) ++pos;
    }
    return ev;
}

// Whether the tally holds count matching deaths no older than secs. A tally that cannot be
// read is no reason to stop the service: warn, and answer no.
bool failed(unsigned int secs, unsigned int count, const Events& ev)
{
    struct stat st;
    if (stat(tally_name, &st) < 0) {
        keel::warn_sys("unable to stat ", tally_name);
        return false;
    }
    constexpr auto max_size = keel::sv::tally_record_len * keel::sv::max_death_tally_limit;
    if (st.st_size % keel::sv::tally_record_len || st.st_size > static_cast<off_t>(max_size)) {
        keel::warn("invalid ", tally_name);
        return false;
    }
    keel::sv::TallyReader tally;
    if (!tally.open(".")) {
        keel::warn_sys("unable to read ", tally_name);
        return false;
    }
    keel::Tai64n since = keel::tai_now();
    since.sec -= secs;
    unsigned int matches = 0;
    keel::sv::Death d;
    for (;;) {
        const int r = tally.next(d);
        if (r < 0) {
            keel::warn_sys("unable to read ", tally_name);
            return false;
        }
        if (r == 0) return false;
        if (keel::tai_before(d.when, since)) continue;
        if (!((d.sig && d.sig <= max_signal && ev.sigs[d.sig]) || ev.codes[d.exitbyte])) continue;
        if (++matches < count) continue;
        keel::info("PERMANENT FAILURE triggered after ", keel::fmt_number(count),
                   " events involving ", d.sig ? "signal " : "exit code ",
                   keel::fmt_number(d.sig ? d.sig : d.exitbyte), " in the last ",
                   keel::fmt_number(secs), " seconds");
        return true;
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "permafailon";
    if (argc < 4) keel::die_usage(usage);
    unsigned int secs = 0, count = 0;
    if (!keel::scan_number(std::string_view(argv[1]), secs)) keel::die_usage(usage);
    if (!keel::scan_number(std::string_view(argv[2]), count) || count == 0)
        keel::die_usage(usage);
    if (count > keel::sv::max_death_tally_limit) count = keel::sv::max_death_tally_limit;
    const Events ev = parse_events(argv[3]);

    if (failed(secs, count, ev)) return exit_permanent_failure;
    // As s6: with no prog at all, not failing is success.
    if (!argv[4]) return 0;
    keel::xexec(argv + 4);
}
