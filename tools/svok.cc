// svok: tell whether a supervisor runs on a service dir, that is whether a process holds the
// POSIX lock on DIR/supervise/lock (supervise and s6-supervise both hold it for their whole
// life). Prints nothing; the answer is the exit code. s6-svok compatible.
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/svcontrol.h"

#include <string_view>

namespace {

constexpr std::string_view usage = "svok servicedir";

// Not supervised: exit 1, as s6-svok.
constexpr int exit_not_supervised = 1;

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svok";
    keel::OptParser opts(argc, argv, "");
    if (opts.next()) keel::die_usage(usage);
    if (opts.index() >= argc) keel::die_usage(usage);
    const char* dir = argv[opts.index()];
    const int r = keel::sv::supervised(dir);
    if (r < 0) keel::die_sys(keel::exit_sys, "unable to check ", dir);
    return r ? 0 : exit_not_supervised;
}
