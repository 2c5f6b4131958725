// rc-update: switch the live service manager state to another compiled db without a reboot
// (s6-rc-update compatible). It maps every old atomic service to the "same" new one (same
// name, or renamed by the conversion file), works out what must restart, stops that through
// the engine (keel/rcengine.h) under the live lock, builds LIVE:update:XXXXXX beside the old
// live dir (the service dirs of longruns that stay are moved in and get their new definition
// files in place while blocked with the supervise `Q` byte, so their processes and supervisors
// go on), switches LIVE atomically, fixes the scan directory, then execs `rc -u change` on
// what was stopped for a restart.
#include "keel/buf.h"
#include "keel/copytree.h"
#include "keel/err.h"
#include "keel/execlex.h"
#include "keel/growbuf.h"
#include "keel/lock.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/rcbuild.h"
#include "keel/rcconv.h"
#include "keel/rcdb.h"
#include "keel/rcengine.h"
#include "keel/rclive.h"
#include "keel/rmtree.h"
#include "keel/slurp.h"
#include "keel/str.h"
#include "keel/svcontrol.h"
#include "keel/tai.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <initializer_list>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace {

using keel::rc::none_index;
using std::uint32_t;
using sv = std::string_view;
using std::uint8_t;

constexpr std::string_view usage = "rc-update [ -n ] [ -v verbosity ] [ -t timeout ] [ -l live ] "
                                   "[ -f convfile ] [ -b ] [ -E | -e ] newdb";
constexpr int exit_unknown = 3, exit_invalid = 4, exit_type = 5, exit_duplicate = 6;
constexpr int exit_stop_failed = 9, exit_stop_timeout = 10;

// Old service flags.
constexpr uint8_t o_up = 1;       // up when rc-update started
constexpr uint8_t o_restart = 2;  // must restart (convfile, type change, dependencies)
constexpr uint8_t o_single = 4;   // maps to exactly one new atomic service
constexpr uint8_t o_renamed = 8;  // renamed by the convfile
constexpr uint8_t o_conv = 16;    // named in the convfile
constexpr uint8_t o_stop = 32;    // up and must go down (closure over dependents)
constexpr uint8_t o_moved = 64;   // a longrun whose live service dir moves to a new longrun
// New service flags.
constexpr uint8_t n_up = 1;       // stays up from the old state
constexpr uint8_t n_start = 2;    // its old service stops: rc -u change at the end
constexpr uint8_t n_target = 4;   // some old service maps to it
constexpr uint8_t n_needed = 8;   // an up service needs it (closure over dependencies)

struct Options {
    const char* live = keel::rc::default_live;
    const char* convfile = nullptr;
    const char* newdb = nullptr;
    unsigned verbosity = 1;
    std::int64_t deadline = -1;
    bool dryrun = false, block = false, essentials = false;
};

// The whole run: both dbs, the flags, the conversion file's words. (The small members come
// first: at offsets under 128 they take shorter instructions.)
struct Update {
    Options o;
    uint32_t on = 0, nn = 0;
    uint8_t* oflags = nullptr;
    uint8_t* nflags = nullptr;
    uint8_t* sel = nullptr;     // closure scratch, max(on, nn) bytes
    uint32_t* inv = nullptr;    // new index -> the old index mapping to it, or none_index
    uint32_t* line = nullptr;   // old index -> its convfile line (0: none)
    uint32_t* rename_off = nullptr; // old index -> offset of its new name in words
    uint32_t* rename_len = nullptr;
    std::span<const uint32_t>* targets = nullptr; // old index -> the new services it maps to
    keel::GrowBuf words;
    keel::rc::Db ndb;
    keel::rc::Live live;

    Update() noexcept = default;
    Update(const Update&) = delete;
    Update& operator=(const Update&) = delete;
    ~Update() { std::free(targets); } // the block of all the arrays (main())
};

[[noreturn, gnu::noinline]] void die_nomem()
{
    keel::die_sys(keel::exit_sys, "unable to allocate memory");
}

// calloc of n (at least 1) elements of size bytes, or death.
[[gnu::noinline]] void* alloc_bytes(std::size_t n, std::size_t size)
{
    void* p = std::calloc(n ? n : 1, size);
    if (!p) die_nomem();
    return p;
}

template <class T>
T* alloc(std::size_t n)
{
    return static_cast<T*>(alloc_bytes(n, sizeof(T)));
}

