// svlisten: run a program while listening to the events of several services, and wait until
// all of them (or one) are up, up and ready, down, down and ready, or restarted (s6-svlisten
// compatible). The service dirs form a block ended by an empty argument, written
// `dir... "" prog...` in a shell or `{ dir... } prog...` in execlineb. Every subscription and
// status read happens before the program is spawned; its exit status is ignored.
#include "keel/block.h"
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/opt.h"
#include "keel/svstatus.h"
#include "keel/svwaiter.h"

#include <cerrno>
#include <string_view>

namespace {

constexpr std::string_view usage = "svlisten [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] "
                                   "[ -t timeout ] servicedir... '' prog...";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svlisten";
    keel::sv::WaitPlan plan;
    keel::OptParser opts(argc, argv, "UudDrRaot:");
    while (int c = opts.next())
        if (!keel::sv::wait_option(plan, c, opts.arg())) keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    const int ndirs = keel::block_end(argv);
    if (ndirs < 0) keel::die(keel::exit_usage, "unterminated servicedir block");
    if (ndirs + 1 == argc) keel::die_usage(usage);
    // No service to wait for: just run the program (s6 2.15).
    if (ndirs == 0) keel::xexec(argv + 1);
    if (plan.restart && plan.goal.any) {
        keel::warn("-o is unsupported with -", plan.goal.ready ? "R" : "r", ", using -a instead");
        plan.goal.any = false;
    }
    plan.restart_ready = true;
    plan.prog = argv + ndirs + 1;

    const keel::sv::WaitResult r =
        keel::sv::run_wait(plan, argv, static_cast<std::size_t>(ndirs));
    keel::sv::exit_unless_failures(r);
    keel::die(keel::sv::failures_exit_code(r.failures),
              "some services reported permanent failure or their supervisor died");
}
