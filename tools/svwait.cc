// svwait: wait until the services of the given service dirs are up, up and ready, down, down
// and ready to restart, or restarted, as their supervisors report it (s6-svwait compatible).
// Subscribes to each DIR/event fifodir, then reads DIR/supervise/status, then follows the
// events; it never polls, and removes its FIFOs when it exits, even when killed by SIGTERM.
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/svstatus.h"
#include "keel/svwaiter.h"

#include <cerrno>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "svwait [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir...";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svwait";
    keel::sv::WaitPlan plan;
    keel::OptParser opts(argc, argv, "UudDrRaot:");
    while (int c = opts.next())
        if (!keel::sv::wait_option(plan, c, opts.arg())) keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    // s6 2.15: nothing to wait for is success (2.11 printed the usage).
    if (argc == 0) return 0;

    const keel::sv::WaitResult r = keel::sv::run_wait(plan, argv, static_cast<std::size_t>(argc));
    keel::sv::exit_unless_failures(r);
    keel::die(keel::sv::failures_exit_code(r.failures),
              "some services reported permanent failure or their supervisor died");
}
