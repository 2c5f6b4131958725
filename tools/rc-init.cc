// rc-init: make the service manager's live state for a compiled db and put every longrun of it
// under an already running svscan, all down (s6-rc-init compatible). It builds LIVE:initial:XXXXXX
// (keel/rclive.h has the layout), points LIVE at it, links each live service dir into SCANDIR
// as PREFIX+NAME, tells svscan to scan, and waits for the `s` event of every new supervisor
// (subscribed before the links exist, so no event can be missed). Any failure puts everything
// back: links removed, started supervisors told to exit, LIVE and its directory removed.
#include "keel/copytree.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/lock.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/rcdb.h"
#include "keel/rcbuild.h"
#include "keel/rclive.h"
#include "keel/rmtree.h"
#include "keel/svcontrol.h"
#include "keel/svlink.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "rc-init [ -c bootdb ] [ -l live ] [ -p prefix ] [ -t timeout ] [ -b ] [ -d ] scandir";
constexpr int exit_invalid = 4;

struct Options {
    const char* bootdb = keel::rc::default_bootdb;
    const char* live = keel::rc::default_live;
    std::string_view prefix;
    std::int64_t deadline = -1;
    bool block = false;       // -b
    bool dereference = false; // -d
};

// Everything made so far, so that a failure can undo it.
struct Init {
    const Options* o = nullptr;
    const char* scandir = nullptr;
    keel::rc::Db db;
    keel::PathBuf<> compiled; // the db dir LIVE/compiled points to
    keel::PathBuf<> real;     // LIVE:initial:XXXXXX, once made
    bool switched = false;    // LIVE points to real
    std::uint32_t linked = 0; // longruns 0..linked-1 (in `order`) have their scandir link
    bool notified = false;    // svscan was told to scan
    std::uint32_t* order = nullptr; // the longruns' db indices
    bool* logged = nullptr;         // per longrun (in `order`): has a log/ service dir
    std::uint32_t nlong = 0;
    keel::rc::SupervisorWait waits; // every supervisor to start (and loggers)
};

bool live_path(const Init& in, std::uint32_t i, keel::PathBuf<>& out, std::string_view under = {})
{
    return out.set(in.real.view(), "/", keel::rc::live_servicedirs, "/", in.db.name(i), under);
}

bool link_path(const Init& in, std::uint32_t i, keel::PathBuf<>& out)
{
    return out.set(in.scandir, "/", in.o->prefix, in.db.name(i));
}

// Puts back what init() changed, keeping errno.
void undo(Init& in)
{
    const int e = errno;
    in.waits.stop();
    keel::PathBuf<> p;
    for (std::uint32_t k = 0; k < in.linked; ++k)
        if (link_path(in, in.order[k], p)) unlink(p.c_str());
    if (in.notified) {
        // svscan forgets the services, then their supervisors (if any started) exit.
        (void)keel::sv::write_scan_control(in.scandir, "a");
        for (std::size_t k = 0; k < in.waits.size(); ++k) {
            const keel::rc::SupervisorPart part = in.waits.part(k);
            if (live_path(in, part.service, p, part.is_log ? "/log" : ""))
                keel::rc::stop_supervisor(p.c_str(), part.is_log);
        }
    }
    if (in.switched) unlink(in.o->live);
    if (in.real.size()) (void)keel::remove_tree(in.real.c_str());
    errno = e;
}

template <class... A>
[[noreturn]] void fail(Init& in, const A&... a)
{
    undo(in);
    keel::die_sys(keel::exit_sys, a...);
}

// Loads the db of dir (exit 4 if invalid).
void load_db(keel::rc::Db& db, std::string_view dir)
{
    keel::PathBuf<> p;
    if (!p.set(dir) || !db.load(p.c_str())) {
        if (errno == EINVAL) keel::die(exit_invalid, "invalid database: ", dir, "/db");
        keel::die_sys(keel::exit_sys, "unable to load ", dir, "/db");
    }
}

