// rc-init: make the service manager's live state for a compiled db and put every longrun of it
// under an already running svscan, all down (s6-rc-init compatible). It builds LIVE:initial:XXXXXX
// (keel/rclive.h has the layout), points LIVE at it, links each live service dir into SCANDIR
// as PREFIX+NAME, tells svscan to scan, and waits for the `s` event of every new supervisor
// (subscribed before the links exist, so no event can be missed). Any failure puts everything
// back: links removed, started supervisors told to exit, LIVE and its directory removed.
#include "keel/copytree.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/fifodir.h"
#include "keel/lock.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/rcdb.h"
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
#include <new>
#include <string_view>
#include <sys/resource.h>
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

// One supervisor to wait for: a live service dir, or its log/.
struct Part {
    std::uint32_t service = 0;
    bool is_log = false;
};

// Everything made so far, so that a failure can undo it.
struct Init {
    const Options* o = nullptr;
    const char* scandir = nullptr;
    keel::rc::Db db;
    keel::PathBuf<> compiled; // the db dir LIVE/compiled points to
    keel::PathBuf<> real;     // LIVE:initial:XXXXXX, once made
    keel::PathBuf<> live_new; // LIVE.new
    bool switched = false;    // LIVE points to real
    std::uint32_t linked = 0; // longruns 0..linked-1 (in `order`) have their scandir link
    bool notified = false;    // svscan was told to scan
    std::uint32_t* order = nullptr; // the longruns' db indices
    std::uint32_t nlong = 0;
    Part* parts = nullptr;
    std::size_t nparts = 0;
    keel::sv::LetterWait* waits = nullptr;
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
    if (in.waits) in.waits->stop();
    keel::PathBuf<> p;
    for (std::uint32_t k = 0; k < in.linked; ++k)
        if (link_path(in, in.order[k], p)) unlink(p.c_str());
    if (in.notified) {
        // svscan forgets the services, then their supervisors (if any started) exit.
        (void)keel::sv::write_scan_control(in.scandir, "a");
        for (std::size_t k = 0; k < in.nparts; ++k)
            if (live_path(in, in.parts[k].service, p, in.parts[k].is_log ? "/log" : ""))
                (void)keel::sv::write_control(p.c_str(), in.parts[k].is_log ? "xo" : "xd");
    }
    if (in.switched) unlink(in.o->live);
    if (in.live_new.size()) unlink(in.live_new.c_str());
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

// Writes a file holding bytes in the live directory.
bool put_file(const Init& in, const char* name, std::string_view bytes)
{
    keel::PathBuf<> p;
    if (!p.set(in.real.view(), "/", name)) return false;
    keel::Fd fd = keel::open_file(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    return fd && keel::write_all(fd.get(), bytes);
}

// Creates (empty) DIR/down.
bool touch(const char* path)
{
    return static_cast<bool>(keel::open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

// LIVE:initial:XXXXXX with its files, the lock held, the service dirs copied with down files.
void build(Init& in)
{
    const Options& o = *in.o;
    if (!in.real.set(o.live, ":initial:XXXXXX") || !mkdtemp(const_cast<char*>(in.real.c_str()))) {
        const int e = errno;
        in.real.clear();
        errno = e;
        keel::die_sys(keel::exit_sys, "unable to create live directory for ", o.live);
    }
    if (chmod(in.real.c_str(), 0755) < 0) fail(in, "unable to chmod ", in.real.view());
    keel::PathBuf<> p, q;
    if (!p.set(in.real.view(), "/", keel::rc::live_lock)) fail(in, "unable to lock ", p.view());
    keel::Fd lock = keel::open_file(p.c_str(), O_RDWR | O_CREAT, 0644);
    if (!lock || !keel::lock_fd(lock.get(), keel::LockKind::Exclusive, keel::lock_no_wait))
        fail(in, "unable to lock ", p.view());
    (void)lock.release(); // held until rc-init exits
    if (!p.set(in.real.view(), "/", keel::rc::live_compiled) ||
        symlink(in.compiled.c_str(), p.c_str()) < 0)
        fail(in, "unable to symlink ", p.view(), " to ", in.compiled.view());
    if (!p.set(in.real.view(), "/", keel::rc::live_scandir) || symlink(in.scandir, p.c_str()) < 0)
        fail(in, "unable to symlink ", p.view(), " to ", in.scandir);
    if (!put_file(in, keel::rc::live_prefix, o.prefix))
        fail(in, "unable to write ", in.real.view(), "/", keel::rc::live_prefix);
    auto* zero = static_cast<std::uint8_t*>(std::calloc(in.db.size() + 1, 1));
    if (!zero || !keel::rc::write_state(in.real.c_str(), {zero, in.db.size()}))
        fail(in, "unable to write ", in.real.view(), "/", keel::rc::live_state);
    std::free(zero);
    if (!p.set(in.compiled.view(), "/", keel::rc::live_servicedirs) ||
        !q.set(in.real.view(), "/", keel::rc::live_servicedirs) ||
        !keel::copy_tree(p.c_str(), q.c_str()))
        fail(in, "unable to copy ", p.view(), " to ", q.view());

    // Every longrun gets DIR/down (and DIR/log/down), and event fifodirs for the waits.
    const gid_t gid = getegid();
    for (std::uint32_t k = 0; k < in.nlong; ++k) {
        const std::uint32_t i = in.order[k];
        struct stat st;
        if (!live_path(in, i, p) || stat(p.c_str(), &st) < 0)
            fail(in, "unable to stat ", p.view());
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            fail(in, "unable to use service directory ", p.view());
        }
        in.parts[in.nparts++] = {i, false};
        bool logged = live_path(in, i, p, "/log") && stat(p.c_str(), &st) == 0 &&
                      S_ISDIR(st.st_mode);
        if (logged) in.parts[in.nparts++] = {i, true};
        for (int l = 0; l < (logged ? 2 : 1); ++l) {
            const char* sub = l ? "/log" : "";
            if (!live_path(in, i, p, sub) || !p.append("/down") || !touch(p.c_str()))
                fail(in, "unable to touch ", p.view());
            if (!live_path(in, i, p, sub) || !p.append("/event") ||
                !keel::ftrig::make_fifodir(p.c_str(), false, gid, false))
                fail(in, "unable to make fifodir ", p.view());
        }
    }
}

// LIVE -> LIVE:initial:XXXXXX, atomically (LIVE.new, then rename).
void switch_live(Init& in)
{
    const char* base = std::strrchr(in.real.c_str(), '/');
    base = base ? base + 1 : in.real.c_str();
    if (!in.live_new.set(in.o->live, ".new")) fail(in, "unable to switch ", in.o->live);
    unlink(in.live_new.c_str());
    if (symlink(base, in.live_new.c_str()) < 0)
        fail(in, "unable to symlink ", in.live_new.view(), " to ", base);
    if (rename(in.live_new.c_str(), in.o->live) < 0)
        fail(in, "unable to rename ", in.live_new.view(), " to ", in.o->live);
    in.live_new.clear();
    in.switched = true;
}

// Subscribes to every event fifodir, links every service dir into SCANDIR, tells svscan.
// False if no svscan reads the control FIFO (nothing to wait for then).
bool link_all(Init& in)
{
    keel::PathBuf<> p, target;
    if (!in.waits->open()) fail(in, "unable to block signals");
    for (std::size_t k = 0; k < in.nparts; ++k) {
        if (!live_path(in, in.parts[k].service, p, in.parts[k].is_log ? "/log/event" : "/event") ||
            !in.waits->add(p.c_str()))
            fail(in, "unable to subscribe to ", p.view());
    }
    for (std::uint32_t k = 0; k < in.nlong; ++k) {
        const std::uint32_t i = in.order[k];
        if (!link_path(in, i, p) ||
            !target.set(in.o->live, "/", keel::rc::live_servicedirs, "/", in.db.name(i)) ||
            symlink(target.c_str(), p.c_str()) < 0)
            fail(in, "unable to symlink ", p.view(), " to ", target.view());
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
    undo(in);
    keel::PathBuf<8192> names;
    bool full = false;
    for (std::size_t k = 0; k < in.nparts && !full; ++k) {
        if (in.waits->seen(k)) continue;
        full = !names.append(" ") || !names.append(in.db.name(in.parts[k].service)) ||
               !(in.parts[k].is_log ? names.append("/log") : true);
    }
    keel::die(keel::exit_sys, "timed out waiting for the supervisors of:", names.view(),
              full ? " ..." : "");
}

void raise_fd_limit(std::size_t need)
{
    // Each subscription holds 3 descriptors (keel/fifodir.h): a large db needs more than 1024.
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < need + 64) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need + 64 ? need + 64 : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
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
    const std::size_t cap = 2 * static_cast<std::size_t>(in.nlong) + 1;
    // malloc and placement new: operator new[] would drag in the exception machinery.
    in.parts = static_cast<Part*>(std::calloc(cap, sizeof(Part)));
    auto* subs = static_cast<keel::ftrig::Listener*>(std::malloc(cap * sizeof(keel::ftrig::Listener)));
    auto* seen = static_cast<bool*>(std::calloc(cap, sizeof(bool)));
    if (!in.parts || !subs || !seen) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    for (std::size_t k = 0; k < cap; ++k) new (subs + k) keel::ftrig::Listener;
    raise_fd_limit(3 * cap);
    keel::sv::LetterWait waits({subs, cap}, {seen, cap});
    in.waits = &waits;

    build(in);
    switch_live(in);
    if (!link_all(in)) {
        keel::warn("svscan not running on ", in.scandir);
    } else {
        switch (waits.wait('s', o.deadline)) {
        case keel::sv::LetterEnd::seen: break;
        case keel::sv::LetterEnd::timeout: timed_out(in);
        case keel::sv::LetterEnd::error: fail(in, "unable to wait for the supervisors to start");
        }
    }
    waits.stop();
    for (std::size_t k = 0; k < cap; ++k) subs[k].~Listener();
    std::free(subs);
    std::free(seen);
    std::free(in.parts);
    std::free(in.order);
    return 0;
}
