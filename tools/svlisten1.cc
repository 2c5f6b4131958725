// svlisten1: run a program while listening to the events of one service, and wait until the
// service is up, up and ready, down, down and ready, or restarted (s6-svlisten1 compatible).
// Subscribes to DIR/event and reads DIR/supervise/status before spawning the program, so the
// state changes it causes cannot be missed; the program's exit status is ignored.
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/svstatus.h"
#include "keel/svwaiter.h"

#include <cerrno>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "svlisten1 [ -U | -u | -d | -D | -r | -R ] [ -t timeout ] servicedir prog...";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svlisten1";
    keel::sv::WaitPlan plan;
    keel::OptParser opts(argc, argv, "UudDrRt:");
    while (int c = opts.next())
        if (!keel::sv::wait_option(plan, c, opts.arg())) keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    plan.restart_ready = true;
    plan.prog = argv + 1;

    const keel::sv::WaitResult r = keel::sv::run_wait(plan, argv, 1);
    keel::sv::exit_unless_failures(r);
    keel::die(1, argv[0], " failed permanently or its supervisor died");
}
