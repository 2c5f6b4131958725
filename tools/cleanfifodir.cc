// cleanfifodir: remove the FIFOs of a fifodir that nobody listens to any more, left behind by
// listeners that were killed before they could unsubscribe (s6-cleanfifodir compatible).
#include "keel/err.h"
#include "keel/fifodir.h"
#include "keel/opt.h"

#include <string_view>

namespace {

constexpr std::string_view usage = "cleanfifodir fifodir";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "cleanfifodir";
    keel::OptParser opts(argc, argv, "");
    if (opts.next()) keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    if (argc != 1) keel::die_usage(usage);
    if (!keel::ftrig::clean(argv[0]))
        keel::die_sys(keel::exit_sys, "unable to clean up fifodir at ", argv[0]);
    return 0;
}
