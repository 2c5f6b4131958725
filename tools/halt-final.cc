// halt-final: the very last command of a shutdown (stage 4): sync() unless -n, drain the
// console, then reboot(2) to halt (-h), power off (-p) or reboot (-r) at once, like
// s6-linux-init-hpr -f. Inside a child PID namespace the kernel kills the namespace's init
// instead, and its parent sees SIGINT (halt, power-off) or SIGHUP (reboot).
#include "keel/err.h"
#include "keel/init.h"
#include "keel/opt.h"

#include <string_view>

namespace {

constexpr std::string_view usage = "halt-final [ -n ] -h | -p | -r";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "halt-final";
    char what = 0;
    bool no_sync = false;
    keel::OptParser opts(argc, argv, "nhpr");
    while (int c = opts.next()) {
        switch (c) {
        case 'n': no_sync = true; break;
        case 'h': case 'p': case 'r': what = static_cast<char>(c); break;
        default: keel::die_usage(usage);
        }
    }
    if (opts.index() < argc) keel::die_usage(usage);
    if (!what) keel::die(keel::exit_usage, "one of the -h, -p or -r options must be given");

    keel::init::hard_reboot(keel::init::reboot_cmd(what), no_sync);
    keel::die_sys(keel::exit_sys, "unable to reboot()");
}
