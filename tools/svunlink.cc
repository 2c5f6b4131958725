// svunlink: take a service out of a running svscan's scan directory and wait until its
// supervisor (and its logger's) has exited (s6-svunlink compatible). It subscribes to `x` in
// SCANDIR/NAME/event (and log/event), removes the symlink SCANDIR/NAME, and writes `an` to
// SCANDIR/.s6-svscan/control: svscan rescans and stops the supervisors of what is gone.
// Like s6, it exits 0 even when the wait times out.
#include "keel/err.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/svlink.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::string_view usage = "svunlink [ -X ] [ -t timeout ] scandir name";

struct Options {
    bool wait = true; // not -X
    std::int64_t deadline = -1;
};

[[noreturn]] void die_prepare(const char* scandir, const char* name)
{
    keel::die_sys(keel::exit_sys, "unable to prepare unlinking of service ", name,
                  " in scandir ", scandir);
}

// Subscribes to the supervisors' `x` when there are supervisors to wait for. A fifodir that
// cannot be subscribed to is not waited for (as with s6).
void subscribe(keel::sv::LetterWait& waits, const char* scandir, const char* name,
               const keel::PathBuf<>& path)
{
    keel::sv::PairState st;
    if (!keel::sv::pair_state(path.c_str(), st)) die_prepare(scandir, name);
    if (!waits.open()) die_prepare(scandir, name);
    if (!st.supervised) return;
    keel::PathBuf<> ev;
    if (ev.set(path.view(), "/event")) (void)waits.add(ev.c_str());
    if (st.logged && ev.set(path.view(), "/log/event")) (void)waits.add(ev.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svunlink";
    Options o;
    keel::OptParser opts(argc, argv, "Xt:");
    while (int c = opts.next()) {
        switch (c) {
        case 'X': o.wait = false; break;
        case 't':
            if (!keel::parse_timeout(opts.arg(), o.deadline)) keel::die_usage(usage);
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc != 2) keel::die_usage(usage);
    const char* scandir = argv[0];
    const char* name = argv[1];
    if (!*scandir) keel::die(keel::exit_usage, "invalid scandir");
    if (!keel::sv::valid_link_name(name)) keel::die(keel::exit_usage, "invalid service name");
    signal(SIGPIPE, SIG_IGN);

    keel::PathBuf<> path;
    if (!path.set(scandir, "/", name)) die_prepare(scandir, name);
    keel::sv::LetterWait waits;
    if (o.wait) subscribe(waits, scandir, name, path);
    if (unlink(path.c_str()) < 0 && errno != ENOENT) {
        waits.stop();
        keel::die_sys(keel::exit_sys, "unable to unlink ", path.view());
    }
    if (!keel::sv::write_scan_control(scandir, "an")) {
        // Nobody will stop the supervisors: waiting for them would be waiting forever.
        if (errno == ENXIO) keel::warn("unable to control ", scandir, ": supervisor not listening");
        else keel::warn_sys("unable to control ", scandir);
        return 0;
    }
    // A timeout is not an error: s6-svunlink is a destructor, and so is this.
    if (waits.wait('x', o.deadline) == keel::sv::LetterEnd::error) {
        waits.stop();
        keel::die_sys(keel::exit_sys, "unable to wait for the supervisors of ", path.view());
    }
    return 0;
}
