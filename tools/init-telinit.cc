// init-telinit: change the runlevel by asking init-runleveld, over its socket
// /run/service/s6-linux-init-runleveld/s (keel/runlevel.h), to run BASEDIR/scripts/runlevel RL
// with our stdin, stdout, stderr and environment; exits with the script's code. 0 and 6 then
// power off or reboot through init-hpr. stage1 execs it when not pid 1, hence its options.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/init.h"
#include "keel/loop.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/proc.h"
#include "keel/progpath.h"
#include "keel/runlevel.h"
#include "keel/sig.h"
#include "keel/unixsock.h"

#include <cerrno>
#include <climits>
#include <cstring>

extern char** environ;

namespace {

constexpr std::string_view usage = "init-telinit runlevel";

// How long the runlevel change may take.
constexpr std::int64_t run_timeout_ms = 3600000;

// The script's wait status, or death with 111.
int change_runlevel(const char* rl)
{
    const char* path = keel::init::runleveld_socket;
    keel::Fd sock = keel::unix_connect(path);
    if (!sock) keel::die_sys(keel::exit_sys, "unable to connect to runleveld at ", path);
    if (!keel::runlevel::send_request(sock.get(), rl, environ)) {
        if (errno == E2BIG)
            keel::die(keel::exit_sys, "environment or runlevel too large for runleveld");
        keel::die_sys(keel::exit_sys, "unable to send the request to runleveld");
    }
    int wstat = 0;
    if (!keel::runlevel::read_status(sock.get(), wstat, keel::deadline_in(run_timeout_ms))) {
        if (errno == EPIPE)
            keel::die(keel::exit_sys, "runleveld closed the connection without an answer");
        if (errno == ETIMEDOUT)
            keel::die(keel::exit_sys, "timed out waiting for the runlevel change");
        keel::die_sys(keel::exit_sys, "unable to read the answer of runleveld");
    }
    return wstat;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "init-telinit";
    // stage1's options, when stage1 (bin/init) is run by a user: accepted and ignored.
    keel::OptParser opts(argc, argv, "v:c:p:s:m:d:D:nNCBW:");
    for (int o; (o = opts.next());)
        if (o == '?' || o == ':') keel::die_usage(usage);
    if (opts.index() >= argc || !*argv[opts.index()]) keel::die_usage(usage);
    const char* rl = argv[opts.index()];
    if (std::strlen(rl) >= keel::runlevel::max_runlevel)
        keel::die(keel::exit_usage, "runlevel too long");
    if (!keel::open_std()) keel::die_sys(keel::exit_sys, "unable to sanitize standard descriptors");

    const int wstat = change_runlevel(rl);
    if (WIFSIGNALED(wstat))
        keel::die(keel::wait_estatus(wstat), "runlevel script killed by signal ",
                  keel::sig_text(WTERMSIG(wstat)));
    const int code = WEXITSTATUS(wstat);
    const bool halt = !std::strcmp(rl, "0"), reboot = !std::strcmp(rl, "6");
    if (!halt && !reboot) return code;
    if (code)
        keel::die(code, "runlevel script exited ", keel::fmt_number(code), ": not ",
                  halt ? "powering off" : "rebooting");

    keel::PathBuf<PATH_MAX> hpr;
    if (!keel::program_path(hpr, "init-hpr"))
        keel::die_sys(keel::exit_sys, "unable to find init-hpr");
    char* hpr_argv[] = {const_cast<char*>(hpr.c_str()), const_cast<char*>(halt ? "-p" : "-r"),
                        nullptr};
    keel::xexec(hpr_argv);
}
