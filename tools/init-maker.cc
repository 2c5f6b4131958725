// init-maker: write, offline, the directory that boots Linux (or runs a container) the
// s6-linux-init way (s6-linux-init-maker's options, file names and run-image layout): bin/init
// (stage1's command line) and the halt/poweroff/reboot/shutdown/telinit commands, env/,
// scripts/ copied from a skeleton, and run-image/, the early scan directory that stage1 copies
// onto /run: catch-all logger, shutdownd, runleveld, .s6-svscan signal scripts. Every script
// is POSIX sh naming keel programs by absolute path. DIR must not exist; on failure it is
// removed.
#include "keel/buf.h"
#include "keel/config.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/init.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/rlimit.h"
#include "keel/rmtree.h"
#include "keel/shword.h"
#include "keel/slurp.h"
#include "keel/str.h"
#include "keel/uidgid.h"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "init-maker [ -V boot_verbosity ] [ -c basedir ] [ -u log_user ] [ -G early_getty_cmd ] "
    "[ -1 ] [ -L ] [ -p initial_path ] [ -m umask ] [ -t timestamp_style ] [ -d slashdev ] "
    "[ -s env_store ] [ -e VAR[=VALUE] ]... [ -q grace_ms ] [ -D initdefault ] [ -n | -N ] "
    "[ -f skeldir ] [ -R limits ] [ -C ] [ -B ] [ -S ] [ -W readyfd ] [ -M ] DIR";

using keel::init::container_results;
using keel::init::getty_service;
using keel::init::logger_service;
using keel::init::runleveld_service;
using keel::init::shutdownd_service;

struct Options {
    const char* verbosity = "1";
    const char* basedir = keel::init::default_basedir;
    const char* log_user = "root";
    const char* getty = nullptr;
    const char* path = nullptr;
    const char* slashdev = nullptr;
    const char* env_store = nullptr;
    const char* initdefault = nullptr;
    const char* skeldir = keel::config::skeldir;
    const char* limits = nullptr;
    const char* readyfd = nullptr;
    unsigned umask = 022;
    unsigned timestamps = 1;
    std::uint32_t grace = keel::init::default_grace_ms;
    char mount = 0; // 0: stage1 mounts /run; 'n': remount it; 'N': leave it alone
    bool console = false, container = false, no_logger = false, sync = false, mounts = false;
};

// DIR once this program has created it: removed on any failure from then on.
constinit const char* made = nullptr;

template <class... A>
[[noreturn]] void fail(const A&... a) noexcept
{
    const int e = errno;
    if (made) (void)keel::remove_tree(made);
    errno = e;
    keel::die_sys(keel::exit_sys, a...);
}

template <class T>
T number(const char* s, int base = 10)
{
    T n;
    if (!keel::scan_number(std::string_view(s), n, base)) keel::die_usage(usage);
    return n;
}

// -R: letter+value pairs ("o2000,c0,d="), separated by runs of ',' ';' or blanks; each letter
// is one of softlimit's, each value a number or "=". Calls put(letter, value) for each pair.
template <class F>
bool for_each_limit(std::string_view s, F put)
{
    constexpr std::string_view seps = ",; \t\n";
    bool any = false;
    std::size_t i = s.find_first_not_of(seps);
    while (i != s.npos) {
        const char letter = s[i];
        std::size_t end = s.find_first_of(seps, i);
        if (end == s.npos) end = s.size();
        const std::string_view value(s.data() + i + 1, end - i - 1);
        keel::LimitValue v;
        if (std::string_view("acdflmoprst").find(letter) == s.npos ||
            !keel::scan_limit_value(value, v) || !put(letter, value))
            return false;
        any = true;
        i = s.find_first_not_of(seps, end);
    }
    return any;
}

// One generated file, written through a buffer; any error is remembered and reported, with
// DIR removed, by done().
class File {
public:
    File(int dirfd, const char* rel, mode_t mode) noexcept
        : rel_(rel), fd_(keel::open_at(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL, mode)),
          w_(fd_.get()), ok_(fd_.valid())
    {}

