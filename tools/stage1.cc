// stage1: the first program a Linux kernel runs (pid 1), the s6-linux-init way. It mounts a
// fresh tmpfs on /run, copies BASEDIR/run-image into it, points its own output at the
// catch-all logger's FIFO without blocking, forks the stage-2 launcher (which waits for the
// logger, then execs BASEDIR/scripts/rc.init) and execs svscan on /run/service for the rest
// of the machine's life. Run as anything but pid 1, it is `init RUNLEVEL`: it execs
// init-telinit. Every failure before svscan runs is fatal (exit 111: a kernel panic).
#include "keel/config.h"
#include "keel/copytree.h"
#include "keel/env.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/init.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/slurp.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <linux/kd.h>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace {

constexpr std::string_view usage =
    "stage1 [ -v verbosity ] [ -c basedir ] [ -p initial_path ] [ -s env_store ] "
    "[ -m umask ] [ -d slashdev ] [ -D initdefault ] [ -n | -N ] [ -C ] [ -B ] "
    "[ -W readyfd ] [ -- ] [ args... ]";

enum class RunMount { mount, remount, none }; // default, -n, -N

struct Options {
    unsigned verbosity = 1;
    const char* basedir = keel::init::default_basedir;
    const char* path = keel::init::default_path;
    const char* env_store = nullptr;
    mode_t umask = 022;
    const char* slashdev = nullptr;
    const char* initdefault = keel::init::default_initdefault;
    RunMount run = RunMount::mount;
    bool container = false; // -C
    bool no_logger = false; // -B
    int readyfd = 0;        // -W; 0: none
};

Options O;

template <class... A>
void warn(const A&... a)
{
    if (O.verbosity >= 1) keel::warn(a...);
}

template <class... A>
void warn_sys(const A&... a)
{
    if (O.verbosity >= 1) keel::warn_sys(a...);
}

template <class... A>
void info(const A&... a)
{
    if (O.verbosity >= 2) keel::info(a...);
}

template <class... A>
[[noreturn]] void fatal(const A&... a)
{
    keel::die_sys(keel::exit_sys, a...);
}

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "v:c:p:s:m:d:D:nNCBW:");
    while (int c = opts.next()) {
        switch (c) {
        case 'v':
            if (!keel::scan_number(opts.arg(), o.verbosity)) keel::die_usage(usage);
            break;
        case 'c': o.basedir = opts.arg(); break;
        case 'p': o.path = opts.arg(); break;
        case 's': o.env_store = opts.arg(); break;
        case 'm': {
            unsigned m = 0;
            if (!keel::scan_number(opts.arg(), m, 8) || m > 0777) keel::die_usage(usage);
            o.umask = static_cast<mode_t>(m);
            break;
        }
        case 'd': o.slashdev = opts.arg(); break;
        case 'D': o.initdefault = opts.arg(); break;
        case 'n': o.run = RunMount::remount; break;
        case 'N': o.run = RunMount::none; break;
        case 'C': o.container = true; break;
        case 'B': o.no_logger = true; break;
        case 'W': {
            unsigned fd = 0;
            if (!keel::scan_number(opts.arg(), fd) || fd == 1 || fd == 2 || fd > 1000000)
                keel::die_usage(usage);
            o.readyfd = static_cast<int>(fd);
            break;
        }
        default: keel::die_usage(usage);
        }
    }
    argc -= opts.index();
    argv += opts.index();
    return o;
}

// Step 1: `init 6` on a running system is telinit's business.
[[noreturn]] void exec_telinit(char** argv)
{
    keel::PathBuf<PATH_MAX> telinit;
    if (!keel::program_path(telinit, "init-telinit")) fatal("unable to find init-telinit");
    argv[0] = const_cast<char*>(telinit.c_str());
    execv(argv[0], argv);
    fatal("unable to exec ", telinit.view());
}

// Step 3: a container manager says "go" by closing the other end.
void wait_barrier(int fd)
{
    char buf[512];
    bool told = false;
    for (;;) {
        const ssize_t r = keel::read_some(fd, buf, sizeof buf);
        if (r == 0) break;
        if (r < 0) {
            if (errno != EBADF) warn_sys("unable to read from readiness fd");
            return;
        }
        if (!told) warn("parent wrote to readiness fd!");
        told = true;
    }
    keel::close_fd(fd);
}

