// rc: the service manager's command (s6-rc compatible). It opens the live state (keel/rclive.h)
// under its lock, resolves the names given into a selection of atomic services, then lists
// it, compares the state with the supervisors' (diff), brings services up or down in
// dependency order through the transition engine (keel/rcengine.h), or reloads them.
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/loop.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/rcdb.h"
#include "keel/rcengine.h"
#include "keel/rclive.h"
#include "keel/rconeshot.h"
#include "keel/sig.h"
#include "keel/svcontrol.h"
#include "keel/svstatus.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/wait.h>

namespace {

using keel::rc::Live;
using std::uint32_t;
using std::uint8_t;

constexpr std::string_view usage =
    "rc [ -v verbosity ] [ -n dryrunthrottle ] [ -t timeout ] [ -l live ] [ -b ] [ -a ] "
    "[ -u | -d | -D ] [ -p ] [ -E | -e ] "
    "help|list|listall|diff|change|start|stop|reload [ servicenames... ]";

constexpr std::string_view help_text =
    "  help     print this help\n"
    "  list     print the selected services (-d: all the others; -e: not the essential ones)\n"
    "  listall  print them and what they depend on (-d: what depends on them)\n"
    "  diff     print +NAME or -NAME for each longrun whose supervisor wants it up or down\n"
    "           while the state says otherwise (exit 1 if any)\n"
    "  change   bring the selection and its dependencies up (-u), or it and what depends on\n"
    "           it down (-d; -D: essential services too); -p: everything else the other way\n"
    "  start    change -u\n"
    "  stop     change -d (-D: change -D)\n"
    "  reload   reload the selected services, which must be up\n";

constexpr int exit_failed = 1, exit_timeout = 2, exit_unknown = 3, exit_invalid = 4;

enum class Cmd { help, list, listall, diff, change, start, stop, reload };

struct Command {
    std::string_view name;
    Cmd cmd;
};

constexpr Command commands[] = {
    {"help", Cmd::help},     {"list", Cmd::list}, {"listall", Cmd::listall},
    {"diff", Cmd::diff},     {"change", Cmd::change}, {"start", Cmd::start},
    {"stop", Cmd::stop},     {"reload", Cmd::reload},
};

struct Options {
    unsigned verbosity = 1;
    std::int64_t dryrun = -1;
    std::int64_t deadline = -1;
    const char* live = keel::rc::default_live;
    bool block = false, all = false, prune = false, hide_essentials = false;
    char mode = 'u'; // u, d or D
};

keel::BufWriter<4096> out(1);

void line(std::string_view a, std::string_view b = {})
{
    if (!out.put(a) || !out.put(b) || !out.put('\n'))
        keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

void flush()
{
    if (!out.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

Cmd parse(int argc, char** argv, Options& o, int& first)
{
    keel::OptParser opts(argc, argv, "v:n:t:l:baudDpEe");
    while (const int c = opts.next()) {
        switch (c) {
        case 'v':
            if (!keel::scan_number(opts.arg(), o.verbosity)) keel::die_usage(usage);
            break;
        case 'n': {
            std::uint32_t ms;
            if (!keel::scan_number(opts.arg(), ms)) keel::die_usage(usage);
            o.dryrun = ms;
            break;
        }
        case 't':
            if (!keel::parse_timeout(opts.arg(), o.deadline)) keel::die_usage(usage);
            break;
        case 'l': o.live = opts.arg(); break;
        case 'b': o.block = true; break;
        case 'a': o.all = true; break;
        case 'u':
        case 'd':
        case 'D': o.mode = static_cast<char>(c); break;
        case 'p': o.prune = true; break;
        case 'E': o.hide_essentials = false; break;
        case 'e': o.hide_essentials = true; break;
        default: keel::die_usage(usage);
        }
    }
    first = opts.index();
    if (first >= argc) keel::die_usage(usage);
    const std::string_view name = argv[first++];
    for (const Command& k : commands)
        if (k.name == name) return k.cmd;
    keel::die_usage(usage);
}

void open_live(Live& live, const Options& o, bool exclusive)
{
    if (live.open(o.live, exclusive ? keel::LockKind::Exclusive : keel::LockKind::Shared,
                  o.block ? keel::lock_forever : keel::lock_no_wait))
        return;
    const int e = errno;
    switch (live.failed()) {
    case keel::rc::LiveStep::resolve: keel::die_sys(keel::exit_sys, "unable to resolve ", o.live);
    case keel::rc::LiveStep::lock:
        keel::die_sys(keel::exit_sys, "unable to take the lock on ", o.live);
    case keel::rc::LiveStep::db:
        if (e == EINVAL) keel::die(exit_invalid, "invalid database: ", o.live, "/compiled/db");
        keel::die_sys(keel::exit_sys, "unable to load ", o.live, "/compiled/db");
    case keel::rc::LiveStep::scandir:
        keel::die_sys(keel::exit_sys, "unable to read ", o.live, "/", keel::rc::live_scandir);
    case keel::rc::LiveStep::prefix:
        if (e == EINVAL) keel::die(exit_invalid, "invalid live state: ", o.live, "/prefix");
        keel::die_sys(keel::exit_sys, "unable to read ", o.live, "/", keel::rc::live_prefix);
    case keel::rc::LiveStep::state:
        if (e == EINVAL)
            keel::die(exit_invalid, "invalid live state: ", o.live,
                      "/state does not match the database");
        keel::die_sys(keel::exit_sys, "unable to read ", o.live, "/", keel::rc::live_state);
    }
    keel::die_sys(keel::exit_sys, "unable to open ", o.live);
}

// The selection: the services the names stand for, plus every up one with -a.
uint8_t* select(const Live& live, const Options& o, int n, char** names)
{
    const keel::rc::Db& db = live.db();
    auto* sel = static_cast<uint8_t*>(std::calloc(db.size() + 1, 1));
    if (!sel) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    for (int k = 0; k < n; ++k) {
        std::span<const uint32_t> r;
        if (!db.resolve(names[k], r)) keel::die(exit_unknown, "unknown service: ", names[k]);
        for (const uint32_t i : r) sel[i] = 1;
    }
    if (o.all)
        for (uint32_t i = 0; i < db.size(); ++i)
            if (live.is_up(i)) sel[i] = 1;
    return sel;
}

void print(const Live& live, const Options& o, const uint8_t* sel, bool want)
{
    const keel::rc::Db& db = live.db();
    for (uint32_t i = 0; i < db.size(); ++i) {
        if (!sel[i] != !want) continue;
        if (o.hide_essentials && db.flags(i) & keel::rc::flag_essential) continue;
        line(db.name(i));
    }
    flush();
}

int diff(const Live& live)
{
    const keel::rc::Db& db = live.db();
    int r = 0;
    for (uint32_t i = 0; i < db.size(); ++i) {
        if (db.type(i) != keel::rc::Type::longrun) continue;
        keel::PathBuf<> dir;
        keel::sv::Status st;
        if (!live.service_dir(i, dir) || !keel::sv::status_read(dir.c_str(), st))
            keel::die(keel::exit_sys, "unable to read status for ", dir.view(), ": ",
                      keel::sv::status_error(errno));
        if (st.wantup == live.is_up(i)) continue;
        line(st.wantup ? "+" : "-", db.name(i));
        r = exit_failed;
    }
    flush();
    return r;
}

// With -d, an essential service that is up is not stopped, nor anything it depends on (which
// keeps the down set closed: what depends on a kept service is kept too).
void keep_essentials(const Live& live, const Options& o, uint8_t* want)
{
    const keel::rc::Db& db = live.db();
    const uint32_t n = db.size();
    auto* down = static_cast<uint8_t*>(std::calloc(n + 1, 1));
    auto* keep = static_cast<uint8_t*>(std::calloc(n + 1, 1));
    if (!down || !keep) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    for (uint32_t i = 0; i < n; ++i) down[i] = want[i] == keel::rc::want_down;
    keel::rc::close_over(db, {down, n}, true);
    bool any = false;
    for (uint32_t i = 0; i < n; ++i) {
        if (!down[i] || !live.is_up(i) || !(db.flags(i) & keel::rc::flag_essential)) continue;
        if (o.verbosity >= 1)
            keel::warn("service ", db.name(i), " is marked as essential, not stopping it");
        keep[i] = 1;
        any = true;
    }
    if (any) {
        keel::rc::close_over(db, {keep, n}, false);
        for (uint32_t i = 0; i < n; ++i)
            if (down[i]) want[i] = keep[i] ? keel::rc::want_keep : keel::rc::want_down;
    }
    std::free(down);
    std::free(keep);
}

int change(Live& live, const Options& o, uint8_t* sel)
{
    const keel::rc::Db& db = live.db();
    const uint32_t n = db.size();
    const bool up = o.mode == 'u';
    auto* want = static_cast<uint8_t*>(std::calloc(n + 1, 1));
    if (!want) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    if (o.prune) keel::rc::close_over(db, {sel, n}, !up);
    const uint8_t in = up ? keel::rc::want_up : keel::rc::want_down;
    const uint8_t rest = !o.prune ? keel::rc::want_keep
                         : up     ? keel::rc::want_down
                                  : keel::rc::want_up;
    for (uint32_t i = 0; i < n; ++i) want[i] = sel[i] ? in : rest;
    if (o.mode != 'D') keep_essentials(live, o, want);
    keel::rc::ChangeOptions co;
    co.verbosity = static_cast<int>(o.verbosity);
    co.deadline_ms = o.deadline;
    co.dryrun_ms = o.dryrun;
    const keel::rc::ChangeResult r = keel::rc::change(live, {want, n}, co);
    std::free(want);
    switch (r) {
    case keel::rc::ChangeResult::ok: return 0;
    case keel::rc::ChangeResult::failed: return exit_failed;
    case keel::rc::ChangeResult::timeout: keel::die(exit_timeout, "timed out");
    case keel::rc::ChangeResult::error: break;
    }
    return keel::exit_sys;
}

// Reloads one service; 0 or the exit code its failure calls for.
int reload_one(const Live& live, const Options& o, uint32_t i)
{
    const keel::rc::Db& db = live.db();
    const std::string_view name = db.name(i);
    if (!live.is_up(i)) {
        if (o.verbosity >= 1) keel::warn("unable to reload service ", name, ": it is not up");
        return exit_failed;
    }
    if (o.verbosity >= 2) keel::info("service ", name, ": reloading");
    if (o.dryrun >= 0) {
        keel::PathBuf<> dir;
        if (db.type(i) == keel::rc::Type::oneshot) keel::info("dry run: oneshot reload ", name);
        else if (live.service_dir(i, dir)) keel::info("dry run: svc -l -- ", dir.view());
        return 0;
    }
    keel::PathBuf<> p;
    if (db.type(i) == keel::rc::Type::longrun) {
        if (!live.service_dir(i, p)) {
            keel::warn_sys("unable to reload service ", name);
            return keel::exit_sys;
        }
        switch (keel::sv::write_control(p.c_str(), "l")) {
        case keel::sv::CtlResult::ok: break;
        case keel::sv::CtlResult::not_supervised:
            if (o.verbosity >= 1)
                keel::warn("unable to reload service ", name, ": supervisor not running");
            return exit_failed;
        case keel::sv::CtlResult::bad_dir:
        case keel::sv::CtlResult::error:
            keel::warn_sys("unable to reload service ", name);
            return keel::exit_sys;
        }
    } else {
        int w = 0;
        if (!live.runner_socket(p) ||
            !keel::rconeshot::run_oneshot(p.c_str(), keel::rconeshot::Op::reload, name,
                                          o.deadline < 0 ? keel::no_deadline : o.deadline, w)) {
            if (errno == ETIMEDOUT) keel::die(exit_timeout, "timed out");
            if (o.verbosity >= 1) keel::warn_sys("unable to reload service ", name);
            return exit_failed;
        }
        if (w) {
            if (o.verbosity >= 1) {
                if (WIFSIGNALED(w))
                    keel::warn("unable to reload service ", name, ": killed by signal ",
                               keel::sig_text(WTERMSIG(w)).view());
                else
                    keel::warn("unable to reload service ", name, ": exited ",
                               keel::fmt_number(WEXITSTATUS(w)).view());
            }
            return exit_failed;
        }
    }
    if (o.verbosity >= 2) keel::info("service ", name, " successfully reloaded");
    return 0;
}

int reload(const Live& live, const Options& o, const uint8_t* sel)
{
    signal(SIGPIPE, SIG_IGN);
    int r = 0;
    for (uint32_t i = 0; i < live.size(); ++i)
        if (sel[i])
            if (const int k = reload_one(live, o, i)) r = r == keel::exit_sys ? r : k;
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc";
    Options o;
    int first = 0;
    Cmd cmd = parse(argc, argv, o, first);
    if (cmd == Cmd::help) {
        line(usage);
        if (!out.put(help_text)) keel::die_sys(keel::exit_sys, "unable to write to stdout");
        flush();
        return 0;
    }
    if (cmd == Cmd::start) {
        o.mode = 'u';
        o.prune = false;
    } else if (cmd == Cmd::stop) {
        if (o.mode == 'u') o.mode = 'd';
        o.prune = false;
    }
    const bool changes = cmd == Cmd::change || cmd == Cmd::start || cmd == Cmd::stop;
    Live live;
    open_live(live, o, changes);
    uint8_t* sel = select(live, o, argc - first, argv + first);
    int r = 0;
    switch (cmd) {
    case Cmd::list: print(live, o, sel, o.mode == 'u'); break;
    case Cmd::listall:
        keel::rc::close_over(live.db(), {sel, live.size()}, o.mode != 'u');
        print(live, o, sel, true);
        break;
    case Cmd::diff: r = diff(live); break;
    case Cmd::reload: r = reload(live, o, sel); break;
    default: r = change(live, o, sel); break;
    }
    keel::exit_now(r); // the selection and the live state go with the process
}
