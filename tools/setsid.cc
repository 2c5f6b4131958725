// setsid: run a program as a session leader (-s), or as the leader of a new process group in
// the background (-b) or in the foreground of the controlling terminal (-f; -g grabs it).
// s6-setsid compatible, with s6 2.15's long options; the terminal defaults to /dev/tty.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/opt.h"

#include <climits>
#include <csignal>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "setsid [ -s | -b | -f | -g ] [ -i | -I | -q ] [ -d ctty ] prog...";

// What to do, as s6 2.15 sets and clears these bits option by option.
constexpr unsigned pgrp = 1; // new process group instead of a new session
constexpr unsigned fg = 2;   // ... made the terminal's foreground group
constexpr unsigned grab = 4; // ... even from the background (SIGTTOU ignored meanwhile)

// Keys of the long options that have no short letter.
constexpr int key_pgrp = 256;
constexpr int key_fg = 257;
constexpr int key_grab = 258;

constexpr keel::LongOpt longs[] = {
    {.name = "session", .key = 's', .has_arg = false},
    {.name = "process-group", .key = key_pgrp, .has_arg = false},
    {.name = "background-process-group", .key = 'b', .has_arg = false},
    {.name = "foreground", .key = key_fg, .has_arg = false},
    {.name = "foreground-process-group", .key = 'f', .has_arg = false},
    {.name = "grab", .key = key_grab, .has_arg = false},
    {.name = "foreground-process-group-grab", .key = 'g', .has_arg = false},
    {.name = "strict", .key = 'i', .has_arg = false},
    {.name = "no-strict", .key = 'I', .has_arg = false},
    {.name = "quiet", .key = 'q', .has_arg = false},
    {.name = "ctty", .key = 'd', .has_arg = true},
};

enum class Insist { Strict, Warn, Quiet };

struct Options {
    unsigned what = 0;
    Insist insist = Insist::Warn;
    int ctty = -1; // -d; -1: open /dev/tty
};

Options parse(int argc, char** argv, int& index)
{
    Options o;
    keel::OptParser opts(argc, argv, "sbfgiIqd:", longs);
    while (int c = opts.next()) {
        switch (c) {
        case 's': o.what = 0; break;
        case key_pgrp: o.what |= pgrp; break;
        case 'b': o.what = pgrp; break;
        case key_fg: o.what |= fg; break;
        case 'f': o.what = pgrp | fg; break;
        case key_grab: o.what |= grab; break;
        case 'g': o.what = pgrp | fg | grab; break;
        case 'i': o.insist = Insist::Strict; break;
        case 'I': o.insist = Insist::Warn; break;
        case 'q': o.insist = Insist::Quiet; break;
        case 'd': {
            unsigned fd;
            if (!keel::scan_number(std::string_view(opts.arg()), fd) || fd > INT_MAX)
                keel::die_usage(usage);
            o.ctty = static_cast<int>(fd);
            break;
        }
        default: keel::die_usage(usage);
        }
    }
    index = opts.index();
    return o;
}

// A step that failed: fatal with -i, a warning by default, nothing with -q.
void failed(Insist insist, std::string_view what)
{
    if (insist == Insist::Strict) keel::die_sys(keel::exit_sys, "unable to ", what);
    if (insist == Insist::Warn) keel::warn_sys("unable to ", what);
}

// Makes our process group the foreground one on ctty. With grab, SIGTTOU is ignored for the
// call, so that a background group is not stopped; prog gets the old disposition back.
void take_terminal(const Options& o, int ctty)
{
    struct sigaction ign = {}, old = {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    const bool swapped = (o.what & grab) && sigaction(SIGTTOU, &ign, &old) == 0;
    const bool ok = tcsetpgrp(ctty, getpid()) == 0;
    if (swapped) {
        const int e = errno;
        sigaction(SIGTTOU, &old, nullptr);
        errno = e;
    }
    if (!ok) failed(o.insist, "tcsetpgrp");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "setsid";
    int index;
    const Options o = parse(argc, argv, index);
    if (index >= argc) keel::die_usage(usage);

    if (o.what & pgrp) {
        keel::Fd tty; // close-on-exec: prog does not inherit it
        int ctty = o.ctty;
        if ((o.what & fg) && ctty < 0) {
            tty = keel::open_read("/dev/tty");
            if (!tty) failed(o.insist, "open /dev/tty");
            ctty = tty.get();
        }
        if (setpgid(0, 0) < 0) failed(o.insist, "setpgid");
        if ((o.what & fg) && ctty >= 0) take_terminal(o, ctty);
    } else if (setsid() < 0) {
        failed(o.insist, "setsid");
    }
    keel::xexec(argv + index);
}