// LIVE already exists: fine if it runs the same db, scandir and prefix (exit 0), else 100.
[[noreturn]] void check_existing(const Init& in)
{
    const Options& o = *in.o;
    keel::rc::Live lv;
    if (!lv.open(o.live, keel::LockKind::Exclusive,
                 o.block ? keel::lock_forever : keel::lock_no_wait)) {
        switch (lv.failed()) {
        case keel::rc::LiveStep::lock:
            keel::die_sys(keel::exit_sys, "unable to lock ", o.live, "/", keel::rc::live_lock);
        case keel::rc::LiveStep::db:
            if (errno == EINVAL)
                keel::die(exit_invalid, "invalid database: ", o.live, "/compiled/db");
            [[fallthrough]];
        default:
            keel::die_sys(keel::exit_sys, "unable to read live state in ", o.live);
        }
    }
    keel::PathBuf<> p;
    char have[PATH_MAX], want[PATH_MAX];
    if (!p.set(lv.real(), "/", keel::rc::live_compiled) || !realpath(p.c_str(), have) ||
        !realpath(in.compiled.c_str(), want))
        keel::die_sys(keel::exit_sys, "unable to resolve ", o.live, "/", keel::rc::live_compiled);
    if (std::strcmp(have, want) != 0 || lv.scandir() != std::string_view(in.scandir) ||
        lv.prefix() != o.prefix)
        keel::die(keel::exit_usage, "live directory ", o.live,
                  " already exists with another database, scandir or prefix");
    keel::exit_now(0);
}

// LIVE:initial:XXXXXX with its files, the lock held, the service dirs copied with down files.
void build(Init& in)
{
    const Options& o = *in.o;
    if (!keel::rc::make_live_dir(o.live, "initial", in.real))
        keel::die_sys(keel::exit_sys, "unable to create live directory for ", o.live);
    auto* zero = static_cast<std::uint8_t*>(std::calloc(in.db.size() + 1, 1));
    if (!zero) fail(in, "unable to allocate memory");
    int lock = -1; // held until rc-init exits
    keel::rc::FillStep step;
    if (!keel::rc::fill_live_dir(in.real.c_str(), in.compiled.c_str(), in.scandir, o.prefix,
                                 {zero, in.db.size()}, lock, step)) {
        const keel::rc::FillFailure f = keel::rc::fill_failure(step);
        const std::string_view target = step == keel::rc::FillStep::compiled ? in.compiled.view()
                                                                             : in.scandir;
        fail(in, "unable to ", f.verb, " ", in.real.view(), "/", f.entry,
             f.has_target ? " to " : "", f.has_target ? target : "");
    }
    std::free(zero);
    keel::PathBuf<> p, q;
    if (!p.set(in.compiled.view(), "/", keel::rc::live_servicedirs) ||
        !q.set(in.real.view(), "/", keel::rc::live_servicedirs) ||
        !keel::copy_tree(p.c_str(), q.c_str()))
        fail(in, "unable to copy ", p.view(), " to ", q.view());

    // Every longrun gets DIR/down (and DIR/log/down), and event fifodirs for the waits.
    for (std::uint32_t k = 0; k < in.nlong; ++k) {
        keel::rc::PrepStep ps;
        if (!live_path(in, in.order[k], p)) fail(in, "unable to stat ", p.view());
        if (!keel::rc::prepare_service_dir(p.c_str(), in.logged[k], ps, q)) {
            switch (ps) {
            case keel::rc::PrepStep::stat: fail(in, "unable to stat ", q.view());
            case keel::rc::PrepStep::not_dir: fail(in, "unable to use service directory ", q.view());
            case keel::rc::PrepStep::down: fail(in, "unable to touch ", q.view());
            case keel::rc::PrepStep::fifodir: fail(in, "unable to make fifodir ", q.view());
            }
        }
    }
}

// LIVE -> LIVE:initial:XXXXXX, atomically (LIVE.new, then rename).
void switch_live(Init& in)
{
    if (!keel::rc::switch_live(in.o->live, in.real.c_str()))
        fail(in, "unable to switch ", in.o->live, " to ", in.real.view());
    in.switched = true;
}

