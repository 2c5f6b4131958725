// svscanboot: start a self-logging supervision tree under another init (s6-svscanboot 2.15).
// It writes SCANDIR/s6-svscan-log, the catch-all logger (fifo, notification-fd, a /bin/sh run
// script: redirfd -rnb 0 fifo [setuidgid USER] env -i svlog -bpd3 -- LOGOPTS DIR), keeps the
// console on fd 3 (4 with -d 3), makes that FIFO its stdout and stderr without waiting for the
// logger (the FIFO trick), and execs svscan -X CONSOLEFD ... SCANDIR.
#include "keel/buf.h"
#include "keel/env.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/rmtree.h"
#include "keel/str.h"
#include "keel/uidgid.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "svscanboot [ -c console ] [ -D catchalldir ] [ -m mode ] [ -l user ] [ -o logopts ] "
    "[ -u ] [ -d notif ] [ -C max ] [ -L name_max ] [ -t rescan ] scandir";

constexpr keel::LongOpt longs[] = {
    {.name = "console", .key = 'c', .has_arg = true},
    {.name = "catchall-directory", .key = 'D', .has_arg = true},
    {.name = "catchall-mode", .key = 'm', .has_arg = true},
    {.name = "catchall-user", .key = 'l', .has_arg = true},
    {.name = "catchall-options", .key = 'o', .has_arg = true},
    {.name = "user", .key = 'u', .has_arg = false},
    {.name = "notification-fd", .key = 'd', .has_arg = true},
    {.name = "services-max", .key = 'C', .has_arg = true},
    {.name = "name-max", .key = 'L', .has_arg = true},
    {.name = "timeout", .key = 't', .has_arg = true},
};

constexpr char logger_dir[] = "s6-svscan-log";

struct Options {
    const char* console = nullptr;
    const char* dir = nullptr;
    const char* user = nullptr;
    const char* logopts = "t";
    unsigned mode = 02750;
    bool per_user = false;
    unsigned notif = 0, services_max = 0, name_max = 0, timeout = 0;
};

unsigned number(const char* s, std::string_view what)
{
    unsigned n;
    if (!keel::scan_number(std::string_view(s), n))
        keel::die(keel::exit_usage, what, " must be an unsigned integer");
    return n;
}

// A number as a NUL-terminated argument.
struct Arg {
    char s[16]{};
};
Arg arg(unsigned v)
{
    Arg a;
    (void)std::to_chars(a.s, a.s + sizeof a.s - 1, v);
    return a;
}

unsigned clamp(unsigned n, unsigned lo, unsigned hi) { return n < lo ? lo : n > hi ? hi : n; }

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "c:D:m:l:o:ud:C:L:t:", longs);
    while (int c = opts.next()) {
        switch (c) {
        case 'c': o.console = opts.arg(); break;
        case 'D': o.dir = opts.arg(); break;
        case 'm':
            if (!keel::scan_number(std::string_view(opts.arg()), o.mode, 8) || o.mode > 07777)
                keel::die(keel::exit_usage, "catchall-mode must be an (octal) unsigned integer");
            break;
        case 'l': o.user = opts.arg(); break;
        case 'o': o.logopts = opts.arg(); break;
        case 'u': o.per_user = true; break;
        case 'd':
            o.notif = number(opts.arg(), "notification-fd");
            if (o.notif < 3 || o.notif > INT_MAX)
                keel::die(keel::exit_usage, "notification-fd must be 3 or greater");
            break;
        case 'C': o.services_max = clamp(number(opts.arg(), "services-max"), 4, 160000); break;
        case 'L': o.name_max = clamp(number(opts.arg(), "name-max"), 11, 1019); break;
        case 't': o.timeout = number(opts.arg(), "timeout"); break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 1) keel::die_usage(usage);
    return o;
}

// mkdir(2), where an existing directory is fine but anything else in the way is ENOTDIR.
bool make_dir(const char* path, mode_t mode)
{
    if (mkdir(path, mode) == 0) return true;
    if (errno != EEXIST) return false;
    struct stat st;
    if (stat(path, &st) < 0) return false;
    errno = ENOTDIR;
    return S_ISDIR(st.st_mode);
}

// mkdir -p: missing parents get 0755, path itself mode (both filtered by the umask).
bool make_dirs(const char* path, mode_t mode)
{
    const std::string_view v = path;
    keel::PathBuf<> parent;
    for (std::size_t i = 1; i < v.size(); ++i) {
        if (v[i] != '/' || v[i - 1] == '/') continue;
        if (!parent.set(keel::head(v, i)) || !make_dir(parent.c_str(), 0755)) return false;
    }
    return make_dir(path, mode);
}