// Opens path on descriptor fd exactly (the descriptor must be free or will be replaced).
bool open_on(int fd, const char* path, int flags)
{
    keel::Fd f = keel::open_file(path, flags | O_NOCTTY);
    return f && keel::fd_move(fd, f.release());
}

// /dev/console on 0 (reading), 1 and 2, or /dev/null where the console cannot be opened.
// True if the console could be opened for writing.
bool console_on_std()
{
    if (!open_on(0, "/dev/console", O_RDONLY)) (void)open_on(0, "/dev/null", O_RDONLY);
    const bool console = open_on(1, "/dev/console", O_WRONLY);
    if (!console) (void)open_on(1, "/dev/null", O_WRONLY);
    (void)keel::fd_copy(2, 1);
    return console;
}

// Step 6: devtmpfs on slashdev, then the console it provides on 0-2.
bool mount_dev(const char* slashdev)
{
    for (int fd = 0; fd <= 2; ++fd) keel::close_fd(fd);
    if (mount("dev", slashdev, "devtmpfs", MS_NOSUID | MS_NOEXEC, "") < 0) {
        const int e = errno;
        console_on_std();
        errno = e;
        fatal("unable to mount devtmpfs on ", slashdev);
    }
    return console_on_std();
}

// Step 8.
void mount_run()
{
    constexpr unsigned long flags = MS_NODEV | MS_NOSUID;
    const char* run = keel::init::tmpfs_dir;
    switch (O.run) {
    case RunMount::none: return;
    case RunMount::remount:
        if (mount("tmpfs", run, "tmpfs", MS_REMOUNT | flags, "mode=0755") < 0)
            fatal("unable to remount ", run);
        return;
    case RunMount::mount:
        if (umount(run) < 0 && errno != EINVAL) warn_sys("unable to umount ", run);
        info("mounting a tmpfs on ", run);
        if (mount("tmpfs", run, "tmpfs", flags, "mode=0755") < 0)
            fatal("unable to mount tmpfs on ", run);
        return;
    }
}

// Step 10: the kernel's KEY=VALUE arguments, one file per variable (envdir -f can read it).
bool dump_env(const char* dir)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) return false;
    keel::Fd d = keel::open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!d || fchmod(d.get(), 0700) < 0) return false;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view var = *e;
        const std::size_t eq = var.find('=');
        if (eq == 0 || eq == std::string_view::npos) continue;
        keel::PathBuf<256> name;
        const std::string_view key(var.data(), eq);
        if (key == "." || key == ".." || key.find('/') != std::string_view::npos
            || !name.set(key))
            continue;
        keel::Fd f = keel::open_at(d.get(), name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (!f || !keel::write_all(f.get(), var.data() + eq + 1, var.size() - eq - 1)
            || !keel::write_all(f.get(), "\n"))
            return false;
    }
    return true;
}

// Step 12, the env/ part: s6's verbatim envdir. A variable per file: its whole content minus
// one final newline (NULs become newlines); an empty file unsets it. Dot files and names
// with '=' are skipped. A missing directory is not an error.
void apply_envdir(const char* dir)
{
    DIR* d = opendir(dir);
    if (!d) {
        if (errno != ENOENT) warn_sys("unable to read envdir ", dir);
        return;
    }
    keel::Slurp value;
    for (;;) {
        errno = 0;
        const dirent* e = readdir(d);
        if (!e) {
            if (errno) warn_sys("unable to read envdir ", dir);
            break;
        }
        const char* name = e->d_name;
        if (name[0] == '.' || std::strchr(name, '=')) continue;
        keel::Fd f = keel::open_at(dirfd(d), name, O_RDONLY);
        if (!f || !value.read(f.get())) {
            warn_sys("unable to read ", dir, "/", name);
            continue;
        }
        std::size_t len = value.size();
        bool ok;
        if (len == 0) {
            ok = keel::env_unset(name);
        } else {
            char* s = value.data();
            if (s[len - 1] == '\n') --len;
            for (std::size_t i = 0; i < len; ++i)
                if (!s[i]) s[i] = '\n';
            s[len] = 0;
            ok = keel::env_set(name, s);
        }
        if (!ok) warn_sys("unable to set ", name, " from ", dir);
    }
    closedir(d);
}

