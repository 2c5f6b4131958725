// svdt-clear: empty the death tally of a service, DIR/supervise/death_tally, by renaming an
// empty death_tally.new over it, so a reader never sees half a file. The supervisor need not
// be running. s6-svdt-clear compatible.
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/svstatus.h"

#include <string_view>

namespace {

constexpr std::string_view usage = "svdt-clear servicedir";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svdt-clear";
    keel::OptParser opts(argc, argv, "");
    if (opts.next()) keel::die_usage(usage);
    if (opts.index() >= argc) keel::die_usage(usage);
    const char* dir = argv[opts.index()];
    if (!keel::sv::tally_clear(dir))
        keel::die_sys(keel::exit_sys, "unable to clear death tally for service ", dir);
    return 0;
}
