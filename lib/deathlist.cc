// permafailon's statuslist (keel/deathlist.h).
#include "keel/deathlist.h"

#include "keel/num.h"
#include "keel/sig.h"
#include "keel/str.h"

#include <cstddef>

namespace keel::sv {
namespace {

constexpr std::string_view separators = ",; \n\r\t";

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
        if (!scan_number(sub(t, 3), n)) return 0;
        return n >= 1 && n <= deathlist_max_signal ? static_cast<int>(n) : -1;
    }
    return sig_number(t);
}

} // namespace

DeathListError parse_deathlist(std::string_view s, DeathList& ev) noexcept
{
    std::size_t pos = 0;
    while (pos < s.size()) {
        if (is_digit(s[pos])) {
            const unsigned int lo = scan_code(s, pos);
            if (lo > 255) return DeathListError::exit_code;
            unsigned int hi = lo;
            if (pos < s.size() && s[pos] == '-') {
                ++pos;
                if (pos == s.size() || !is_digit(s[pos])) return DeathListError::interval_spec;
                hi = scan_code(s, pos);
                if (hi > 255) return DeathListError::exit_code;
                if (hi < lo) return DeathListError::interval;
            }
            for (unsigned int c = lo; c <= hi; ++c) ev.codes[c] = true;
        } else {
            std::size_t end = pos;
            while (end < s.size() && !is_separator(s[end])) ++end;
            const std::string_view token = sub(s, pos, end - pos);
            const int sig = token.empty() ? 0 : scan_signal(token);
            if (sig == 0) return DeathListError::spec;
            if (sig < 0) return DeathListError::signal;
            ev.sigs[static_cast<std::size_t>(sig)] = true;
            pos = end;
        }
        while (pos < s.size() && is_separator(s[pos])) ++pos;
    }
    return DeathListError::none;
}

std::string_view deathlist_error(DeathListError e) noexcept
{
    switch (e) {
    case DeathListError::exit_code: return "invalid exit code";
    case DeathListError::interval_spec: return "invalid interval specification";
    case DeathListError::interval: return "invalid interval";
    case DeathListError::spec: return "invalid status list specification";
    case DeathListError::signal: return "invalid signal";
    default: return {};
    }
}

} // namespace keel::sv