const keel::rc::Db& odb(const Update& u)
{
    return u.live.db();
}

std::string_view new_name_of(const Update& u, uint32_t i)
{
    if (!(u.oflags[i] & o_renamed)) return odb(u).name(i);
    return keel::sub(u.words.data(), u.rename_off[i], u.rename_len[i]);
}

// --- The conversion file -----------------------------------------------------------------

// One out-of-line message builder for every convfile error (it keeps the binary small).
[[noreturn, gnu::noinline]] void conv_die(const Update& u, int code, uint32_t line,
                                          std::initializer_list<std::string_view> what)
{
    const keel::NumText n = keel::fmt_number(line);
    sv v[keel::max_pieces] = {u.o.convfile, " line ", n, ": "};
    std::size_t k = 4;
    for (const sv s : what)
        if (k < keel::max_pieces) v[k++] = s;
    keel::die_pieces(code, false, {v, k});
}

// One line: OLD [-> NEW] [restart]. Its words are appended to u.words (kept: renames point
// into them).
void parse_line(Update& u, std::string_view text, uint32_t line)
{
    keel::rc::ConvLine c;
    switch (keel::rc::conv_line(text, u.words, c)) {
    case keel::rc::ConvResult::empty: return;
    case keel::rc::ConvResult::ok: break;
    case keel::rc::ConvResult::nomem: die_nomem();
    case keel::rc::ConvResult::syntax: conv_die(u, keel::exit_usage, line, {"syntax error"});
    }
    const std::string_view old = c.old;
    const uint32_t i = odb(u).find(old);
    if (i == none_index) {
        if (odb(u).find_bundle(old) != none_index)
            conv_die(u, exit_type, line, {old, " is a bundle, not an atomic service"});
        conv_die(u, exit_unknown, line, {"unknown service: ", old});
    }
    if (u.oflags[i] & o_conv)
        conv_die(u, exit_duplicate, line, {"service ", old, " appears more than once"});
    u.oflags[i] |= o_conv;
    u.line[i] = line;
    if (c.problem == keel::rc::ConvProblem::no_new_name)
        conv_die(u, keel::exit_usage, line, {"-> without a new name"});
    if (c.problem == keel::rc::ConvProblem::unknown_keyword)
        conv_die(u, keel::exit_usage, line, {"unknown keyword: ", c.bad});
    if (c.renamed) {
        u.oflags[i] |= o_renamed;
        u.rename_off[i] = static_cast<uint32_t>(c.new_off);
        u.rename_len[i] = static_cast<uint32_t>(c.new_name.size());
    }
    if (c.restart) u.oflags[i] |= o_restart;
}

void read_convfile(Update& u)
{
    if (!u.words.init(4096)) die_nomem();
    if (!u.o.convfile) return;
    keel::Slurp s;
    if (!s.read_file(u.o.convfile)) keel::die_sys(keel::exit_sys, "unable to read ", u.o.convfile);
    std::string_view text = s.view();
    for (uint32_t line = 1; !text.empty(); ++line) {
        const std::size_t nl = text.find('\n');
        parse_line(u, keel::head(text, nl), line);
        text = nl == std::string_view::npos ? std::string_view() : keel::sub(text, nl + 1);
    }
}

// --- The plan ----------------------------------------------------------------------------

// Maps every old service to its new ones: targets, inv, o_single, and a type change restarts.
void map_services(Update& u)
{
    const keel::rc::Db& od = odb(u);
    for (uint32_t i = 0; i < u.on; ++i) {
        const std::string_view name = new_name_of(u, i);
        if (!u.ndb.resolve(name, u.targets[i])) {
            if (u.oflags[i] & o_renamed)
                conv_die(u, exit_unknown, u.line[i], {"unknown service in ", u.o.newdb, ": ", name});
            continue; // gone: stopped, never started again
        }
        if (u.targets[i].size() == 1) u.oflags[i] |= o_single;
        for (const uint32_t x : u.targets[i]) {
            if (u.nflags[x] & n_target) {
                const uint32_t j = u.inv[x];
                const uint32_t l = u.line[i] ? u.line[i] : u.line[j];
                conv_die(u, exit_duplicate, l, {"new service ", u.ndb.name(x), " would replace both ", od.name(j), " and ", od.name(i)});
            }
            u.nflags[x] |= n_target;
            u.inv[x] = i;
            if ((u.oflags[i] & o_single) && od.type(i) != u.ndb.type(x)) u.oflags[i] |= o_restart;
        }
        if (!(u.oflags[i] & o_single)) u.oflags[i] |= o_restart; // gone into a bigger bundle
    }
}