// s one sh word: in single quotes, each ' written as '\''.
bool put_quoted(keel::Writer& w, std::string_view s)
{
    if (!w.put('\'')) return false;
    for (const char c : s)
        if (!(c == '\'' ? w.put("'\\''") : w.put(c))) return false;
    return w.put('\'');
}

// The logger's run script. Paths are quoted; logopts is split at blanks into directives.
bool write_run(int fd, const Options& o, const char* logdir)
{
    keel::PathBuf<> redirfd, setuidgid, svlog;
    if (!keel::program_path(redirfd, "redirfd") || !keel::program_path(svlog, "svlog") ||
        (o.user && !keel::program_path(setuidgid, "setuidgid")))
        return false;
    keel::BufWriter<4096> w(fd);
    constexpr std::string_view head = "#!/bin/sh\n# The catch-all logger, written by svscanboot.\n"
                                      "exec 1>&2\nexec ";
    bool ok = w.put(head) && put_quoted(w, redirfd.view()) && w.put(" -rnb 0 fifo ");
    if (ok && o.user)
        ok = put_quoted(w, setuidgid.view()) && w.put(' ') && put_quoted(w, o.user) && w.put(' ');
    ok = ok && w.put("/usr/bin/env -i ") && put_quoted(w, svlog.view()) && w.put(" -bpd3 --");
    constexpr std::string_view blanks = " \t\n";
    const std::string_view opts = o.logopts;
    for (std::size_t i = 0; ok && i < opts.size();) {
        const std::size_t start = opts.find_first_not_of(blanks, i);
        if (start == opts.npos) break;
        std::size_t end = opts.find_first_of(blanks, start);
        if (end == opts.npos) end = opts.size();
        ok = w.put(' ') && put_quoted(w, keel::sub(opts, start, end - start));
        i = end;
    }
    return ok && w.put(' ') && put_quoted(w, logdir) && w.put('\n') && w.flush();
}

