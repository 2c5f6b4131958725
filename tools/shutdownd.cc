// shutdownd: stages 3 and 4 of a keel (s6-linux-init style) system. An early supervised
// service that reads shutdown orders from its FIFO, runs BASEDIR/scripts/rc.shutdown when an
// order falls due, and then takes the machine down: it writes the "stage 4" script into its
// own service directory, takes every other service out of the scan directory, and sends TERM
// and then KILL to every process. Restarted by the supervision tree after that, it finds
// "stage 4" and executes it. Speaks s6-linux-init-shutdownd's protocol (keel/init.h).
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/init.h"
#include "keel/loop.h"
#include "keel/notify.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/proc.h"
#include "keel/progpath.h"
#include "keel/shword.h"
#include "keel/svcontrol.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string_view>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace {

constexpr std::string_view usage =
    "shutdownd [ -d notif ] [ -c basedir ] [ -g grace_ms ] [ -C ] [ -B ]";

namespace ki = keel::init;

constexpr char fifo_name[] = "fifo";
constexpr char stage4_new[] = "stage 4.new";
constexpr char stage4_exec[] = "./stage 4";
constexpr std::string_view rename_prefix = ".s6-linux-init-shutdownd:";

struct Config {
    const char* basedir = ki::default_basedir;
    std::uint32_t grace_ms = ki::default_grace_ms;
    bool container = false; // -C
    bool no_logger = false; // -B
};

// The orders and the time they fall due (monotonic ms).
struct Pending {
    char what = 'S';
    std::int64_t deadline = keel::no_deadline;
};

// Non-container with a catch-all logger: from now on, speak to /dev/console, since the
// logger is about to die. Failure is only a warning: the messages still go somewhere.
void restore_console(const Config& cfg) noexcept
{
    if (cfg.container || cfg.no_logger) return;
    const int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || !keel::fd_move(1, fd) || !keel::fd_copy(2, 1))
        keel::warn_sys("unable to open /dev/console for writing");
}

// --- The FIFO -------------------------------------------------------------------------------

// Makes at least n bytes available in r without blocking. False if they are not there now.
bool have(keel::Reader& r, std::size_t n) noexcept
{
    while (r.data().size() < n) {
        const ssize_t k = r.fill();
        if (k > 0) continue;
        if (k < 0 && errno != EAGAIN) keel::die_sys(keel::exit_sys, "unable to read from ", fifo_name);
        return false;
    }
    return true;
}

// The relative delay of an order as a monotonic deadline.
std::int64_t deadline_after(const keel::Tai64n& delay) noexcept
{
    const std::int64_t ms = ki::delay_ms(delay);
    return ms < 0 ? keel::no_deadline : keel::deadline_in(ms);
}

// Reads every message the FIFO holds now. An order must come whole, in one go, as s6's
// clients write it: a short one is a protocol error (101).
void read_orders(keel::Reader& r, Pending& p, Config& cfg) noexcept
{
    while (have(r, 1)) {
        ki::Message m = ki::message_decode(r.data());
        if (m.kind == ki::MsgKind::incomplete && have(r, ki::order_len))
            m = ki::message_decode(r.data());
        switch (m.kind) {
        case ki::MsgKind::order:
            p.what = m.order.what;
            p.deadline = deadline_after(m.order.delay);
            if (m.order.grace_ms && m.order.grace_ms <= ki::max_grace_ms)
                cfg.grace_ms = m.order.grace_ms;
            break;
        case ki::MsgKind::cancel: p = Pending{}; break;
        case ki::MsgKind::unknown:
            keel::warn("unknown command: ", std::string_view(r.data().data(), 1));
            break;
        default: keel::die(101, "bad shutdown protocol");
        }
        r.consume(m.len);
    }
}

// --- Stage 3 --------------------------------------------------------------------------------

void run_rc_shutdown(const Config& cfg) noexcept
{
    keel::PathBuf<PATH_MAX> script;
    if (!script.set(cfg.basedir, "/scripts/rc.shutdown")) {
        keel::warn_sys("unable to spawn ", cfg.basedir, "/scripts/rc.shutdown");
        return;
    }
    char* argv[] = {const_cast<char*>(script.c_str()), nullptr};
    keel::SpawnOptions opts;
    opts.reset_ignored = true; // SIGPIPE is ignored here, not in rc.shutdown
    const pid_t pid = keel::spawn(argv, opts);
    if (pid < 0) {
        keel::warn_sys("unable to spawn ", script.view());
        return;
    }
    int wstat = 0;
    if (keel::wait_pid(pid, wstat) < 0) {
        keel::warn_sys("unable to wait for ", script.view());
        return;
    }
    if (WIFSIGNALED(wstat))
        keel::warn(script.view(), " was killed by signal ", keel::fmt_number(WTERMSIG(wstat)));
    else if (WEXITSTATUS(wstat))
        keel::warn(script.view(), " exited ", keel::fmt_number(WEXITSTATUS(wstat)));
}

// --- Stage 4 --------------------------------------------------------------------------------

