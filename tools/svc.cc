// svc: send single-letter commands to the supervisor of each service dir, in one write to
// DIR/supervise/control (s6-svc compatible). With -w it also waits, in this process, until the
// services are up / ready / down / restarted: it subscribes to every DIR/event first, reads the
// statuses, then sends the letters and follows the events (keel::sv::Watch, as svlisten does).
#include "keel/err.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/sig.h"
#include "keel/svcontrol.h"
#include "keel/svwaiter.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "svc [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] "
    "[ -s signal | -abqhkti12pcyrlPCK ] [ -oduDUxOQ ] servicedir...";

// The command letters, and the signals -s may name with the letter each one becomes.
constexpr std::string_view letters = "abqhkti12pcyrlPCKoduDUxOQ";
struct SigLetter {
    int sig;
    char letter;
};
constexpr std::array<SigLetter, 12> sig_letters{{
    {SIGALRM, 'a'}, {SIGABRT, 'b'}, {SIGQUIT, 'q'}, {SIGHUP, 'h'},
    {SIGKILL, 'k'}, {SIGTERM, 't'}, {SIGINT, 'i'},  {SIGUSR1, '1'},
    {SIGUSR2, '2'}, {SIGSTOP, 'p'}, {SIGCONT, 'c'}, {SIGWINCH, 'y'},
}};

// s6-svc's limit: 62 letters.
constexpr std::size_t max_commands = 62;

// A count of failures seen while waiting is the exit code; it stays below the timeout's 99.

struct Request {
    std::array<char, max_commands> cmds{};
    std::size_t len = 0;
    char wait = 0;           // -w: one of dDuUrR, or 0
    unsigned int timeout = 0; // -T, in ms; 0 means none
};

void add(Request& r, char c)
{
    if (r.len >= r.cmds.size()) keel::die(keel::exit_usage, "too many commands");
    r.cmds[r.len++] = c;
}

char signal_letter(const char* name)
{
    const int sig = keel::sig_number(name);
    if (!sig) keel::die(keel::exit_usage, "invalid signal: ", name);
    for (const SigLetter& s : sig_letters)
        if (s.sig == sig) return s.letter;
    keel::die(keel::exit_usage, name, " is not in the list of user-available signals");
}

Request parse(int& argc, char**& argv)
{
    Request r;
    keel::OptParser opts(argc, argv, "s:abqhkti12pcyrlPCKoduDUxOQT:w:");
    while (int c = opts.next()) {
        if (letters.find(static_cast<char>(c)) != letters.npos) {
            add(r, static_cast<char>(c));
            continue;
        }
        switch (c) {
        case 's': add(r, signal_letter(opts.arg())); break;
        case 'T':
            if (!keel::scan_number(opts.arg(), r.timeout)) keel::die_usage(usage);
            break;
        case 'w': {
            const std::string_view w = opts.arg();
            if (w.size() != 1 || std::string_view("dDuUrR").find(w[0]) == w.npos)
                keel::die_usage(usage);
            r.wait = w[0];
            break;
        }
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 1) keel::die_usage(usage);
    for (int i = 0; i < argc; ++i)
        if (!*argv[i]) keel::die(keel::exit_usage, "invalid service path");
    return r;
}

// Sends the letters to one service; 0 or the exit code its failure calls for.
int control_one(const char* dir, std::string_view cmds)
{
    switch (keel::sv::write_control(dir, cmds)) {
    case keel::sv::CtlResult::ok: return 0;
    case keel::sv::CtlResult::not_supervised:
        keel::warn("unable to control ", dir, ": supervisor not listening");
        return 102;
    case keel::sv::CtlResult::bad_dir:
        keel::warn_sys("something is wrong with the ", dir, "/supervise directory");
        return 1;
    case keel::sv::CtlResult::error: break;
    }
    keel::warn_sys("unable to control ", dir);
    return keel::exit_sys;
}

// Every DIR gets the letters even if another one fails; the last failure gives the code.
int control_all(int n, char* const* dirs, std::string_view cmds)
{
    int code = 0;
    for (int i = 0; i < n; ++i)
        if (const int r = control_one(dirs[i], cmds)) code = r;
    return code;
}

// -wU / -wR need readiness notification: without DIR/notification-fd, wait for up instead.
char check_readiness(char wait, int n, char* const* dirs)
{
    if (wait != 'U' && wait != 'R') return wait;
    bool missing = false;
    for (int i = 0; i < n; ++i) {
        keel::PathBuf<> path;
        if (!path.set(dirs[i], "/notification-fd"))
            keel::die_sys(keel::exit_sys, "unable to access ", dirs[i], "/notification-fd");
        if (access(path.c_str(), F_OK) == 0) continue;
        if (errno != ENOENT) keel::die_sys(keel::exit_sys, "unable to access ", path.view());
        keel::warn(path.view(), " not present - ignoring request for readiness notification");
        missing = true;
    }
    return missing ? (wait == 'U' ? 'u' : 'r') : wait;
}

// svc -w: listen first (run_wait subscribes and reads every status, then calls send_letters),
// so that no event caused by the letters can be missed; SIGTERM and friends still remove the
// FIFOs.
struct Letters {
    int n;
    char* const* dirs;
    std::string_view cmds;
};

int send_letters(void* p) noexcept
{
    const auto* l = static_cast<const Letters*>(p);
    return l->cmds.empty() ? 0 : control_all(l->n, l->dirs, l->cmds);
}

[[noreturn]] void control_and_wait(const Request& req, int n, char* const* dirs)
{
    const char wait = check_readiness(req.wait, n, dirs);
    Letters letters{n, dirs, {req.cmds.data(), req.len}};
    keel::sv::WaitPlan plan;
    (void)keel::sv::wait_option(plan, wait, nullptr);
    // -wr / -wR: first down and, when letters were sent, down and ready (s6-svc then ran
    // s6-svlisten; otherwise s6-svwait).
    plan.restart_ready = req.len > 0;
    plan.deadline_ms = req.timeout ? keel::mono_now_ms() + req.timeout : -1;
    plan.after_start = send_letters;
    plan.ctx = &letters;
    const keel::sv::WaitResult r = keel::sv::run_wait(plan, dirs, static_cast<std::size_t>(n));
    keel::sv::exit_unless_failures(r);
    keel::die(keel::sv::failures_exit_code(r.failures),
              "some services reported permanent failure or their supervisor died");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svc";
    const Request req = parse(argc, argv);
    if (req.wait) control_and_wait(req, argc, argv);
    return control_all(argc, argv, {req.cmds.data(), req.len});
}
