// svperms: show or change who may read a service's status (the mode of DIR/supervise), send it
// commands (DIR/supervise/control) and subscribe to its events (the DIR/event fifodir).
// Without change options it prints three lines per DIR; with them it sets the same modes and
// groups on every DIR (and prints them again with -v). s6-svperms compatible (s6 2.13+).
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/fifodir.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/uidgid.h"

#include <cerrno>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "svperms [ -v ] [ -u | -g group | -G group | -o | -O group ] [ -e | -E group ] servicedir...";

// A permission found wrong while reading back: exit 1, as s6-svperms.
constexpr int exit_bad_perms = 1;

// What -u -g -G -o -O ask for: who reads the status, and whether a group may control.
enum class Status { owner, group, public_ };

struct Options {
    bool print = false;   // -v, or no change option
    bool change_sv = false;
    bool change_ev = false;
    Status status = Status::owner;
    bool group_control = false; // -G, -O
    gid_t gid = 0;              // the group of -g -G -O
    bool ev_public = true;      // -e; -E sets a group
    gid_t ev_gid = 0;
};

constexpr gid_t no_gid = static_cast<gid_t>(-1);

// "NAME" from the group database, or ":GID".
gid_t scan_group(const char* s)
{
    gid_t g = 0;
    if (s[0] == ':') {
        if (!keel::scan_number(std::string_view(s + 1), g) || g == no_gid)
            keel::die_usage(usage);
        return g;
    }
    switch (keel::find_group(s, g)) {
    case keel::Lookup::found: return g;
    case keel::Lookup::unknown:
        keel::die(keel::exit_usage, "unable to find entry for ", s, " in group database");
    case keel::Lookup::error: break;
    }
    keel::die_sys(keel::exit_sys, "unable to read the group database");
}

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "vug:G:oO:eE:");
    while (int c = opts.next()) {
        switch (c) {
        case 'v': o.print = true; break;
        case 'u':
        case 'o':
            o.change_sv = true;
            o.status = c == 'u' ? Status::owner : Status::public_;
            o.group_control = false;
            break;
        case 'g':
        case 'G':
            o.change_sv = true;
            o.status = Status::group;
            o.group_control = c == 'G';
            o.gid = scan_group(opts.arg());
            break;
        case 'O':
            o.change_sv = true;
            o.status = Status::public_;
            o.group_control = true;
            o.gid = scan_group(opts.arg());
            break;
        case 'e':
            o.change_ev = true;
            o.ev_public = true;
            break;
        case 'E':
            o.change_ev = true;
            o.ev_public = false;
            o.ev_gid = scan_group(opts.arg());
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 1) keel::die_usage(usage);
    if (!o.change_sv && !o.change_ev) o.print = true;
    return o;
}

// DIR/supervise, DIR/supervise/control or DIR/event, built or fatal.
struct Path : keel::PathBuf<> {
    Path(const char* dir, std::string_view sub)
    {
        if (!set(dir, sub)) keel::die_sys(keel::exit_sys, "unable to stat ", dir, sub);
    }
};

// The primary group of the owner of path: the group a restrictive mode leaves the file to.
gid_t owner_group(const Path& path)
{
    struct stat st;
    if (stat(path.c_str(), &st) < 0) keel::die_sys(keel::exit_sys, "unable to stat ", path.view());
    keel::UserIds ids;
    const keel::Lookup l = keel::find_user_by_uid(st.st_uid, ids);
    if (l == keel::Lookup::found) return ids.gid;
    const auto what = "determine primary gid for the owner of ";
    if (l == keel::Lookup::error)
        keel::warn_sys("unable to ", what, path.view(), " (using root instead)");
    else keel::warn("unable to ", what, path.view(), " (using root instead)");
    return 0;
}

void set_perms(const Path& path, gid_t gid, mode_t mode)
{
    if (chown(path.c_str(), static_cast<uid_t>(-1), gid) < 0)
        keel::die_sys(keel::exit_sys, "unable to chown ", path.view());
    if (chmod(path.c_str(), mode) < 0) keel::die_sys(keel::exit_sys, "unable to chmod ", path.view());
}