    File& put(std::string_view s) noexcept
    {
        ok_ = ok_ && w_.put(s);
        return *this;
    }
    // A space (unless at the start of a line), then s as one sh word.
    File& word(std::string_view s) noexcept
    {
        if (!at_line_start_) put(" ");
        ok_ = ok_ && keel::put_sh_word(w_, s);
        at_line_start_ = false;
        return *this;
    }
    // s as one sh word, right here.
    File& quoted(std::string_view s) noexcept
    {
        ok_ = ok_ && keel::put_sh_word(w_, s);
        return *this;
    }
    // The keel program name as one word: its installed (or KEEL_BINDIR) absolute path.
    File& prog(const char* name) noexcept
    {
        keel::PathBuf<> p;
        if (!keel::program_path(p, name)) ok_ = false;
        return word(p.view());
    }
    File& line(std::string_view s) noexcept
    {
        put(s).put("\n");
        at_line_start_ = true;
        return *this;
    }
    File& end() noexcept { return line(""); }
    // "exec " then words follow.
    File& exec() noexcept
    {
        put("exec");
        at_line_start_ = false;
        return *this;
    }

    // "#!/bin/sh" and the comment lines.
    File& head(std::string_view comment) noexcept { return line("#!/bin/sh").put(comment); }

    void done() noexcept
    {
        if (!ok_ || !w_.flush()) fail("unable to write to ", made, "/", rel_);
    }

private:
    const char* rel_;
    keel::Fd fd_;
    keel::BufWriter<4096> w_;
    bool ok_;
    bool at_line_start_ = true;
};

// A file of mode 0755 that starts with "#!/bin/sh" and a comment.
class Script : public File {
public:
    Script(int dirfd, const char* rel, std::string_view comment) noexcept : File(dirfd, rel, 0755)
    {
        head(comment);
    }
};

class Tree {
public:
    Tree(int dirfd, const Options& o) noexcept : dfd_(dirfd), o_(o) {}

