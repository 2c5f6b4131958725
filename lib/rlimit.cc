// Limit values and setrlimit(2) in softlimit's modes, for keel/rlimit.h.
#include "keel/rlimit.h"

#include "keel/num.h"
#include "keel/str.h"

namespace keel {

namespace {

// RLIM_INFINITY is the largest rlim_t on Linux, but not everywhere (the BSDs use 2^63-1), and
// rlim_t may be narrower than 64 bits: anything at or above it means unlimited.
rlim_t to_rlim(std::uint64_t n) noexcept
{
    return n >= static_cast<std::uint64_t>(RLIM_INFINITY) ? RLIM_INFINITY : static_cast<rlim_t>(n);
}

} // namespace

bool scan_limit_value(std::string_view s, LimitValue& out) noexcept
{
    if (s == "=") {
        out = {.n = 0, .highest = true};
        return true;
    }
    // DIGITS or DIGITSeDIGITS: "1e8" is how people write 100000000 (keel's superset of s6).
    std::uint64_t n, exp = 0;
    const auto e = s.find_first_of("eE");
    if (!scan_number(head(s, e), n)) return false;
    if (e != std::string_view::npos && !scan_number(sub(s, e + 1), exp)) return false;
    for (; n && exp; --exp) { // 0 times anything is 0: no loop over a huge exponent
        if (n > UINT64_MAX / 10) return false;
        n *= 10;
    }
    out = {.n = n, .highest = false};
    return true;
}

bool apply_rlimit(int resource, LimitMode mode, LimitValue v) noexcept
{
    rlimit r;
    if (getrlimit(resource, &r) < 0) return false;
    const rlim_t n = v.highest ? RLIM_INFINITY : to_rlim(v.n);
    switch (mode) {
    case LimitMode::Soft:
        r.rlim_cur = v.highest || n > r.rlim_max ? r.rlim_max : n;
        break;
    case LimitMode::Both:
        r.rlim_cur = r.rlim_max = n;
        break;
    case LimitMode::Hard:
        // The kernel refuses soft > hard (EINVAL): lowering the hard limit drags the soft one.
        r.rlim_max = n;
        if (r.rlim_cur > n) r.rlim_cur = n;
        break;
    }
    return setrlimit(resource, &r) == 0;
}

bool raise_soft_limit(int resource) noexcept
{
    return apply_rlimit(resource, LimitMode::Soft, {.n = 0, .highest = true});
}

bool raise_nofile(rlim_t need) noexcept
{
    rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) < 0) return false;
    if (r.rlim_cur >= need) return true; // RLIM_INFINITY is the largest value
    r.rlim_cur = r.rlim_max < need ? r.rlim_max : need;
    return setrlimit(RLIMIT_NOFILE, &r) == 0;
}

} // namespace keel