// Writes path with content, mode set exactly.
bool write_file(const char* path, std::string_view content, mode_t mode)
{
    keel::Fd fd = keel::open_file(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    return fd && keel::write_all(fd.get(), content) && fchmod(fd.get(), mode) == 0;
}

// The catch-all directory, made absolute for the run script.
void make_logdir(Options& o, keel::PathBuf<>& logdir, char (&real)[PATH_MAX])
{
    if (o.user && geteuid() != 0) {
        keel::warn("ignoring catchall-user option when not root");
        o.user = nullptr;
    }
    if (o.per_user && (!o.dir || o.dir[0] != '/')) {
        const char* xdg = keel::env_get("XDG_RUNTIME_DIR");
        if (!xdg) keel::die(keel::exit_usage, "XDG_RUNTIME_DIR not set");
        if (!logdir.set(xdg, "/", o.dir ? o.dir : "uncaught-logs"))
            keel::die_sys(keel::exit_sys, "unable to mkdir ", xdg, "/", o.dir ? o.dir : "");
    } else if (!logdir.set(o.dir ? o.dir : "/run/uncaught-logs")) {
        keel::die_sys(keel::exit_sys, "unable to mkdir ", o.dir ? o.dir : "");
    }
    keel::UserIds ids{static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
    if (o.user) {
        switch (keel::find_user(o.user, ids)) {
        case keel::Lookup::found: break;
        case keel::Lookup::unknown: keel::die(keel::exit_sys, "unknown user: ", o.user);
        case keel::Lookup::error: keel::die_sys(keel::exit_sys, "unable to look up user ", o.user);
        }
    }
    const char* d = logdir.c_str();
    if (!make_dirs(d, o.mode)) keel::die_sys(keel::exit_sys, "unable to mkdir ", d);
    if (o.user && chown(d, ids.uid, ids.gid) < 0)
        keel::die_sys(keel::exit_sys, "unable to chown ", d);
    if (chmod(d, o.mode) < 0) keel::die_sys(keel::exit_sys, "unable to chmod ", d);
    if (!realpath(d, real)) keel::die_sys(keel::exit_sys, "unable to resolve ", d);
}

// SCANDIR/s6-svscan-log, made afresh.
void make_logger(const char* scandir, const Options& o, const char* logdir)
{
    keel::PathBuf<> svc, file;
    if (!svc.set(scandir, "/", logger_dir))
        keel::die_sys(keel::exit_sys, "unable to mkdir ", scandir, "/", logger_dir);
    const char* s = svc.c_str();
    if (!make_dirs(scandir, 0755)) keel::die_sys(keel::exit_sys, "unable to mkdir ", scandir);
    if (!keel::remove_tree(s)) keel::die_sys(keel::exit_sys, "unable to remove ", s);
    if (mkdir(s, 02755) < 0) keel::die_sys(keel::exit_sys, "unable to mkdir ", s);
    if (chmod(s, 02755) < 0) keel::die_sys(keel::exit_sys, "unable to chmod ", s);
    if (!file.set(s, "/notification-fd") || !write_file(file.c_str(), "3\n", 0644))
        keel::die_sys(keel::exit_sys, "unable to write to ", s, "/notification-fd");
    if (!file.set(s, "/run")) keel::die_sys(keel::exit_sys, "unable to write to ", s, "/run");
    keel::Fd run = keel::open_file(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (!run || !write_run(run.get(), o, logdir) || fchmod(run.get(), 0755) < 0)
        keel::die_sys(keel::exit_sys, "unable to write to ", file.view());
    if (!file.set(s, "/fifo") || mkfifo(file.c_str(), 0600) < 0 || chmod(file.c_str(), 0600) < 0)
        keel::die_sys(keel::exit_sys, "unable to mkfifo ", s, "/fifo");
}

// stdin from /dev/null, the console on console_fd, stdout and stderr into the logger's FIFO.
void redirect(const char* scandir, const Options& o, int console_fd)
{
    keel::Fd null = keel::open_read("/dev/null");
    if (!null || !keel::fd_move(0, null.release()))
        keel::die_sys(keel::exit_sys, "unable to redirect stdin to /dev/null");
    if (o.console) {
        keel::Fd con = keel::open_file(o.console, O_WRONLY | O_NOCTTY);
        if (!con) keel::die_sys(keel::exit_sys, "unable to open ", o.console);
        if (!keel::fd_move(console_fd, con.release()))
            keel::die_sys(keel::exit_sys, "unable to move ", o.console, " to fd ",
                          keel::fmt_number(console_fd));
    } else if (!keel::fd_copy(console_fd, 2)) {
        keel::die_sys(keel::exit_sys, "unable to copy stderr to fd ", keel::fmt_number(console_fd));
    }
    keel::PathBuf<> fifo;
    if (!fifo.set(scandir, "/", logger_dir, "/fifo"))
        keel::die_sys(keel::exit_sys, "unable to open ", scandir, "/", logger_dir, "/fifo");
    // A reader for the time of the open, so the write end opens at once; the logger opens its
    // own reader later, and until then writes fill the pipe (or fail with EPIPE).
    keel::Fd reader = keel::open_file(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    if (!reader) keel::die_sys(keel::exit_sys, "unable to open ", fifo.view(), " for reading");
    keel::Fd writer = keel::open_file(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (!writer) keel::die_sys(keel::exit_sys, "unable to open ", fifo.view(), " for writing");
    reader.reset();
    if (!keel::set_nonblock(writer.get(), false))
        keel::die_sys(keel::exit_sys, "unable to make ", fifo.view(), " blocking");
    if (!keel::fd_move(1, writer.release()) || !keel::fd_copy(2, 1)) {
        (void)keel::fd_copy(2, console_fd);
        keel::die_sys(keel::exit_sys, "unable to redirect stdout and stderr to ", fifo.view());
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svscanboot";
    Options o = parse(argc, argv);
    const char* scandir = argv[0];
    int console_fd = 3;
    if (o.notif) {
        if (fcntl(static_cast<int>(o.notif), F_GETFD) < 0)
            keel::die_sys(keel::exit_sys, "notification-fd sanity check failed");
        if (o.notif == 3) console_fd = 4;
    }
    keel::PathBuf<> svscan;
    if (!keel::program_path(svscan, "svscan"))
        keel::die_sys(keel::exit_sys, "unable to find svscan");

    keel::PathBuf<> logdir;
    static char real[PATH_MAX];
    make_logdir(o, logdir, real);
    make_logger(scandir, o, real);
    redirect(scandir, o, console_fd);

    const Arg con = arg(static_cast<unsigned>(console_fd)), notif = arg(o.notif),
              smax = arg(o.services_max), nmax = arg(o.name_max), tmo = arg(o.timeout);
    std::array<const char*, 14> args{};
    std::size_t n = 0;
    args[n++] = svscan.c_str();
    args[n++] = "-X";
    args[n++] = con.s;
    const auto add = [&](const char* opt, unsigned v, const Arg& a) {
        if (!v) return;
        args[n++] = opt;
        args[n++] = a.s;
    };
    add("-d", o.notif, notif);
    add("-C", o.services_max, smax);
    add("-L", o.name_max, nmax);
    add("-t", o.timeout, tmo);
    args[n++] = "--";
    args[n++] = scandir;
    execv(args[0], const_cast<char* const*>(args.data()));
    // Tell the console, not the FIFO nobody reads yet.
    const int e = errno;
    (void)keel::fd_move(2, console_fd);
    errno = e;
    keel::die_exec(svscan.view());
}