    // A directory owned by whoever runs init-maker, or by uid:gid when given (uncaught-logs).
    static constexpr uid_t any_uid = static_cast<uid_t>(-1);
    void dir(const char* rel, mode_t mode = 0755, uid_t uid = any_uid, gid_t gid = 0) noexcept
    {
        if (mkdirat(dfd_, rel, mode) < 0) fail("unable to mkdir ", made, "/", rel);
        struct stat st;
        if (fstatat(dfd_, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) fail("unable to stat ", made, "/", rel);
        // chown only when needed, so that a non-root user can make a tree for himself.
        if (uid != any_uid && (st.st_uid != uid || st.st_gid != gid)
            && fchownat(dfd_, rel, uid, gid, 0) < 0)
            fail("unable to chown ", made, "/", rel);
        // mkdir(2) ignores the setgid bit, and chown may clear it.
        if ((mode & 07000) && fchmodat(dfd_, rel, mode, 0) < 0)
            fail("unable to chmod ", made, "/", rel);
    }
    void data(const char* rel, std::string_view content) noexcept
    {
        File f(dfd_, rel, 0644);
        f.put(content).done();
    }
    void fifo(const char* rel) noexcept
    {
        if (mkfifoat(dfd_, rel, 0600) < 0) fail("unable to mkfifo ", made, "/", rel);
    }
    void symlink(const char* rel, const char* target) noexcept
    {
        if (symlinkat(target, dfd_, rel) < 0)
            fail("unable to make a symlink named ", made, "/", rel, " pointing to ", target);
    }
    void copy_script(const char* name, bool mandatory) noexcept;

    void env(const char* arg) noexcept;
    void bins() noexcept;
    void image(uid_t log_uid, gid_t log_gid) noexcept;
    void scripts() noexcept;

private:
    void stage1() noexcept;
    void hpr(const char* rel, char what) noexcept;
    void client(const char* rel, const char* name) noexcept;
    void signal(const char* rel, const char* option) noexcept;
    void svscan_death(const char* rel, std::string_view how) noexcept;
    void container_finish() noexcept;
    void container_crash() noexcept;
    void logger() noexcept;
    void shutdownd() noexcept;
    void runleveld() noexcept;
    void getty() noexcept;

    int dfd_;
    const Options& o_;
};

// --- env/ and scripts/ --------------------------------------------------------------------

// -e VAR=VALUE: "VALUE\n"; -e VAR=: "\n" (set, empty); -e VAR: empty file (unset).
void Tree::env(const char* arg) noexcept
{
    const std::string_view a = arg;
    const std::size_t eq = a.find('=');
    const std::string_view name = keel::head(a, eq);
    keel::PathBuf<> rel;
    if (!rel.set("env/", name)) fail("unable to write to ", made, "/env/", name);
    // The same VAR given twice: the last -e wins.
    if (unlinkat(dfd_, rel.c_str(), 0) < 0 && errno != ENOENT)
        fail("unable to unlink ", made, "/", rel.view());
    File f(dfd_, rel.c_str(), 0644);
    if (eq != a.npos) f.put(keel::sub(a, eq + 1)).put("\n");
    f.done();
}

// In the skeleton's files, init-maker replaces this token by where keel's programs are, their
// directory and name prefix as one sh word ('/usr/bin/', say): the scripts run keel's programs
// by full path, never a shell's own command of the same name (busybox's svc and svok).
constexpr std::string_view programs_token = "@KEEL_PROGRAMS@";

void Tree::copy_script(const char* name, bool mandatory) noexcept
{
    keel::PathBuf<> src, dst;
    if (!src.set(o_.skeldir, "/", name) || !dst.set("scripts/", name))
        fail("unable to copy ", o_.skeldir, "/", name);
    keel::Fd in = keel::open_read(src.c_str());
    if (!in) {
        if (errno == ENOENT && !mandatory) return;
        fail("unable to copy ", src.view(), " to ", made, "/", dst.view());
    }
    keel::Slurp text;
    if (!text.read(in.get())) fail("unable to copy ", src.view(), " to ", made, "/", dst.view());
    keel::PathBuf<> programs;
    if (!keel::program_path(programs, "")) fail("unable to copy ", src.view(), " to ", made, "/", dst.view());
    File out(dfd_, dst.c_str(), 0755);
    std::string_view rest = text.view();
    for (std::size_t at; (at = rest.find(programs_token)) != rest.npos;) {
        out.put(keel::head(rest, at)).quoted(programs.view());
        rest.remove_prefix(at + programs_token.size());
    }
    out.put(rest).done();
}

void Tree::scripts() noexcept
{
    dir("scripts");
    copy_script("rc.init", true);
    copy_script("rc.shutdown", true);
    copy_script("rc.shutdown.final", false);
    if (!o_.container) copy_script("runlevel", true);
}

// --- bin/ -----------------------------------------------------------------------------------

void Tree::stage1() noexcept
{
    Script f(dfd_, "bin/init",
                    o_.container
                 ? "# Stage 1, written by init-maker: the container's process 1. stage1 mounts\n"
                   "# a tmpfs on /run, copies BASEDIR/run-image onto it, starts stage 2\n"
                   "# (BASEDIR/scripts/rc.init default ARGS...) and becomes svscan /run/service.\n"
                 : "# Stage 1, written by init-maker: the kernel runs this as process 1. stage1\n"
                   "# mounts a tmpfs on /run, copies BASEDIR/run-image onto it, starts stage 2\n"
                   "# (BASEDIR/scripts/rc.init RUNLEVEL ARGS...) and becomes svscan /run/service.\n"
                   "# Run by hand as \"init RUNLEVEL\", it changes the runlevel instead.\n");
    f.exec();
    if (o_.limits) {
        f.prog("softlimit").word("-H");
        (void)for_each_limit(o_.limits, [&f](char letter, std::string_view value) {
            const char opt[] = {'-', letter};
            f.word({opt, 2}).word(value);
            return true;
        });
        f.word("--");
    }
    if (o_.mounts) {
        f.prog("mount-stage1");
        if (o_.container) f.word("-C");
        f.word("--");
    }
    const keel::NumText umask = keel::fmt_number(o_.umask, 8);
    keel::PathBuf<16> m;
    (void)m.set("00", umask.view());
    f.prog("stage1").word("-v").word(o_.verbosity).word("-m").word(m.view());
    f.word("-c").word(o_.basedir);
    if (o_.path) f.word("-p").word(o_.path);
    if (o_.env_store) f.word("-s").word(o_.env_store);
    if (o_.slashdev) f.word("-d").word(o_.slashdev);
    if (o_.initdefault) f.word("-D").word(o_.initdefault);
    if (o_.readyfd) f.word("-W").word(o_.readyfd);
    const char mount = o_.mounts ? 'N' : o_.mount;
    if (mount == 'n') f.word("-n");
    if (mount == 'N') f.word("-N");
    if (o_.container) f.word("-C");
    if (o_.no_logger) f.word("-B");
    f.word("--").put(" \"$@\"").end().done();
}

// bin/halt, poweroff, reboot: init-hpr -h|-p|-r; in a container without -S, no sync (-n).
void Tree::hpr(const char* rel, char what) noexcept
{
    Script f(dfd_, rel, "# Asks shutdownd for a shutdown now (init-hpr).\n");
    const bool no_sync = o_.container && !o_.sync;
    const char opt[] = {'-', 'n', what};
    const char opt_sync[] = {'-', what};
    f.exec().prog("init-hpr");
    f.word(no_sync ? std::string_view(opt, 3) : std::string_view(opt_sync, 2));
    f.put(" \"$@\"").end().done();
}

// bin/shutdown, bin/telinit: a symbolic link to the program, or a wrapper if its path is not
// absolute.
void Tree::client(const char* rel, const char* name) noexcept
{
    keel::PathBuf<> p;
    if (!keel::program_path(p, name)) fail("unable to write to ", made, "/", rel);
    if (p.view().starts_with('/')) return symlink(rel, p.c_str());
    Script f(dfd_, rel, "");
    f.exec().prog(name).put(" \"$@\"").end().done();
}

void Tree::bins() noexcept
{
    dir("bin");
    stage1();
    hpr("bin/halt", 'h');
    hpr("bin/poweroff", 'p');
    hpr("bin/reboot", 'r');
    client("bin/shutdown", "init-shutdown");
    if (!o_.container) client("bin/telinit", "init-telinit");
}

// --- run-image/ -----------------------------------------------------------------------------

// run-image/service/NAME[/FILE]
keel::PathBuf<256> svc(const char* name, const char* file = nullptr) noexcept
{
    keel::PathBuf<256> p;
    (void)(file ? p.set("run-image/service/", name, "/", file) : p.set("run-image/service/", name));
    return p;
}

// .s6-svscan/SIGxxx: svscan (process 1) runs it on that signal; option null = ignore it.
void Tree::signal(const char* rel, const char* option) noexcept
{
    Script f(dfd_, rel, option ? "# svscan (process 1) runs this on the signal of the same name: a shutdown.\n"
                                : "# svscan (process 1) runs this on the signal of the same name:\n"
                                  "# nothing to do, the signal is ignored.\n");
    if (option) {
        f.exec().prog("init-shutdown");
        if (!o_.container) f.word("-a");
        f.word(option).word("--").word("now").end();
    }
    f.done();
}

void Tree::svscan_death(const char* rel, std::string_view how) noexcept
{
    Script f(dfd_, rel, "# svscan (process 1) runs this if it ever stops: reboot at once.\n");
    f.put("echo \"s6-svscan ").put(how).line(". Rebooting.\" > /dev/console");
    f.exec().prog("init-hpr").word("-fr").end().done();
}

// Container: the init's exit status is in RESULTS/exitcode; RESULTS/haltcode (from shutdownd)
// may ask for a reboot or a poweroff instead, which the parent of the PID namespace sees as
// death by SIGHUP or SIGINT.
void Tree::container_finish() noexcept
{
    Script f(dfd_, "run-image/service/.s6-svscan/finish",
                    "# svscan (process 1) runs this when it exits, at the end of the container's\n"
                    "# shutdown: wait for every process, then exit with the code in exitcode, or\n"
                    "# reboot/power off if shutdownd wrote r or p into haltcode.\n");
    f.put("results=").word(container_results).end();
    f.line("EXITCODE=0").line("HALTCODE=h");
    f.line("[ -r \"$results/exitcode\" ] && { read -r EXITCODE < \"$results/exitcode\" || :; }");
    f.line("[ -r \"$results/haltcode\" ] && { read -r HALTCODE < \"$results/haltcode\" || :; }");
    f.line("case $EXITCODE in ''|*[!0-9]*) EXITCODE=0 ;; esac");
    f.line("# Nothing must hold the catch-all logger's FIFO: it then sees the end of its input.");
    f.line("exec 1>&- 2>&-");
    f.line("case $HALTCODE in");
    f.put("r) ").exec().prog("reap-all").prog("init-hpr").word(o_.sync ? "-fr" : "-frn").line(" ;;");
    f.put("p) ").exec().prog("reap-all").prog("init-hpr").word(o_.sync ? "-fp" : "-fpn").line(" ;;");
    f.put("*) ").exec().prog("reap-all").word("/bin/sh").put(" -c 'exit \"$1\"' sh \"$EXITCODE\"");
    f.line(" ;;").line("esac").done();
}

void Tree::container_crash() noexcept
{
    Script f(dfd_, "run-image/service/.s6-svscan/crash",
                    "# svscan (process 1) runs this if it crashed: kill everything, exit.\n");
    f.line("echo \"s6-svscan crashed. Killing everything and exiting.\" >&2");
    f.prog("kill-all").word("-k").end();
    f.exec().prog("reap-all").prog("init-hpr").word(o_.sync ? "-fp" : "-fnp").end().done();
}

void Tree::logger() noexcept
{
    Script f(dfd_, svc(logger_service, "run").c_str(),
                    "# The catch-all logger: what stage 1, svscan and the services without a\n"
                    "# logger of their own write into ./fifo goes to /run/uncaught-logs.\n");
    f.line(o_.console || o_.container ? "exec 1>&2" : "exec 1>/dev/null");
    f.exec().prog("redirfd").word("-rnb").word("0").word("fifo");
    if (std::string_view(o_.log_user) != "root") f.prog("setuidgid").word(o_.log_user);
    f.prog("svlog").word("-bpd3").word("--");
    if (o_.console) f.word("1");
    if (o_.timestamps & 1) f.word("t");
    if (o_.timestamps & 2) f.word("T");
    f.word(keel::init::uncaught_logs).end().done();
}

void Tree::shutdownd() noexcept
{
    Script f(dfd_, svc(shutdownd_service, "run").c_str(),
                    "# shutdownd: waits for shutdown orders on ./fifo, runs scripts/rc.shutdown\n"
                    "# (stage 3), kills everything, then writes and runs \"stage 4\".\n");
    f.exec().prog("shutdownd").word("-d3").word("-c").word(o_.basedir);
    f.word("-g").word(keel::fmt_number(o_.grace).view());
    if (o_.container) f.word("-C");
    if (o_.no_logger) f.word("-B");
    f.end().done();
}

void Tree::runleveld() noexcept
{
    Script f(dfd_, svc(runleveld_service, "run").c_str(),
                    "# runleveld: runs scripts/runlevel RUNLEVEL for telinit, through the socket ./s.\n");
    f.line("exec 2>&1");
    f.exec().prog("init-runleveld").word("-d3").word("-c").word(o_.basedir).word("s").end().done();
}

void Tree::getty() noexcept
{
    Script f(dfd_, svc(getty_service, "run").c_str(),
                    "# The early getty (init-maker -G): a login that does not need stage 2.\n");
    f.exec().put(" ").line(o_.getty).done();
}

void Tree::image(uid_t log_uid, gid_t log_gid) noexcept
{
    dir("run-image");
    dir("run-image/service");
    dir("run-image/service/.s6-svscan");
    constexpr const char* sigdir = "run-image/service/.s6-svscan/";
    keel::PathBuf<128> p;
    const struct { const char* name; const char* option; } sigs[] = {
        {"SIGTERM", o_.container ? "-h" : nullptr},
        {"SIGQUIT", nullptr}, {"SIGINT", "-r"}, {"SIGUSR1", "-p"},
        {"SIGUSR2", "-h"}, {"SIGPWR", "-p"}, {"SIGWINCH", nullptr},
    };
    for (const auto& s : sigs) {
        (void)p.set(sigdir, s.name);
        signal(p.c_str(), s.option);
    }

    if (!o_.no_logger) {
        dir("run-image/uncaught-logs", 02750, log_uid, log_gid);
        dir(svc(logger_service).c_str());
        fifo(svc(logger_service, "fifo").c_str());
        data(svc(logger_service, "notification-fd").c_str(), "3\n");
        logger();
    }

    dir(svc(shutdownd_service).c_str());
    fifo(svc(shutdownd_service, "fifo").c_str());
    data(svc(shutdownd_service, "notification-fd").c_str(), "3\n");
    shutdownd();

    if (o_.container) {
        container_crash();
        container_finish();
        (void)p.set("run-image", container_results + sizeof "/run" - 1);
        dir(p.c_str());
        (void)p.append("/exitcode");
        data(p.c_str(), "0\n");
    } else {
        svscan_death("run-image/service/.s6-svscan/crash", "crashed");
        svscan_death("run-image/service/.s6-svscan/finish", "exited");
        dir(svc(runleveld_service).c_str());
        data(svc(runleveld_service, "notification-fd").c_str(), "3\n");
        runleveld();
    }

    if (o_.getty) {
        dir(svc(getty_service).c_str());
        getty();
    }
}

// --- options --------------------------------------------------------------------------------

constexpr char optspec[] = "V:c:u:G:1Lp:m:t:d:s:e:q:D:nNf:R:CBSW:M";

bool valid_env_name(std::string_view name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == name.npos;
}

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, optspec);
    while (int c = opts.next()) {
        const char* a = opts.arg();
        switch (c) {
        case 'V': (void)number<unsigned>(a); o.verbosity = a; break;
        case 'c': o.basedir = a; break;
        case 'u': o.log_user = a; break;
        case 'G': o.getty = a; break;
        case '1': o.console = true; break;
        case 'L':
            keel::die(keel::exit_usage, "-L is not supported: keel has no logouthookd program");
        case 'p': o.path = a; break;
        case 'm':
            o.umask = number<unsigned>(a, 8);
            if (o.umask > 0777) keel::die_usage(usage);
            break;
        case 't': o.timestamps = number<unsigned>(a); break;
        case 'd': o.slashdev = a; break;
        case 's': o.env_store = a; break;
        case 'e': {
            const std::string_view v = a;
            const std::string_view name = keel::head(v, v.find('='));
            if (!valid_env_name(name))
                keel::die(keel::exit_usage, "invalid environment variable name in -e ", v);
            break;
        }
        case 'q': o.grace = number<std::uint32_t>(a); break;
        case 'D': o.initdefault = a; break;
        case 'n': case 'N': o.mount = static_cast<char>(c); break;
        case 'f': o.skeldir = a; break;
        case 'R': o.limits = a; break;
        case 'C': o.container = true; break;
        case 'B': o.no_logger = true; break;
        case 'S': o.sync = true; break;
        case 'W': {
            const unsigned fd = number<unsigned>(a);
            if (fd == 1 || fd == 2 || fd > INT_MAX)
                keel::die(keel::exit_usage, "-W readyfd must be 0 or at least 3");
            o.readyfd = a;
            break;
        }
        case 'M': o.mounts = true; break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc != 1) keel::die_usage(usage);

    if (o.basedir[0] != '/')
        keel::die(keel::exit_usage, "base directory ", o.basedir, " is not absolute");
    if (o.slashdev && o.slashdev[0] != '/')
        keel::die(keel::exit_usage, "devtmpfs directory ", o.slashdev, " is not absolute");
    if (o.env_store) {
        const std::string_view store = o.env_store;
        if (store[0] != '/')
            keel::die(keel::exit_usage, "kernel environment store ", store, " is not absolute");
        if (!store.starts_with("/run/"))
            keel::warn("kernel environment store ", store,
                       " is not located under initial tmpfs /run");
    }
    if (o.timestamps > 3) keel::die(keel::exit_usage, "-t timestamp_style must be 0, 1, 2 or 3");
    if (o.limits && !for_each_limit(o.limits, [](char, std::string_view) { return true; }))
        keel::die(keel::exit_usage, "invalid resource limits: ", o.limits);
    if (o.container && o.slashdev)
        keel::warn("both -C and -d options given; are you sure your container does not come "
                   "with a pre-mounted /dev?");
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "init-maker";
    int n = argc;
    char** args = argv;
    const Options o = parse(n, args);
    const char* dir = args[0];

    keel::UserIds log{};
    if (!o.no_logger) {
        switch (keel::find_user(o.log_user, log)) {
        case keel::Lookup::found: break;
        case keel::Lookup::unknown:
            keel::die(keel::exit_usage, "unable to find user ", o.log_user, " in the user database");
        case keel::Lookup::error:
            keel::die_sys(keel::exit_sys, "unable to read the user database");
        }
    }

    umask(0);
    if (mkdir(dir, 0755) < 0) keel::die_sys(keel::exit_sys, "unable to mkdir ", dir);
    made = dir;
    keel::Fd dfd = keel::open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!dfd) fail("unable to open ", dir);
    Tree tree(dfd.get(), o);

    tree.dir("env");
    keel::OptParser opts(argc, argv, optspec);
    while (int c = opts.next())
        if (c == 'e') tree.env(opts.arg());
    tree.image(log.uid, log.gid);
    tree.scripts();
    tree.bins();
    return 0;
}
