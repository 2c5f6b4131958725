// ftrig-wait: subscribe to a fifodir and wait until the events received match a POSIX extended
// regular expression, then print the last byte of the match and a newline (s6-ftrig-wait
// compatible). Never polls; its FIFO is removed when it exits, also on timeout or SIGTERM.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/ftrigwait.h"
#include "keel/opt.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <string_view>

namespace {

constexpr std::string_view usage = "ftrig-wait [ -t timeout ] fifodir regexp";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "ftrig-wait";
    keel::ftrig::MatchPlan plan;
    keel::OptParser opts(argc, argv, "t:");
    while (int c = opts.next())
        if (c != 't' || !keel::parse_timeout(opts.arg(), plan.deadline_ms))
            keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    if (argc != 2) keel::die_usage(usage);

    const keel::ftrig::MatchResult r = keel::ftrig::run_match(plan, argv, 1);
    errno = r.err;
    switch (r.end) {
    case keel::ftrig::MatchEnd::matched: break;
    case keel::ftrig::MatchEnd::timeout: keel::die(99, "timed out");
    case keel::ftrig::MatchEnd::subscribe:
        keel::die_sys(keel::exit_sys, "unable to subscribe to ", argv[0], " with regexp ",
                      argv[1]);
    case keel::ftrig::MatchEnd::spawn:
    case keel::ftrig::MatchEnd::error: keel::die_sys(keel::exit_sys, "unable to ", r.what);
    }
    const char out[2] = {r.last, '\n'};
    if (!keel::write_all(1, out, sizeof out))
        keel::die_sys(keel::exit_sys, "unable to write to stdout");
    return 0;
}