void change_supervise(const char* dir, const Options& o)
{
    const Path sv(dir, "/supervise"), control(dir, "/supervise/control");
    switch (o.status) {
    case Status::owner: set_perms(sv, owner_group(sv), 0700); break;
    case Status::group: set_perms(sv, o.gid, 0710); break;
    case Status::public_: set_perms(sv, owner_group(sv), 0711); break;
    }
    if (o.group_control) set_perms(control, o.gid, 0620);
    else set_perms(control, owner_group(control), 0600);
}

void change_events(const char* dir, const Options& o)
{
    const Path ev(dir, "/event");
    if (o.ev_public) set_perms(ev, owner_group(ev), keel::ftrig::public_mode);
    else set_perms(ev, o.ev_gid, keel::ftrig::restricted_mode);
}

// Printing: stdout carries the three lines; anything wrong is a warning and makes exit 1.
void put(keel::Writer& out, std::string_view s)
{
    if (!out.put(s)) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

void put_group(keel::Writer& out, gid_t gid)
{
    put(out, "group ");
    char name[256];
    const keel::Lookup l = keel::find_group_name(gid, name);
    if (l == keel::Lookup::found) {
        put(out, name);
        return;
    }
    const keel::NumText n = keel::fmt_number(gid);
    if (l == keel::Lookup::error) keel::warn_sys("unable to look up group ", n);
    put(out, n);
}

// stat()s path and checks its type and mode; false after a warning.
bool check(const Path& path, struct stat& st, bool fifo, bool (*mode_ok)(mode_t))
{
    if (stat(path.c_str(), &st) < 0) {
        keel::warn_sys("unable to stat ", path.view());
        return false;
    }
    if (fifo ? !S_ISFIFO(st.st_mode) : !S_ISDIR(st.st_mode)) {
        keel::warn(path.view(), fifo ? " is not a named pipe" : " is not a directory");
        return false;
    }
    if (!mode_ok(st.st_mode & 07777)) {
        keel::warn(path.view(), " has incorrect permissions: ", keel::fmt_number(st.st_mode & 07777, 8));
        return false;
    }
    return true;
}

// The supervisor's own rwx is needed; nobody else may write, or get setuid/setgid bits;
// search for others without search for the group makes no sense.
bool supervise_mode_ok(mode_t m)
{
    return !(m & 05066) && (m & 0700) == 0700 && (!(m & 0001) || (m & 0010));
}
bool control_mode_ok(mode_t m) { return !(m & 0157); }
bool event_mode_ok(mode_t m)
{
    return m == keel::ftrig::public_mode || m == keel::ftrig::restricted_mode;
}

bool print_supervise(keel::Writer& out, const char* dir)
{
    const Path sv(dir, "/supervise"), control(dir, "/supervise/control");
    struct stat st;
    if (!check(sv, st, false, supervise_mode_ok)) return false;
    put(out, dir);
    put(out, " status: ");
    if (st.st_mode & 0001) put(out, "public");
    else if (st.st_mode & 0010) put_group(out, st.st_gid);
    else put(out, "owner");
    put(out, "\n");
    if (!check(control, st, true, control_mode_ok)) return false;
    put(out, dir);
    put(out, " control: ");
    if (st.st_mode & 0020) put_group(out, st.st_gid);
    else put(out, "owner");
    put(out, "\n");
    return true;
}

bool print_events(keel::Writer& out, const char* dir)
{
    const Path ev(dir, "/event");
    struct stat st;
    if (!check(ev, st, false, event_mode_ok)) return false;
    put(out, dir);
    put(out, " events: ");
    if ((st.st_mode & 07777) == keel::ftrig::restricted_mode) put_group(out, st.st_gid);
    else put(out, "public");
    put(out, "\n");
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svperms";
    const Options o = parse(argc, argv);
    keel::BufWriter<4096> out(1);
    int code = 0;
    for (int i = 0; i < argc; ++i) {
        if (o.change_sv) change_supervise(argv[i], o);
        if (o.change_ev) change_events(argv[i], o);
        if (!o.print) continue;
        // Flushed per DIR, so the lines and the warnings about a DIR come out in order.
        if (!print_supervise(out, argv[i])) code = exit_bad_perms;
        if (!print_events(out, argv[i])) code = exit_bad_perms;
        if (!out.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
    }
    return code;
}
