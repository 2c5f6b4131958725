// Resource limits: the names prlimit(1) gives them ("nofile", "as", ...) <-> RLIMIT_* numbers,
// the "decimal or =" values of softlimit's command line, and setting one limit in one of
// softlimit's three modes. Nothing here prints or exits; failures return false with errno set.
#pragma once

#include <cstdint>
#include <string_view>
#include <sys/resource.h>

namespace keel {

/// One resource limit known to this system.
struct RlimitInfo {
    std::string_view name; ///< lower case, as prlimit(1) spells its long options
    int resource;          ///< RLIMIT_*
};

/// Every limit the system headers define, by name. Limits the OS lacks are simply absent.
inline constexpr RlimitInfo rlimit_table[] = {
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
#ifdef RLIMIT_LOCKS
    {"locks", RLIMIT_LOCKS},
#endif
#ifdef RLIMIT_MEMLOCK
    {"memlock", RLIMIT_MEMLOCK},
#endif
#ifdef RLIMIT_MSGQUEUE
    {"msgqueue", RLIMIT_MSGQUEUE},
#endif
#ifdef RLIMIT_NICE
    {"nice", RLIMIT_NICE},
#endif
    {"nofile", RLIMIT_NOFILE},
#ifdef RLIMIT_NPROC
    {"nproc", RLIMIT_NPROC},
#endif
#ifdef RLIMIT_RSS
    {"rss", RLIMIT_RSS},
#endif
#ifdef RLIMIT_RTPRIO
    {"rtprio", RLIMIT_RTPRIO},
#endif
#ifdef RLIMIT_RTTIME
    {"rttime", RLIMIT_RTTIME},
#endif
#ifdef RLIMIT_SIGPENDING
    {"sigpending", RLIMIT_SIGPENDING},
#endif
    {"stack", RLIMIT_STACK},
#ifdef RLIMIT_VMEM
    {"vmem", RLIMIT_VMEM},
#endif
};

/// The RLIMIT_* number for name (any case: "nofile", "NOFILE"), or -1 if unknown here.
[[nodiscard]] constexpr int rlimit_by_name(std::string_view name) noexcept
{
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    for (const RlimitInfo& r : rlimit_table) {
        if (r.name.size() != name.size()) continue;
        std::size_t i = 0;
        while (i < name.size() && lower(name[i]) == r.name[i]) ++i;
        if (i == name.size()) return r.resource;
    }
    return -1;
}

/// The name of RLIMIT_* number resource ("nofile"), or "" if it is not in the table.
[[nodiscard]] constexpr std::string_view rlimit_name(int resource) noexcept
{
    for (const RlimitInfo& r : rlimit_table)
        if (r.resource == resource) return r.name;
    return {};
}

/// Which of the two limits a value sets (softlimit's default, -H and -h).
enum class LimitMode {
    Soft, ///< soft only, capped at the hard limit; "=" raises the soft limit to the hard one
    Both, ///< soft and hard; "=" means unlimited
    Hard, ///< hard only; "=" means unlimited; a soft limit above the new hard one is lowered
};

/// A limit value as written on a command line: a number, or "=" ("as high as allowed").
struct LimitValue {
    std::uint64_t n = 0;
    bool highest = false; ///< "=": the meaning depends on the LimitMode
};

/// Parses "=", a whole unsigned decimal number, or one with a decimal exponent ("1e8",
/// "5E6": digits, 'e' or 'E', digits) into out; no sign, at most 2^64-1. False (out untouched)
/// otherwise. A number at or above RLIM_INFINITY means unlimited.
[[nodiscard]] bool scan_limit_value(std::string_view s, LimitValue& out) noexcept;

/// Sets resource (RLIMIT_*) to v according to mode, with getrlimit(2) then setrlimit(2).
/// False with errno set on failure: EINVAL (unknown resource), EPERM (raising a hard limit
/// without privilege, or RLIMIT_NOFILE above fs.nr_open).
[[nodiscard]] bool apply_rlimit(int resource, LimitMode mode, LimitValue v) noexcept;

/// Raises resource's soft limit to its hard limit (a program that may need many descriptors
/// does it for RLIMIT_NOFILE first). Where the hard limit is unlimited but the kernel caps
/// the value (RLIMIT_NOFILE and fs.nr_open), the soft limit is left as it was. False with
/// errno if the limit could not be raised.
[[nodiscard]] bool raise_soft_limit(int resource) noexcept;

/// Raises the soft RLIMIT_NOFILE to need, or to the hard limit if that is lower; never lowers
/// it (for a program that knows how many descriptors it will hold). False with errno if
/// getrlimit or setrlimit failed.
[[nodiscard]] bool raise_nofile(rlim_t need) noexcept;

} // namespace keel
