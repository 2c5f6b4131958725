// softlimit: change resource limits, then exec into a program (s6-softlimit compatible).
// Options apply in order, as they are read: -H (soft and hard) and -h (hard only) change how
// the limit options after them are applied; a value is a decimal number or "=".
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/opt.h"
#include "keel/rlimit.h"

#include <array>
#include <string_view>
#include <sys/resource.h>

namespace {

constexpr std::string_view usage =
    "softlimit [ -H | -h ] [ -a allmem ] [ -c core ] [ -d data ] [ -f fsize ] [ -l lock ]"
    " [ -m mem ] [ -o ofiles ] [ -P prio ] [ -p proc ] [ -r res ] [ -s stack ]"
    " [ -t cpusecs ] prog...";

// A limit this OS does not have: skipped, as s6 skips what its headers do not define.
constexpr int none = -1;
#ifdef RLIMIT_MEMLOCK
constexpr int memlock = RLIMIT_MEMLOCK;
#else
constexpr int memlock = none;
#endif
#ifdef RLIMIT_NPROC
constexpr int nproc = RLIMIT_NPROC;
#else
constexpr int nproc = none;
#endif
#ifdef RLIMIT_RSS
constexpr int rss = RLIMIT_RSS;
#else
constexpr int rss = none;
#endif
#ifdef RLIMIT_RTPRIO
constexpr int rtprio = RLIMIT_RTPRIO;
#else
constexpr int rtprio = none;
#endif
#ifdef RLIMIT_VMEM
constexpr int vmem = RLIMIT_VMEM;
#else
constexpr int vmem = none;
#endif
// glibc defines RLIMIT_OFILE as another name for RLIMIT_NOFILE: set it once.
#ifdef RLIMIT_OFILE
constexpr int ofile = RLIMIT_OFILE == RLIMIT_NOFILE ? none : RLIMIT_OFILE;
#else
constexpr int ofile = none;
#endif

struct Letter {
    char c;
    std::array<int, 5> resources; // in s6's order, padded with none
};

constexpr Letter letters[] = {
    {'a', {RLIMIT_AS, vmem, none, none, none}},
    {'c', {RLIMIT_CORE, none, none, none, none}},
    {'d', {RLIMIT_DATA, none, none, none, none}},
    {'f', {RLIMIT_FSIZE, none, none, none, none}},
    {'l', {memlock, none, none, none, none}},
    {'m', {RLIMIT_DATA, RLIMIT_STACK, memlock, vmem, RLIMIT_AS}},
    {'o', {RLIMIT_NOFILE, ofile, none, none, none}},
    {'P', {rtprio, none, none, none, none}},
    {'p', {nproc, none, none, none, none}},
    {'r', {rss, none, none, none, none}},
    {'s', {RLIMIT_STACK, none, none, none, none}},
    {'t', {RLIMIT_CPU, none, none, none, none}},
};

void apply(char c, keel::LimitMode mode, const char* arg)
{
    keel::LimitValue v;
    if (!keel::scan_limit_value(arg, v)) keel::die_usage(usage);
    for (const Letter& l : letters) {
        if (l.c != c) continue;
        for (int res : l.resources)
            if (res != none && !keel::apply_rlimit(res, mode, v))
                keel::die_sys(keel::exit_sys, "unable to setrlimit");
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "softlimit";
    keel::LimitMode mode = keel::LimitMode::Soft;
    keel::OptParser opts(argc, argv, "Hha:c:d:f:l:m:o:P:p:r:s:t:");
    while (int c = opts.next()) {
        switch (c) {
        case 'H': mode = keel::LimitMode::Both; break;
        case 'h': mode = keel::LimitMode::Hard; break;
        // s6-softlimit silently ignores option letters it does not know.
        case '?': break;
        case ':': keel::die_usage(usage);
        default: apply(static_cast<char>(c), mode, opts.arg());
        }
    }
    argv += opts.index();
    if (opts.index() >= argc) keel::die_usage(usage);
    keel::xexec(argv);
}
