// kill-all: signal every process of the PID namespace but pid 1 and itself (kill(-1)), the
// last step of a shutdown. Default: TERM and CONT, a grace time that no signal cuts short,
// then KILL. -k: KILL only, as s6-linux-init-nuke. -s: sync() before each round. Meant for
// stage 4 and container crash scripts only: run by hand it takes the whole system down.
#include "keel/err.h"
#include "keel/init.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/sig.h"

#include <csignal>
#include <cstdint>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::string_view usage = "kill-all [ -t grace_ms ] [ -k ] [ -s ]";

// The signals a dying session or terminal may send us between the rounds (the shell we ran
// from is TERMed, its terminal hangs up): the KILL round must happen all the same.
constexpr int shielded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};

// One round: sync first if asked, then kill(-1, sig). False (with a warning) if it failed.
bool send_round(int sig, bool do_sync) noexcept
{
    if (do_sync) sync();
    if (keel::init::kill_all(sig)) return true;
    keel::warn_sys("unable to send ", keel::sig_name(sig), " to all processes");
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "kill-all";
    std::uint32_t grace = keel::init::default_grace_ms;
    bool kill_only = false;
    bool do_sync = false;
    keel::OptParser opts(argc, argv, "t:ks");
    while (int c = opts.next()) {
        switch (c) {
        case 't':
            if (!keel::scan_number(std::string_view(opts.arg()), grace)) keel::die_usage(usage);
            break;
        case 'k': kill_only = true; break;
        case 's': do_sync = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (opts.index() < argc) keel::die_usage(usage);

    for (int sig : shielded) signal(sig, SIG_IGN);
    bool ok = true;
    if (!kill_only) {
        ok = send_round(SIGTERM, do_sync) && ok;
        ok = send_round(SIGCONT, false) && ok;
        keel::init::sleep_ms(grace);
    }
    ok = send_round(SIGKILL, do_sync) && ok;
    return ok ? 0 : 1;
}