// What stops and what stays up, until no up service that stays depends (in the new db) on
// one that is not up: such a dependent restarts too, and everything is worked out again.
void plan(Update& u)
{
    const keel::rc::Db& od = odb(u);
    for (uint32_t i = 0; i < u.on; ++i)
        if (u.live.is_up(i)) u.oflags[i] |= o_up;
    for (;;) {
        for (uint32_t i = 0; i < u.on; ++i)
            u.sel[i] = (u.oflags[i] & o_up) && (u.oflags[i] & o_restart || u.targets[i].empty());
        keel::rc::close_over(od, {u.sel, u.on}, true);
        for (uint32_t x = 0; x < u.nn; ++x) u.nflags[x] &= n_target;
        for (uint32_t i = 0; i < u.on; ++i) {
            u.oflags[i] = static_cast<uint8_t>(u.oflags[i] & ~o_stop);
            if (!(u.oflags[i] & o_up)) continue;
            if (u.sel[i]) u.oflags[i] |= o_stop;
            for (const uint32_t x : u.targets[i]) u.nflags[x] |= u.sel[i] ? n_start : n_up;
        }
        for (uint32_t x = 0; x < u.nn; ++x) u.sel[x] = u.nflags[x] & n_up;
        keel::rc::close_over(u.ndb, {u.sel, u.nn}, false);
        bool done = true;
        for (uint32_t x = 0; x < u.nn; ++x) {
            if (u.sel[x]) u.nflags[x] |= n_needed;
            u.sel[x] = u.sel[x] && !(u.nflags[x] & n_up); // needed, not up: new, down, restarting
            if (u.sel[x]) done = false;
        }
        if (done) break;
        keel::rc::close_over(u.ndb, {u.sel, u.nn}, true);
        for (uint32_t x = 0; x < u.nn; ++x)
            if (u.sel[x] && (u.nflags[x] & n_up)) u.oflags[u.inv[x]] |= o_restart;
    }
    // A longrun mapping to one longrun keeps its live service dir (and supervisor).
    for (uint32_t i = 0; i < u.on; ++i)
        if ((u.oflags[i] & o_single) && od.type(i) == keel::rc::Type::longrun &&
            u.ndb.type(u.targets[i][0]) == keel::rc::Type::longrun)
            u.oflags[i] |= o_moved;
}

void check_essentials(const Update& u)
{
    if (u.o.essentials) return;
    for (uint32_t i = 0; i < u.on; ++i)
        if ((u.oflags[i] & o_stop) && (odb(u).flags(i) & keel::rc::flag_essential))
            keel::die(exit_stop_failed, "refusing to stop essential service ", odb(u).name(i),
                      " (use -e)");
}

bool moved_to(const Update& u, uint32_t x)
{
    return u.inv[x] != none_index && (u.oflags[u.inv[x]] & o_moved);
}

// -n: one line per action, in this order: stop OLD, remove OLD (a longrun service dir that
// goes away), rename OLD NEW, add NEW (a new longrun service dir), start NEW.
struct PlanWriter {
    keel::BufWriter<4096> w{1};
    bool ok = true;

    // "VERB NAME[ NEW]\n" (names are never empty); nothing more after a write error.
    [[gnu::noinline]] void line(const char* verb, sv name, sv neu = {})
    {
        ok = ok && w.put(sv(verb)) && w.put(' ') && w.put(name) &&
             (neu.empty() || (w.put(' ') && w.put(neu))) && w.put('\n');
    }
};

