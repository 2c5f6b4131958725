// fghack: keep a self-backgrounding program in the foreground (obsolescent: prefer
// background-watch). The program is spawned with 30 copies of a pipe's write end; the pipe
// reaches EOF only when every process holding a copy (the daemon it forked too) has exited.
// s6-fghack compatible; exits with the program's code, 128+signal if it was killed.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/proc.h"

#include <cerrno>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "fghack prog...";

// Something written on the pipe means the program used a descriptor it did not know about.
constexpr int exit_wrote = 102;
constexpr int copies = 30;

// In the child: the copies are made there, not close-on-exec, wherever dup puts them.
bool dup_hackpipe(void* ctx) noexcept
{
    const int wr = *static_cast<int*>(ctx);
    for (int i = 0; i < copies; ++i)
        if (fcntl(wr, F_DUPFD, 0) < 0) return false;
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "fghack";
    if (argc < 2) keel::die_usage(usage);
    keel::warn("this program is obsolescent, please use background-watch instead");

    keel::Fd rd, wr;
    if (!keel::make_pipe(rd, wr)) keel::die_sys(keel::exit_sys, "unable to create hackpipe");
    int wr_fd = wr.get();
    const pid_t pid = keel::spawn(argv + 1, {.setup = dup_hackpipe, .ctx = &wr_fd});
    if (pid == keel::spawn_exec_failed)
        keel::die_sys(keel::exec_failure_code(errno), "unable to exec ", argv[1]);
    if (pid < 0) keel::die_sys(keel::exit_sys, "unable to spawn ", argv[1]);
    wr.reset();

    char c;
    const ssize_t r = keel::read_some(rd.get(), &c, 1);
    if (r < 0) keel::die_sys(keel::exit_sys, "unable to read on hackpipe");
    if (r > 0) keel::die(exit_wrote, argv[1], " wrote on hackpipe");
    int wstat;
    if (keel::wait_pid(pid, wstat) < 0)
        keel::die_sys(keel::exit_sys, "unable to wait for ", argv[1]);
    return keel::wait_estatus(wstat);
}
