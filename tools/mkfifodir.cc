// mkfifodir: create a fifodir, the directory in which listeners subscribe to events with FIFOs
// (s6-mkfifodir compatible): public (mode 01733) or, with -g, restricted to a group (03730).
// An existing directory is left alone unless -f, which enforces the mode (and the group).
#include "keel/err.h"
#include "keel/fifodir.h"
#include "keel/num.h"
#include "keel/opt.h"

#include <cerrno>
#include <string_view>

namespace {

constexpr std::string_view usage = "mkfifodir [ -f ] [ -g gid ] fifodir";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "mkfifodir";
    bool force = false;
    bool restricted = false;
    gid_t gid = 0;
    keel::OptParser opts(argc, argv, "fg:");
    while (int c = opts.next()) {
        switch (c) {
        case 'f': force = true; break;
        case 'g':
            if (!keel::scan_number(std::string_view(opts.arg()), gid)) keel::die_usage(usage);
            restricted = true;
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc != 1) keel::die_usage(usage);
    if (!keel::ftrig::make_fifodir(argv[0], !restricted, gid, force))
        keel::die_sys(keel::exit_sys, "unable to create fifodir at ", argv[0]);
    return 0;
}