// The absolute path of keel program name, as one sh word.
bool put_program(keel::Writer& w, const char* name) noexcept
{
    keel::PathBuf<PATH_MAX> path;
    return keel::program_path(path, name) && keel::put_sh_word(w, path.view());
}

bool write_stage4_text(keel::Writer& w, const Config& cfg, char what) noexcept
{
    if (cfg.container) {
        bool ok = w.put("#!/bin/sh\n"
                        "# stage 4, written by shutdownd: the container is going down.\n"
                        "# Our own supervisor must not restart us: it exits with this script.\n")
                  && put_program(w, "svc") && w.put(" -Ox -- .\n");
        if (ok && !cfg.no_logger) {
            keel::PathBuf<PATH_MAX> logger;
            ok = w.put("# The catch-all logger: down and gone once it has read everything.\n")
                 && put_program(w, "svc") && w.put(" -Oxc -- ")
                 && logger.set(ki::scandir, "/", ki::logger_service)
                 && keel::put_sh_word(w, logger.view()) && w.put(" &\n");
        }
        return ok && w.put("# pid 1 runs .s6-svscan/finish, which reads the haltcode.\nexec ")
               && put_program(w, "svscanctl") && w.put(" -b -- ") && keel::put_sh_word(w, ki::scandir)
               && w.put("\n");
    }
    keel::PathBuf<PATH_MAX> final_script;
    const char flag[] = {' ', '-', what, '\n'};
    return final_script.set(cfg.basedir, "/scripts/rc.shutdown.final")
           && w.put("#!/bin/sh\n"
                    "# stage 4, written by shutdownd: every process is gone. Unmount the file\n"
                    "# systems, run the last user script, then halt, power off or reboot.\n"
                    "cd /\n")
           && put_program(w, "umount-all") && w.put("\n[ -x ")
           && keel::put_sh_word(w, final_script.view()) && w.put(" ] && ")
           && keel::put_sh_word(w, final_script.view()) && w.put("\nexec ")
           && put_program(w, "halt-final") && w.put(std::string_view(flag, sizeof flag));
}

// Writes "stage 4.new" (0700) and renames it to "stage 4": from then on, a new shutdownd in
// this directory executes it.
void write_stage4(const Config& cfg, char what) noexcept
{
    unlink(stage4_new);
    keel::Fd fd = keel::open_file(stage4_new, O_WRONLY | O_CREAT | O_EXCL, 0700);
    if (!fd) keel::die_sys(keel::exit_sys, "unable to open ", stage4_new, " for writing");
    keel::BufWriter<1024> w(fd.get());
    if (!write_stage4_text(w, cfg, what) || !w.flush())
        keel::die_sys(keel::exit_sys, "unable to write to ", stage4_new);
    if (fchmod(fd.get(), 0700) < 0) keel::die_sys(keel::exit_sys, "unable to fchmod ", stage4_new);
    fd.reset();
    if (rename(stage4_new, ki::stage4_file) < 0)
        keel::die_sys(keel::exit_sys, "unable to rename ", stage4_new, " to ", ki::stage4_file);
}

// Container: tell .s6-svscan/finish what to do once everything is gone.
void write_haltcode(char what) noexcept
{
    keel::PathBuf<PATH_MAX> tmp, file;
    if (!file.set(ki::container_results, "/haltcode") || !tmp.set(file.view(), ".new"))
        keel::die_sys(keel::exit_sys, "unable to write ", ki::container_results, "/haltcode");
    const char text[] = {what, '\n'};
    keel::Fd fd = keel::open_file(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd || !keel::write_all(fd.get(), text, sizeof text))
        keel::die_sys(keel::exit_sys, "unable to write ", tmp.view());
    fd.reset();
    if (rename(tmp.c_str(), file.c_str()) < 0)
        keel::die_sys(keel::exit_sys, "unable to rename ", tmp.view(), " to ", file.view());
}

// Renames the entry name of dirfd to ".s6-linux-init-shutdownd:NAME:XXXXXX" (a name the
// scanner ignores), never replacing anything. Sets to to the new name.
bool hide(int dirfd, const char* name, keel::PathBuf<NAME_MAX + 1>& to) noexcept
{
    constexpr std::string_view alphabet =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    for (int attempt = 0; attempt < 100; ++attempt) {
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd) {
            // No entropy yet: the clock and the attempt still vary the name.
            const auto x = static_cast<std::uint64_t>(keel::mono_now_ms()) * 2654435761u
                           ^ static_cast<unsigned>(attempt) * 40503u;
            for (std::size_t i = 0; i < sizeof rnd; ++i) rnd[i] = static_cast<unsigned char>(x >> (6 * i));
        }
        char suffix[7] = {':'};
        for (std::size_t i = 0; i < sizeof rnd; ++i) suffix[1 + i] = alphabet[rnd[i] & 63];
        if (!to.set(rename_prefix, name, std::string_view(suffix, sizeof suffix))) return false;
        if (renameat2(dirfd, name, dirfd, to.c_str(), RENAME_NOREPLACE) == 0)
            return true;
        if (errno != EEXIST) return false;
    }
    return false;
}