// Subscribes to every event fifodir, links every service dir into SCANDIR, tells svscan.
// False if no svscan reads the control FIFO (nothing to wait for then).
bool link_all(Init& in)
{
    keel::PathBuf<> p, where;
    if (!in.waits.open()) fail(in, "unable to block signals");
    for (std::uint32_t k = 0; k < in.nlong; ++k) {
        if (!live_path(in, in.order[k], p) ||
            !in.waits.add(in.order[k], p.c_str(), in.logged[k], where))
            fail(in, "unable to subscribe to ", where.view());
    }
    for (std::uint32_t k = 0; k < in.nlong; ++k) {
        const std::uint32_t i = in.order[k];
        if (!keel::rc::link_service(in.scandir, in.o->prefix, in.db.name(i), in.o->live, p))
            fail(in, "unable to symlink ", p.view(), " to ", in.o->live, "/",
                 keel::rc::live_servicedirs, "/", in.db.name(i));
        in.linked = k + 1;
    }
    if (!keel::sv::write_scan_control(in.scandir, "a")) {
        if (errno == ENXIO || errno == ENOENT) return false;
        fail(in, "unable to write to ", in.scandir, "/", keel::sv::scanner_ctl_dir, "/control");
    }
    in.notified = true;
    return true;
}

[[noreturn]] void timed_out(Init& in)
{
    // One line naming every service whose supervisor (or logger's) did not start.
    keel::PathBuf<8192> names;
    bool full = false;
    in.waits.unseen(in.db, names, full);
    undo(in);
    keel::die(keel::exit_sys, "timed out waiting for the supervisors of:", names.view(),
              full ? " ..." : "");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-init";
    Options o;
    keel::OptParser opts(argc, argv, "c:l:p:t:bd");
    while (const int c = opts.next()) {
        switch (c) {
        case 'c': o.bootdb = opts.arg(); break;
        case 'l': o.live = opts.arg(); break;
        case 'p': o.prefix = opts.arg(); break;
        case 't':
            if (!keel::parse_timeout(opts.arg(), o.deadline)) keel::die_usage(usage);
            break;
        case 'b': o.block = true; break;
        case 'd': o.dereference = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() != 1) keel::die_usage(usage);
    Init in;
    in.o = &o;
    in.scandir = argv[opts.index()];
    if (!o.dereference && o.bootdb[0] != '/')
        keel::die(keel::exit_usage, "bootdb must be an absolute path");
    if (o.live[0] != '/') keel::die(keel::exit_usage, "live must be an absolute path");
    if (in.scandir[0] != '/') keel::die(keel::exit_usage, "scandir must be an absolute path");
    if (o.prefix.find_first_of("/\n") != std::string_view::npos)
        keel::die(keel::exit_usage, "invalid prefix");
    signal(SIGPIPE, SIG_IGN);

    if (o.dereference) {
        char buf[PATH_MAX];
        if (!realpath(o.bootdb, buf)) keel::die_sys(keel::exit_sys, "unable to resolve ", o.bootdb);
        if (!in.compiled.set(buf)) keel::die_sys(keel::exit_sys, "unable to resolve ", o.bootdb);
    } else if (!in.compiled.set(o.bootdb)) {
        keel::die_sys(keel::exit_sys, "unable to load ", o.bootdb, "/db");
    }
    load_db(in.db, in.compiled.view());
    struct stat st;
    if (stat(in.scandir, &st) < 0) keel::die_sys(keel::exit_sys, "unable to stat ", in.scandir);
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        keel::die_sys(keel::exit_sys, "unable to use scandir ", in.scandir);
    }
    if (lstat(o.live, &st) == 0) check_existing(in);
    if (errno != ENOENT) keel::die_sys(keel::exit_sys, "unable to stat ", o.live);

    // The longruns (db order), and room for them and their loggers.
    const std::uint32_t n = in.db.size();
    in.order = static_cast<std::uint32_t*>(std::malloc((n + 1) * sizeof *in.order));
    if (!in.order) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    for (std::uint32_t i = 0; i < n; ++i)
        if (in.db.type(i) == keel::rc::Type::longrun) in.order[in.nlong++] = i;
    in.logged = static_cast<bool*>(std::calloc(in.nlong + 1, sizeof(bool)));
    if (!in.logged || !in.waits.reserve(in.nlong))
        keel::die_sys(keel::exit_sys, "unable to allocate memory");

    build(in);
    switch_live(in);
    if (!link_all(in)) {
        keel::warn("svscan not running on ", in.scandir);
    } else {
        switch (in.waits.wait('s', o.deadline)) {
        case keel::sv::LetterEnd::seen: break;
        case keel::sv::LetterEnd::timeout: timed_out(in);
        case keel::sv::LetterEnd::error: fail(in, "unable to wait for the supervisors to start");
        }
    }
    in.waits.stop();
    std::free(in.logged);
    std::free(in.order);
    return 0;
}
