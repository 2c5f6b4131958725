// ftrig-listen: subscribe to several fifodirs, each with a POSIX extended regular expression,
// spawn a program, and wait until the events of every fifodir (or of one, -o) match its
// regex (s6-ftrig-listen compatible). The pairs form a block ended by an empty argument:
// `dir re... '' prog...` in a shell, `{ dir re... } prog...` in execlineb.
#include "keel/block.h"
#include "keel/err.h"
#include "keel/ftrigwait.h"
#include "keel/opt.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "ftrig-listen [ -a | -o ] [ -t timeout ] fifodir1 regexp1 ... '' prog...";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "ftrig-listen";
    keel::ftrig::MatchPlan plan;
    keel::OptParser opts(argc, argv, "aot:");
    while (int c = opts.next()) {
        switch (c) {
        case 'a': plan.any = false; break;
        case 'o': plan.any = true; break;
        case 't':
            if (keel::parse_timeout(opts.arg(), plan.deadline_ms)) break;
            [[fallthrough]];
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    const int n = keel::block_end(argv);
    if (n < 0) keel::die(keel::exit_usage, "unterminated fifodir+regex block");
    if (n == 0 || n % 2 || n + 1 == argc) keel::die_usage(usage);
    plan.prog = argv + n + 1;

    const keel::ftrig::MatchResult r =
        keel::ftrig::run_match(plan, argv, static_cast<std::size_t>(n / 2));
    errno = r.err;
    switch (r.end) {
    case keel::ftrig::MatchEnd::matched: return 0;
    case keel::ftrig::MatchEnd::timeout: keel::die(99, "timed out");
    case keel::ftrig::MatchEnd::subscribe:
        keel::die_sys(keel::exit_sys, "unable to subscribe to ", argv[2 * r.index],
                      " with regexp ", argv[2 * r.index + 1]);
    case keel::ftrig::MatchEnd::spawn:
        keel::die_sys(keel::exit_sys, "unable to spawn ", plan.prog[0]);
    case keel::ftrig::MatchEnd::error: break;
    }
    keel::die_sys(keel::exit_sys, "unable to ", r.what);
}
