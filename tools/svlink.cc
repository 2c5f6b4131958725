// svlink: put a service directory under an already running svscan, and wait until its
// supervisor (and its logger's) runs (s6-svlink compatible). It makes DIR/event (and
// DIR/log/event) and subscribes there for the supervisor's `s` event, then symlinks
// SCANDIR/NAME to DIR and writes `a` to SCANDIR/.s6-svscan/control. If the supervisors do not
// start in time, it removes the link again and tells any supervisor that did start to exit.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/fifodir.h"
#include "keel/lock.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/str.h"
#include "keel/svcontrol.h"
#include "keel/svlink.h"
#include "keel/waitsig.h"

#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "svlink [ -d | -D ] [ -P ] [ -f ] [ -t timeout ] scandir servicedir [ name ]";

struct Options {
    bool down = false;        // -d, -D: start the services down (create DIR/down)
    bool remove_down = false; // -d: ...and remove DIR/down once the supervisors run
    bool is_public = false;   // -P
    bool force = false;       // -f
    std::int64_t deadline = -1;
};

// The service, then its logger: each gets a down file (-d/-D), an event dir, a subscription.
struct Part {
    keel::PathBuf<> dir;
    bool made_down = false; // DIR/down did not exist before (removed again on failure)
};

struct Link {
    const char* scandir = nullptr;
    const char* servicedir = nullptr;
    std::string_view name;
    keel::sv::PairState state;
    keel::PathBuf<> path;   // SCANDIR/NAME
    keel::PathBuf<> target; // what it points to: servicedir, made absolute
    std::array<Part, 2> parts;
    std::size_t nparts = 0;
    bool linked = false;    // we made the symlink
    bool notified = false;  // svscan was told to scan: a supervisor may have started
    keel::sv::LetterWait waits;
};

// POSIX basename(3) without writing into argv: trailing slashes do not count.
std::string_view base_name(std::string_view p)
{
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    const std::size_t slash = p.rfind('/');
    return slash == p.npos || p.size() == 1 ? p : keel::sub(p, slash + 1);
}

// Puts back what link() changed, keeping errno: supervisors that started are told to exit
// (as s6 does: "xd" to the service's, "xo" to the logger's, which then drains its input).
void undo(Link& l)
{
    const int e = errno;
    l.waits.stop();
    std::array<keel::Fd, 2> ctl;
    for (std::size_t i = 0; i < l.nparts; ++i) {
        keel::PathBuf<> p;
        if (l.notified && p.set(l.parts[i].dir.view(), "/supervise/control"))
            ctl[i] = keel::open_file(p.c_str(), O_WRONLY | O_NONBLOCK);
        if (l.parts[i].made_down && p.set(l.parts[i].dir.view(), "/down")) unlink(p.c_str());
    }
    if (l.linked) {
        unlink(l.path.c_str());
        // A scan now, so that svscan forgets the service instead of restarting its supervisor.
        if (l.notified) (void)keel::sv::write_scan_control(l.scandir, "a");
    }
    for (std::size_t i = 0; i < l.nparts; ++i)
        if (ctl[i]) (void)keel::write_all(ctl[i].get(), i == 0 ? "xd" : "xo");
    errno = e;
}

[[noreturn]] void fail(Link& l, int code = keel::exit_sys)
{
    undo(l);
    keel::die_sys(code, "unable to link servicedir ", l.servicedir, " into scandir ", l.scandir,
                  " with name ", l.name);
}

// svscan must run on scandir: it holds .s6-svscan/lock.
void check_scandir(const char* scandir)
{
    keel::PathBuf<> lock;
    keel::Fd fd;
    if (lock.set(scandir, "/.s6-svscan/lock")) fd = keel::open_read(lock.c_str());
    if (!fd) keel::die_sys(keel::exit_sys, "unable to open ", scandir, "/.s6-svscan/lock");
    const pid_t holder = keel::lock_holder(fd.get(), keel::LockKind::Exclusive);
    if (holder < 0) keel::die_sys(keel::exit_sys, "unable to check lock on ", lock.view());
    if (holder == 0) keel::die(keel::exit_usage, "svscan not running on ", scandir);
}

// dir must be a service dir: an executable run; a supervisor already there is only worth a
// warning.
void check_service(std::string_view dir)
{
    keel::PathBuf<> p;
    struct stat st;
    if (!p.set(dir, "/run") || stat(p.c_str(), &st) < 0)
        keel::die_sys(keel::exit_sys, "unable to stat ", dir, "/run");
    if (!(st.st_mode & S_IXUSR)) keel::die(keel::exit_usage, dir, "/run is not executable");
    if (!p.set(dir)) keel::die_sys(keel::exit_sys, "unable to check supervision status of ", dir);
    const int r = keel::sv::supervised(p.c_str());
    if (r < 0) keel::die_sys(keel::exit_sys, "unable to check supervision status of ", dir);
    if (r > 0) keel::warn("supervisor already running on ", dir);
}