// The runlevel word for rc.init: the first argument that names one (kernel command line).
const char* runlevel(int argc, char** argv)
{
    if (O.container) return O.initdefault;
    static constexpr std::string_view valid[] = {"default", "1", "2", "3", "4", "5"};
    for (int i = 0; i < argc; ++i)
        for (const std::string_view v : valid)
            if (argv[i] == v) return argv[i];
    return O.initdefault;
}

// Step 14, the child: becomes rc.init once the logger (or svscan, with -B) is there.
[[noreturn]] void stage2(int argc, char** argv, const char* tty, keel::Fd& ready_rd,
                         keel::Fd& ready_wr)
{
    keel::prog = "stage1 (child)";
    setsid();
    if (tty && !open_on(0, tty, O_RDWR)) warn_sys("unable to open ", tty);
    // Now the terminal's session leader: take it back as the controlling terminal.
    if (tty) (void)ioctl(0, TIOCSCTTY, 0);
    if (!O.no_logger) {
        // Blocks until the catch-all logger opens the FIFO for reading.
        keel::Fd log = keel::open_file(keel::init::logger_fifo, O_WRONLY);
        if (!log || !keel::fd_move(1, log.release()) || !keel::fd_copy(2, 1))
            fatal("unable to open ", keel::init::logger_fifo, " for writing");
    } else {
        ready_wr.reset();
        char c = 0;
        ssize_t r;
        while ((r = keel::read_some(ready_rd.get(), &c, 1)) == 1 && c != '\n') {}
        if (r < 0) fatal("unable to read the readiness pipe");
        if (r == 0) warn("svscan did not report readiness");
        ready_rd.reset();
    }
    keel::PathBuf<PATH_MAX> rc;
    if (!rc.set(O.basedir, "/scripts/rc.init")) fatal("unable to exec ", O.basedir);
    auto** args = static_cast<char**>(std::malloc((argc + 3) * sizeof(char*)));
    if (!args) fatal("unable to exec ", rc.view());
    args[0] = const_cast<char*>(rc.c_str());
    args[1] = const_cast<char*>(runlevel(argc, argv));
    for (int i = 0; i < argc; ++i) args[i + 2] = argv[i];
    args[argc + 2] = nullptr;
    execve(args[0], args, environ);
    fatal("unable to exec ", rc.view());
}