// Takes every service but the two early ones that must survive out of the scan directory and
// tells its supervisor to stop it; then the scanner forgets them (rescan, then nuke).
void unsupervise(const Config& cfg) noexcept
{
    DIR* dir = opendir(ki::scandir);
    if (!dir) {
        keel::warn_sys("unable to opendir ", ki::scandir);
        return;
    }
    const int dfd = dirfd(dir);
    for (;;) {
        errno = 0;
        const dirent* d = readdir(dir);
        if (!d) break;
        const std::string_view name = d->d_name;
        if (name.empty() || name[0] == '.' || name == ki::shutdownd_service
            || (!cfg.no_logger && name == ki::logger_service))
            continue;
        keel::PathBuf<NAME_MAX + 1> hidden;
        if (!hide(dfd, d->d_name, hidden)) {
            keel::warn_sys("unable to rename ", ki::scandir, "/", name, " to something based on ",
                           ki::scandir, "/", rename_prefix, name, ":XXXXXX");
            unlinkat(dfd, d->d_name, 0); // if this fails too, it races stage 4
            continue;
        }
        keel::PathBuf<PATH_MAX> path;
        if (!path.set(ki::scandir, "/", hidden.view())) continue;
        const auto r = keel::sv::write_control(path.c_str(), "d");
        if (r == keel::sv::CtlResult::error || r == keel::sv::CtlResult::bad_dir)
            keel::warn_sys("unable to control ", path.view());
    }
    if (errno) keel::warn_sys("unable to readdir ", ki::scandir);
    closedir(dir);
    if (keel::sv::write_control_at(ki::scandir, keel::sv::scanner_ctl_dir, "an")
        != keel::sv::CtlResult::ok)
        keel::warn_sys("unable to control ", ki::scandir);
}

// The TERM round, the grace time, the KILL round: every process but pid 1 and this one.
void kill_everything(const Config& cfg) noexcept
{
    if (signal(SIGTERM, SIG_IGN) == SIG_ERR) keel::warn_sys("unable to ignore SIGTERM");
    if (!cfg.container) {
        sync();
        keel::info("sending all processes the TERM signal...");
    }
    (void)ki::kill_all(SIGTERM);
    (void)ki::kill_all(SIGCONT);
    ki::sleep_ms(cfg.grace_ms);
    if (!cfg.container) {
        sync();
        keel::info("sending all processes the KILL signal...");
    }
    (void)ki::kill_all(SIGKILL);
}

// --- Options --------------------------------------------------------------------------------

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "shutdownd";
    Config cfg;
    int notif = -1;
    keel::OptParser opts(argc, argv, "d:c:g:CB");
    while (int c = opts.next()) {
        switch (c) {
        case 'd': notif = keel::xfd_arg(opts.arg(), usage, "notification fd"); break;
        case 'c': cfg.basedir = opts.arg(); break;
        case 'g':
            if (!keel::scan_number(std::string_view(opts.arg()), cfg.grace_ms))
                keel::die_usage(usage);
            break;
        case 'C': cfg.container = true; break;
        case 'B': cfg.no_logger = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (cfg.basedir[0] != '/') keel::die(keel::exit_usage, "basedir must be an absolute path");
    if (cfg.grace_ms > ki::max_grace_ms) cfg.grace_ms = ki::max_grace_ms;

    // Restarted after the KILL round: the end.
    struct stat st;
    if (stat(ki::stage4_file, &st) == 0) {
        if (notif >= 0) keel::close_fd(notif);
        restore_console(cfg);
        char* s4argv[] = {const_cast<char*>(stage4_exec), nullptr};
        execve(stage4_exec, s4argv, environ);
        keel::warn_sys("unable to exec ", stage4_exec);
    }

    // Read and write: the reader never sees EOF, and a probe (open for writing without
    // blocking) succeeds exactly while we are here.
    keel::Fd rd = keel::open_file(fifo_name, O_RDONLY | O_NONBLOCK);
    if (!rd) keel::die_sys(keel::exit_sys, "unable to open ", fifo_name, " for reading");
    keel::Fd wr = keel::open_file(fifo_name, O_WRONLY | O_NONBLOCK);
    if (!wr) keel::die_sys(keel::exit_sys, "unable to open ", fifo_name, " for writing");
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) keel::die_sys(keel::exit_sys, "unable to ignore SIGPIPE");
    if (notif >= 0) (void)keel::notify_ready(notif);

    keel::BufReader<64> in(rd.get());
    Pending p;
    for (;;) {
        pollfd pfd{rd.get(), POLLIN, 0};
        const int r = keel::poll_until({&pfd, 1}, p.deadline);
        if (r < 0) keel::die_sys(keel::exit_sys, "unable to poll");
        if (r == 0) {
            run_rc_shutdown(cfg);
            if (p.what != 'S') break;
            p.deadline = keel::no_deadline;
            continue;
        }
        if (pfd.revents) read_orders(in, p, cfg);
    }

    wr.reset();
    rd.reset();
    restore_console(cfg);

    // The end is coming.
    if (cfg.container) write_haltcode(p.what);
    write_stage4(cfg, p.what);
    unsupervise(cfg);
    kill_everything(cfg);
    return 0;
}