void check_servicedir(const char* dir)
{
    check_service(dir);
    keel::PathBuf<> log;
    struct stat st;
    if (!log.set(dir, "/log") || stat(log.c_str(), &st) < 0) {
        if (errno == ENOENT) return;
        keel::die_sys(keel::exit_sys, "unable to stat ", dir, "/log");
    }
    if (!S_ISDIR(st.st_mode)) keel::die(keel::exit_usage, log.view(), " is not a directory");
    check_service(log.view());
}

// DIR/event, as s6 makes it: an existing one must belong to us.
bool make_events(const char* path, const Options& o)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_uid != getuid()) {
        errno = EACCES;
        return false;
    }
    return keel::ftrig::make_fifodir(path, o.is_public, getegid(), o.force);
}

// Gets one part ready: down file, event dir, subscription to it.
void prepare(Link& l, Part& part, const Options& o)
{
    keel::PathBuf<> p;
    if (o.down) {
        if (!p.set(part.dir.view(), "/down")) fail(l);
        part.made_down = access(p.c_str(), F_OK) < 0;
        keel::Fd fd = keel::open_file(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0644);
        if (!fd) {
            part.made_down = false;
            fail(l);
        }
    }
    if (!p.set(part.dir.view(), "/event") || !make_events(p.c_str(), o) || !l.waits.add(p.c_str()))
        fail(l);
}

void link(Link& l, const Options& o)
{
    if (!keel::sv::pair_state(l.servicedir, l.state)) fail(l);
    if (!l.path.set(l.scandir, "/", l.name)) fail(l);
    struct stat st;
    // Refuse before changing anything (s6 made the down file and the event dir first).
    if (!l.state.supervised && lstat(l.path.c_str(), &st) == 0) {
        errno = EEXIST;
        fail(l);
    }
    if (l.servicedir[0] == '/') {
        if (!l.target.set(l.servicedir)) fail(l);
    } else {
        char buf[PATH_MAX];
        if (!realpath(l.servicedir, buf) || !l.target.set(buf)) fail(l);
    }
    if (!l.waits.open()) fail(l);
    if (!l.state.supervised) {
        for (std::size_t i = 0; i < (l.state.logged ? 2u : 1u); ++i) {
            if (!l.parts[i].dir.set(l.servicedir, i ? "/log" : "")) fail(l);
            ++l.nparts;
            prepare(l, l.parts[i], o);
        }
    }
    if (symlink(l.target.c_str(), l.path.c_str()) == 0) l.linked = true;
    else if (!l.state.supervised || errno != EEXIST) fail(l);
    if (!keel::sv::write_scan_control(l.scandir, "a")) fail(l);
    l.notified = true;
    switch (l.waits.wait('s', o.deadline)) {
    case keel::sv::LetterEnd::seen: break;
    case keel::sv::LetterEnd::timeout: errno = ETIMEDOUT; fail(l, 99);
    case keel::sv::LetterEnd::error: fail(l);
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svlink";
    Options o;
    keel::OptParser opts(argc, argv, "dDPft:");
    while (int c = opts.next()) {
        switch (c) {
        case 'd': o.down = o.remove_down = true; break;
        case 'D': o.down = true, o.remove_down = false; break;
        case 'P': o.is_public = true; break;
        case 'f': o.force = true; break;
        case 't':
            if (!keel::parse_timeout(opts.arg(), o.deadline)) keel::die_usage(usage);
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2 || argc > 3) keel::die_usage(usage);
    Link l;
    l.scandir = argv[0];
    l.servicedir = argv[1];
    l.name = argc > 2 ? std::string_view(argv[2]) : base_name(l.servicedir);
    if (!*l.scandir) keel::die(keel::exit_usage, "invalid scandir");
    if (!*l.servicedir) keel::die(keel::exit_usage, "invalid servicedir");
    if (!keel::sv::valid_link_name(l.name)) keel::die(keel::exit_usage, "invalid name");
    signal(SIGPIPE, SIG_IGN);

    check_scandir(l.scandir);
    check_servicedir(l.servicedir);
    link(l, o);
    if (o.remove_down) {
        // Once the supervisors run, the down file has done its job: the services are wanted
        // down now but normally up. (s6 2.11 leaves the logger's.)
        keel::PathBuf<> p;
        if (p.set(l.servicedir, "/down")) unlink(p.c_str());
        if (l.state.logged && p.set(l.servicedir, "/log/down")) unlink(p.c_str());
    }
    return 0;
}
