// ftrig-notify: send every byte of a message as an event to the listeners of a fifodir, one
// write per listener (s6-ftrig-notify compatible). FIFOs that nobody reads any more are
// removed on the way.
#include "keel/err.h"
#include "keel/fifodir.h"
#include "keel/opt.h"

#include <csignal>
#include <string_view>

namespace {

constexpr std::string_view usage = "ftrig-notify fifodir message";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "ftrig-notify";
    keel::OptParser opts(argc, argv, "");
    if (opts.next()) keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    if (argc != 2) keel::die_usage(usage);
    // A listener that goes away between our open and our write must not kill us.
    signal(SIGPIPE, SIG_IGN);
    if (keel::ftrig::notify(argv[0], argv[1]) < 0)
        keel::die_sys(keel::exit_sys, "unable to notify ", argv[0]);
    return 0;
}