void print_plan(const Update& u)
{
    PlanWriter p;
    const keel::rc::Db& od = odb(u);
    for (uint32_t i = 0; i < u.on; ++i)
        if (u.oflags[i] & o_stop) p.line("stop", od.name(i));
    for (uint32_t i = 0; i < u.on; ++i)
        if (od.type(i) == keel::rc::Type::longrun && !(u.oflags[i] & o_moved))
            p.line("remove", od.name(i));
    for (uint32_t i = 0; i < u.on; ++i)
        if ((u.oflags[i] & o_single) && u.ndb.name(u.targets[i][0]) != od.name(i))
            p.line("rename", od.name(i), u.ndb.name(u.targets[i][0]));
    for (uint32_t x = 0; x < u.nn; ++x)
        if (u.ndb.type(x) == keel::rc::Type::longrun && !moved_to(u, x)) p.line("add", u.ndb.name(x));
    for (uint32_t x = 0; x < u.nn; ++x)
        if (u.nflags[x] & n_start) p.line("start", u.ndb.name(x));
    if (!p.ok || !p.w.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

// --- Stopping ----------------------------------------------------------------------------

void stop_old(Update& u)
{
    bool any = false;
    for (uint32_t i = 0; i < u.on; ++i) {
        u.sel[i] = (u.oflags[i] & o_stop) ? keel::rc::want_down : keel::rc::want_keep;
        any = any || u.sel[i];
    }
    if (!any) return;
    if (u.o.verbosity >= 2) keel::info("stopping the services that must stop");
    keel::rc::ChangeOptions co;
    co.verbosity = static_cast<int>(u.o.verbosity);
    co.deadline_ms = u.o.deadline;
    switch (keel::rc::change(u.live, {u.sel, u.on}, co)) {
    case keel::rc::ChangeResult::ok: break;
    case keel::rc::ChangeResult::failed:
        keel::die(exit_stop_failed, "unable to stop the services that must stop: ", u.o.newdb,
                  " not switched to");
    case keel::rc::ChangeResult::timeout:
        keel::die(exit_stop_timeout, "timed out stopping the services that must stop: ",
                  u.o.newdb, " not switched to");
    case keel::rc::ChangeResult::error: keel::exit_now(keel::exit_sys);
    }
    for (uint32_t i = 0; i < u.on; ++i)
        if ((u.oflags[i] & o_stop) && u.live.is_up(i))
            keel::die(exit_stop_failed, "service ", odb(u).name(i), " is still up: ", u.o.newdb,
                      " not switched to");
}

// --- The new live dir and the switch ------------------------------------------------------

// One old longrun whose live service dir moves into the new live dir.
struct Move {
    uint32_t old = 0, neu = 0;
    bool blocked = false;  // sent Q (a supervisor runs it)
    bool had_down = false; // its down file existed before
    bool moved = false;    // renamed into the new dir
};

// (The small members first, as in Update.)
struct Build {
    Update* u = nullptr;
    int lock = -1;
    Move* moves = nullptr;
    uint32_t nmoves = 0;
    uint32_t* fresh = nullptr; // new longruns with a fresh copy
    bool* fresh_logged = nullptr;
    uint32_t nfresh = 0;
    uint32_t* linked = nullptr; // new longruns whose scandir link this run made
    uint32_t nlinked = 0;
    int worst = 0; // after the switch: 2 on a timeout, 111 on an error
    keel::rc::SupervisorWait starting, exiting;
    keel::PathBuf<> real;   // LIVE:update:XXXXXX
    keel::PathBuf<> oreal;  // the old real dir

    Build() noexcept = default;
    Build(const Build&) = delete;
    Build& operator=(const Build&) = delete;
    ~Build() { std::free(moves); } // the block of all the arrays (update())
};

// BASE[/compiled]/servicedirs/NAME: a live service dir (BASE a live dir), or a compiled one
// (BASE a db, or a live dir with compiled).
[[gnu::noinline]] bool service_dir(keel::PathBuf<>& out, std::string_view base, std::string_view name,
                                   bool compiled = false)
{
    return out.set(base, compiled ? "/" : "", compiled ? keel::rc::live_compiled : "", "/",
                   keel::rc::live_servicedirs, "/", name);
}

// Old service i's live service dir in the old live dir, and its compiled definition.
bool old_dir(const Build& b, uint32_t i, keel::PathBuf<>& out)
{
    return service_dir(out, b.oreal.view(), odb(*b.u).name(i));
}

bool old_definition(const Build& b, uint32_t i, keel::PathBuf<>& out)
{
    return service_dir(out, b.oreal.view(), odb(*b.u).name(i), true);
}

// New service x's live service dir in the new live dir, and its compiled definition.
bool new_dir(const Build& b, uint32_t x, keel::PathBuf<>& out)
{
    return service_dir(out, b.real.view(), b.u->ndb.name(x));
}

bool new_definition(const Build& b, uint32_t x, keel::PathBuf<>& out)
{
    return service_dir(out, b.u->o.newdb, b.u->ndb.name(x));
}

// SCANDIR/PREFIX+NAME: name's link in the scan directory.
[[gnu::noinline]] bool scan_link(const Update& u, std::string_view name, keel::PathBuf<>& out)
{
    return out.set(u.live.scandir(), "/", u.live.prefix(), name);
}

bool exists(const keel::PathBuf<>& p)
{
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
}

// Entries of a live service dir that belong to the supervisor, not to the definition (and
// the directory's own "." and "..").
bool kept_entry(std::string_view n)
{
    static constexpr sv kept[] = {".", "..", "supervise", "event", "down", "log"};
    for (const sv k : kept)
        if (n == k) return true;
    return false;
}

// Replaces, in the live service dir dir, the definition files that came from the compiled dir
// from (the entries there) by those of the compiled dir to. What the service or its supervisor
// made at run time (supervise/, event/, down, a socket...) stays.
bool replace_definition(const char* dir, const char* from, const char* to)
{
    DIR* d = opendir(from);
    if (!d) return false;
    keel::PathBuf<> p;
    bool ok = true;
    for (;;) {
        errno = 0;
        const dirent* e = readdir(d);
        if (!e) {
            ok = errno == 0;
            break;
        }
        const std::string_view n = e->d_name;
        if (kept_entry(n)) continue;
        if (!p.set(dir, "/", n) || !keel::remove_tree(p.c_str())) {
            ok = false;
            break;
        }
    }
    const int e = errno;
    closedir(d);
    errno = e;
    return ok && keel::copy_tree(to, dir);
}

// Puts back the moved service dirs with their old definitions, and removes the new dir.
void rollback(Build& b)
{
    const int e = errno;
    keel::PathBuf<> od, nd, src, to;
    const Update& u = *b.u;
    for (uint32_t k = 0; k < b.nlinked; ++k)
        if (scan_link(u, u.ndb.name(b.linked[k]), od))
            unlink(od.c_str());
    for (uint32_t k = b.nmoves; k-- > 0;) {
        const Move& m = b.moves[k];
        if (!m.moved || !old_dir(b, m.old, od) || !new_dir(b, m.neu, nd)) continue;
        if (!old_definition(b, m.old, src) || !new_definition(b, m.neu, to) ||
            !replace_definition(nd.c_str(), to.c_str(), src.c_str()))
            keel::warn_sys("unable to put back the definition of ", nd.view());
        if (rename(nd.c_str(), od.c_str()) < 0)
            keel::warn_sys("unable to rename ", nd.view(), " to ", od.view());
        else if (m.blocked && !m.had_down)
            (void)keel::sv::write_control(od.c_str(), "U");
    }
    if (b.real.size()) (void)keel::remove_tree(b.real.c_str());
    errno = e;
}

// Undoes the build and dies with "unable to ...: strerror" (one out-of-line function).
[[noreturn, gnu::noinline]] void fail(Build& b, std::initializer_list<std::string_view> what)
{
    const int e = errno;
    b.starting.stop();
    rollback(b);
    keel::report("fatal", {what.begin(), what.size()}, e);
    keel::exit_now(keel::exit_sys);
}

// Moves old longrun m.old's live dir to new longrun m.neu's place, blocked, then gives it the
// new definition.
void move_in(Build& b, Move& m)
{
    keel::PathBuf<> od, nd, src, from;
    if (!old_dir(b, m.old, od) || !new_dir(b, m.neu, nd) ||
        !new_definition(b, m.neu, src) || !old_definition(b, m.old, from))
        fail(b, {"unable to move ", od.view()});
    keel::PathBuf<> down;
    m.had_down = down.set(od.view(), "/down") && exists(down);
    switch (keel::sv::write_control(od.c_str(), "Q")) {
    case keel::sv::CtlResult::ok: m.blocked = true; break;
    case keel::sv::CtlResult::not_supervised: break;
    default: fail(b, {"unable to block ", od.view()});
    }
    if (rename(od.c_str(), nd.c_str()) < 0) fail(b, {"unable to rename ", od.view(), " to ", nd.view()});
    m.moved = true;
    if (!replace_definition(nd.c_str(), from.c_str(), src.c_str()))
        fail(b, {"unable to copy ", src.view(), " into ", nd.view()});
}

// A new longrun (nobody's live dir moves there): a copy of its compiled dir, down.
void copy_in(Build& b, uint32_t x)
{
    keel::PathBuf<> nd, src, where;
    if (!new_dir(b, x, nd) ||
        !new_definition(b, x, src) ||
        !keel::copy_tree(src.c_str(), nd.c_str()))
        fail(b, {"unable to copy ", src.view(), " to ", nd.view()});
    keel::rc::PrepStep step;
    if (!keel::rc::prepare_service_dir(nd.c_str(), b.fresh_logged[b.nfresh], step, where))
        fail(b, {"unable to prepare ", where.view()});
    b.fresh[b.nfresh++] = x;
}

void build_dir(Build& b)
{
    Update& u = *b.u;
    if (!keel::rc::make_live_dir(u.o.live, "update", b.real))
        keel::die_sys(keel::exit_sys, "unable to create live directory for ", u.o.live);
    uint8_t* st = alloc<uint8_t>(u.nn);
    for (uint32_t x = 0; x < u.nn; ++x) st[x] = (u.nflags[x] & n_up) ? keel::rc::state_up : 0;
    keel::rc::FillStep step;
    if (!keel::rc::fill_live_dir(b.real.c_str(), u.o.newdb, u.live.scandir_path(), u.live.prefix(),
                                 {st, u.nn}, b.lock, step)) {
        const keel::rc::FillFailure f = keel::rc::fill_failure(step);
        fail(b, {"unable to ", f.verb, " ", b.real.view(), "/", f.entry});
    }
    std::free(st);
    keel::PathBuf<> p;
    if (!p.set(b.real.view(), "/", keel::rc::live_servicedirs) || mkdir(p.c_str(), 0755) < 0)
        fail(b, {"unable to mkdir ", p.view()});
    for (uint32_t x = 0; x < u.nn; ++x) {
        if (u.ndb.type(x) != keel::rc::Type::longrun) continue;
        if (moved_to(u, x)) {
            b.moves[b.nmoves] = {u.inv[x], x};
            move_in(b, b.moves[b.nmoves++]);
        } else {
            copy_in(b, x);
        }
    }
}

// Before the switch: subscribe to the new supervisors' events, make the scandir links of the
// new names (dangling until LIVE points to the new dir).
void link_new(Build& b)
{
    Update& u = *b.u;
    keel::PathBuf<> p, where;
    if (!b.starting.open()) fail(b, {"unable to block signals"});
    for (uint32_t k = 0; k < b.nfresh; ++k)
        if (!new_dir(b, b.fresh[k], p) || !b.starting.add(b.fresh[k], p.c_str(), b.fresh_logged[k], where))
            fail(b, {"unable to subscribe to ", where.view()});
    for (uint32_t x = 0; x < u.nn; ++x) {
        if (u.ndb.type(x) != keel::rc::Type::longrun) continue;
        const bool had = scan_link(u, u.ndb.name(x), p) && exists(p);
        if (!keel::rc::link_service(u.live.scandir(), u.live.prefix(), u.ndb.name(x), u.o.live, p))
            fail(b, {"unable to symlink ", p.view()});
        if (!had) b.linked[b.nlinked++] = x;
    }
}

void warn_timeout(Build& b, keel::rc::SupervisorWait& w, const keel::rc::Db& db, const char* what)
{
    keel::PathBuf<8192> names;
    bool full = false;
    w.unseen(db, names, full);
    keel::warn("timed out waiting for the supervisors ", what, ":", names.view(), full ? " ..." : "");
    if (!b.worst) b.worst = 2;
}

// After the switch, an error that does not stop the rest: "unable to ...: strerror", exit 111.
[[gnu::noinline]] void warn_failed(Build& b, std::initializer_list<sv> what)
{
    keel::warn_pieces(true, {what.begin(), what.size()});
    b.worst = keel::exit_sys;
}

// After the switch: old supervisors of dirs that did not move exit, stale links go, svscan
// rescans, the new supervisors are waited for, moved services wanted up again, old dir removed.
void finish(Build& b)
{
    Update& u = *b.u;
    const keel::rc::Db& od = odb(u);
    keel::PathBuf<> p, where;
    for (uint32_t i = 0; i < u.on; ++i) {
        if (od.type(i) != keel::rc::Type::longrun) continue;
        const uint32_t x = u.ndb.find(od.name(i));
        if (x != none_index && u.ndb.type(x) == keel::rc::Type::longrun) continue; // reused
        if (scan_link(u, od.name(i), p) && unlink(p.c_str()) < 0 &&
            errno != ENOENT)
            warn_failed(b, {"unable to remove ", p.view()});
    }
    // svscan forgets the removed dirs first, so that it does not restart their supervisors.
    const bool scanned = keel::sv::write_scan_control(u.live.scandir_path(), "a");
    if (!scanned) {
        if (errno == ENXIO || errno == ENOENT) {
            keel::warn("svscan not running on ", u.live.scandir());
        } else {
            warn_failed(b, {"unable to write to ", u.live.scandir(), "/", keel::sv::scanner_ctl_dir,
                            "/control"});
        }
    }
    const bool watch = b.exiting.open();
    for (uint32_t i = 0; i < u.on; ++i) {
        if (od.type(i) != keel::rc::Type::longrun || (u.oflags[i] & o_moved)) continue;
        if (!old_dir(b, i, p)) continue;
        keel::PathBuf<> log;
        const bool logged = log.set(p.view(), "/log/supervise") && exists(log);
        if (watch && keel::sv::supervised(p.c_str()) == 1 &&
            !b.exiting.add(i, p.c_str(), logged, where))
            keel::warn_sys("unable to subscribe to ", where.view());
        keel::rc::stop_supervisor(p.c_str(), false);
        if (logged && log.set(p.view(), "/log")) keel::rc::stop_supervisor(log.c_str(), true);
    }
    if (scanned) {
        if (b.starting.wait('s', u.o.deadline) != keel::sv::LetterEnd::seen)
            warn_timeout(b, b.starting, u.ndb, "of the new services");
        if (b.exiting.wait('x', u.o.deadline) != keel::sv::LetterEnd::seen)
            warn_timeout(b, b.exiting, od, "of the removed services to exit");
    }
    b.starting.stop();
    b.exiting.stop();
    for (uint32_t k = 0; k < b.nmoves; ++k) {
        const Move& m = b.moves[k];
        if (m.blocked && !m.had_down && new_dir(b, m.neu, p) &&
            keel::sv::write_control(p.c_str(), "U") != keel::sv::CtlResult::ok)
            warn_failed(b, {"unable to unblock ", p.view()});
    }
    if (!keel::remove_tree(b.oreal.c_str())) warn_failed(b, {"unable to remove ", b.oreal.view()});
}

void update(Update& u, Build& b)
{
    b.u = &u;
    if (!b.oreal.set(u.live.real())) keel::die_sys(keel::exit_sys, "unable to resolve ", u.o.live);
    // One zeroed block for all the arrays, the most aligned first.
    static_assert(alignof(Move) == alignof(uint32_t));
    b.moves = static_cast<Move*>(alloc_bytes(u.nn, sizeof(Move) + 2 * sizeof(uint32_t) + sizeof(bool)));
    b.fresh = reinterpret_cast<uint32_t*>(b.moves + u.nn);
    b.linked = b.fresh + u.nn;
    b.fresh_logged = reinterpret_cast<bool*>(b.linked + u.nn);
    if (!b.starting.reserve(u.nn) || !b.exiting.reserve(u.on))
        die_nomem();
    if (u.o.verbosity >= 2) keel::info("building the new live directory");
    build_dir(b);
    link_new(b);
    if (!keel::rc::switch_live(u.o.live, b.real.c_str()))
        fail(b, {"unable to switch ", u.o.live, " to ", b.real.view()});
    if (u.o.verbosity >= 2) keel::info("switched ", u.o.live, " to ", u.o.newdb);
    finish(b);
}

// Execs rc -u change on the services stopped for a restart (new names); returns if none.
// Copies s to w, NUL-terminated, and moves w past it; returns the copy.
char* put_arg(char*& w, std::string_view s)
{
    char* const a = w;
    if (!s.empty()) std::memcpy(w, s.data(), s.size());
    w[s.size()] = 0;
    w += s.size() + 1;
    return a;
}

void start_new(const Update& u)
{
    std::size_t count = 0, bytes = 2 * (sizeof(keel::NumText::buf) + 1); // and the numbers
    for (uint32_t x = 0; x < u.nn; ++x)
        if (u.nflags[x] & n_start) {
            ++count;
            bytes += u.ndb.name(x).size() + 1;
        }
    if (!count) return;
    char* w = alloc<char>(bytes);
    auto** argv = alloc<char*>(count + 12);
    keel::PathBuf<PATH_MAX> rc;
    if (!keel::program_path(rc, "rc")) keel::die_sys(keel::exit_sys, "unable to find rc");
    std::size_t m = 0;
    argv[m++] = const_cast<char*>(rc.c_str());
    argv[m++] = const_cast<char*>("-v");
    argv[m++] = put_arg(w, keel::fmt_number(u.o.verbosity));
    if (u.o.deadline >= 0) {
        std::int64_t left = u.o.deadline - keel::mono_now_ms();
        argv[m++] = const_cast<char*>("-t");
        argv[m++] = put_arg(w, keel::fmt_number(left < 1 ? std::int64_t(1) : left));
    }
    argv[m++] = const_cast<char*>("-l");
    argv[m++] = const_cast<char*>(u.o.live);
    argv[m++] = const_cast<char*>("-u");
    argv[m++] = const_cast<char*>("change");
    for (uint32_t x = 0; x < u.nn; ++x)
        if (u.nflags[x] & n_start) argv[m++] = put_arg(w, u.ndb.name(x));
    argv[m] = nullptr;
    if (u.o.verbosity >= 2) keel::info("starting the services that restart");
    // rc gets the signal state rc-update started with (the waits blocked the stop signals).
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv, environ);
    keel::die_exec(rc.view());
}

Options parse(int argc, char** argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "nv:t:l:f:bEe");
    while (const int c = opts.next()) {
        switch (c) {
        case 'n': o.dryrun = true; break;
        case 'v':
            if (!keel::scan_number(std::string_view(opts.arg()), o.verbosity)) keel::die_usage(usage);
            break;
        case 't':
            if (!keel::parse_timeout(opts.arg(), o.deadline)) keel::die_usage(usage);
            break;
        case 'l': o.live = opts.arg(); break;
        case 'f': o.convfile = opts.arg(); break;
        case 'b': o.block = true; break;
        case 'E': o.essentials = false; break;
        case 'e': o.essentials = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() != 1) keel::die_usage(usage);
    o.newdb = argv[opts.index()];
    if (o.newdb[0] != '/') keel::die(keel::exit_usage, "newdb must be an absolute path");
    if (o.live[0] != '/') keel::die(keel::exit_usage, "live must be an absolute path");
    return o;
}

void open_live(Update& u)
{
    if (u.live.open(u.o.live, keel::LockKind::Exclusive,
                    u.o.block ? keel::lock_forever : keel::lock_no_wait))
        return;
    switch (u.live.failed()) {
    case keel::rc::LiveStep::lock:
        keel::die_sys(keel::exit_sys, "unable to lock ", u.o.live, "/", keel::rc::live_lock);
    case keel::rc::LiveStep::db:
        if (errno == EINVAL)
            keel::die(exit_invalid, "invalid database: ", u.o.live, "/", keel::rc::live_compiled,
                      "/db");
        [[fallthrough]];
    default: keel::die_sys(keel::exit_sys, "unable to read live state in ", u.o.live);
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-update";
    Update u;
    u.o = parse(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    open_live(u);
    if (!u.ndb.load(u.o.newdb)) {
        if (errno == EINVAL) keel::die(exit_invalid, "invalid database: ", u.o.newdb, "/db");
        keel::die_sys(keel::exit_sys, "unable to load ", u.o.newdb, "/db");
    }
    u.on = u.live.size();
    u.nn = u.ndb.size();
    // One zeroed block for all the arrays, the most aligned first.
    const std::size_t most = u.on > u.nn ? u.on : u.nn;
    u.targets = static_cast<std::span<const uint32_t>*>(
        alloc_bytes(1, sizeof *u.targets * u.on + sizeof(uint32_t) * (u.nn + 3 * std::size_t{u.on}) +
                           u.on + u.nn + most));
    u.inv = reinterpret_cast<uint32_t*>(u.targets + u.on);
    u.line = u.inv + u.nn;
    u.rename_off = u.line + u.on;
    u.rename_len = u.rename_off + u.on;
    u.oflags = reinterpret_cast<uint8_t*>(u.rename_len + u.on);
    u.nflags = u.oflags + u.on;
    u.sel = u.nflags + u.nn;
    for (uint32_t x = 0; x < u.nn; ++x) u.inv[x] = none_index;
    read_convfile(u);
    map_services(u);
    plan(u);
    check_essentials(u);
    if (u.o.dryrun) {
        print_plan(u);
        return 0;
    }
    stop_old(u);
    Build b;
    update(u, b);
    start_new(u); // returns only if nothing restarts
    return b.worst;
}