// Step 15, not in a container: keyboard requests and Ctrl-Alt-Del become signals to pid 1.
void trap_keyboard()
{
    keel::Fd tty0 = keel::open_file("/dev/tty0", O_RDONLY | O_NOCTTY);
    if (!tty0) {
        if (errno != ENOENT) warn_sys("unable to open /dev/tty0");
    } else if (ioctl(tty0.get(), KDSIGACCEPT, SIGWINCH) < 0) {
        warn_sys("unable to ioctl /dev/tty0 for kbrequest");
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    if (reboot(RB_DISABLE_CAD) < 0) warn_sys("unable to trap ctrl-alt-del");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "stage1";
    if (getpid() != 1) exec_telinit(argv);
    O = parse(argc, argv);
    if (O.readyfd) wait_barrier(O.readyfd);

    // Decided with the environment stage1 was given (KEEL_BINDIR), before it is replaced.
    keel::PathBuf<PATH_MAX> svscan;
    if (!keel::program_path(svscan, "svscan")) fatal("unable to find svscan");

    // Step 4: the console.
    bool console = keel::fd_is_open(1);
    char tty_buf[PATH_MAX];
    const char* tty = nullptr;
    const int outfd = O.no_logger ? 1 : 2;
    if (!O.container) {
        if (console && O.verbosity >= 1) {
            constexpr std::string_view parts[] = {"\n  keel version ", keel::config::version,
                                                  "\n\n"};
            for (const std::string_view p : parts) (void)keel::write_all(1, p);
        }
    } else if (!O.slashdev && isatty(outfd) && ttyname_r(outfd, tty_buf, sizeof tty_buf) == 0) {
        tty = tty_buf;
    }

    // Step 5.
    if (chdir("/") < 0) fatal("unable to chdir to /");
    umask(O.umask);

    // Steps 6 and 7: descriptors 0-2.
    if (O.slashdev) console = mount_dev(O.slashdev);
    if (!console) {
        for (int fd = 0; fd <= 2; ++fd)
            if (!open_on(fd, "/dev/null", fd ? O_WRONLY : O_RDONLY))
                fatal("unable to open /dev/null");
    } else if (!keel::open_std()) {
        fatal("unable to open /dev/null");
    }

    // Steps 8 and 9.
    mount_run();
    {
        keel::PathBuf<PATH_MAX> image;
        if (!image.set(O.basedir, "/run-image")) fatal("unable to copy ", O.basedir);
        info("copying ", image.view(), " to ", keel::init::tmpfs_dir);
        if (!keel::copy_tree(image.c_str(), keel::init::tmpfs_dir))
            fatal("unable to copy ", image.view(), " to ", keel::init::tmpfs_dir);
    }

    // Step 10.
    if (O.env_store && !dump_env(O.env_store))
        warn_sys("unable to dump kernel environment to ", O.env_store);

    // Step 11: stdout on the logger's FIFO without blocking: open it for reading first (so the
    // write open succeeds), then let the reader go. Writes block until the logger reads.
    if (!O.no_logger) {
        keel::Fd rd = keel::open_file(keel::init::logger_fifo, O_RDONLY | O_NONBLOCK);
        if (!rd) fatal("unable to open ", keel::init::logger_fifo);
        keel::Fd wr = keel::open_file(keel::init::logger_fifo, O_WRONLY);
        if (!wr || !keel::fd_move(1, wr.release()))
            fatal("unable to open ", keel::init::logger_fifo);
    }

    // Step 12: PATH and env/, nothing from the kernel.
    if (clearenv() != 0 || !keel::env_set("PATH", O.path)) fatal("unable to set up PATH");
    {
        keel::PathBuf<PATH_MAX> envdir;
        if (!envdir.set(O.basedir, "/env")) fatal("unable to read envdir ", O.basedir);
        apply_envdir(envdir.c_str());
    }

    // Step 13.
    keel::Fd ready_rd, ready_wr;
    if (O.no_logger && !keel::make_pipe(ready_rd, ready_wr))
        fatal("unable to create the readiness pipe");
    if (tty) (void)ioctl(outfd, TIOCNOTTY);

    // Step 14.
    info("starting stage 2");
    const pid_t pid = fork();
    if (pid < 0) fatal("unable to fork");
    if (pid == 0) stage2(argc, argv, tty, ready_rd, ready_wr);

    // Step 15.
    if (!open_on(0, "/dev/null", O_RDONLY)) fatal("unable to open /dev/null");
    setsid();
    // While stderr is still the console: a warning written to the FIFO now, before the
    // logger reads it, would be lost (EPIPE: the FIFO has no reader yet).
    if (!O.container) trap_keyboard();
    keel::NumText fdtext;
    const char* fdopt;
    int holder = -1;
    if (!O.no_logger) {
        holder = fcntl(2, F_DUPFD, 3);
        if (holder < 0 || !keel::fd_copy(2, 1)) fatal("unable to redirect the console");
        fdopt = "-X";
        fdtext = keel::fmt_number(holder);
    } else {
        ready_rd.reset();
        if (!keel::set_cloexec(ready_wr.get(), false))
            fatal("unable to pass the readiness pipe");
        fdopt = "-d";
        fdtext = keel::fmt_number(ready_wr.release());
    }
    fdtext.buf[fdtext.len] = 0;

    // Step 16.
    char* args[] = {const_cast<char*>(svscan.c_str()), const_cast<char*>(fdopt), fdtext.buf,
                    const_cast<char*>("--"), const_cast<char*>(keel::init::scandir), nullptr};
    execve(args[0], args, environ);
    // Nobody reads the FIFO yet: say it on the console.
    if (holder >= 0) (void)keel::fd_copy(2, holder);
    fatal("unable to exec ", svscan.view());
}
