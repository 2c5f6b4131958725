// rc-pipe: fetch pipeline pipe ends from the fd holder (rc-fdholderd, "kfd1" protocol in
// keel/fdhold.h), the read end of pipe -r as stdin and the write end of pipe -w as stdout,
// then exec into a program. The run script of every longrun in a pipeline is wrapped in it.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/fdhold.h"
#include "keel/loop.h"
#include "keel/opt.h"

#include <cerrno>
#include <string_view>

namespace {

namespace fh = keel::fdhold;

constexpr std::string_view usage = "rc-pipe [ -r name ] [ -w name ] socket prog...";

// How long the holder has to answer (it answers at once, unless it is stuck).
constexpr std::int64_t answer_ms = 10000;

// Fetches one end of pipe name and makes it descriptor to; dies with 111 on failure.
void install(const char* socket, char op, const char* name, int to) noexcept
{
    const std::string_view end = op == fh::op_read ? "read" : "write";
    keel::Fd fd = fh::fetch(socket, op, name, keel::deadline_in(answer_ms));
    if (!fd)
        keel::die_sys(keel::exit_sys, "unable to get the ", end, " end of pipe ", name,
                      " from ", socket);
    if (!keel::fd_move(to, fd.release()))
        keel::die_sys(keel::exit_sys, "unable to set up the ", end, " end of pipe ", name);
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-pipe";
    const char* rd = nullptr;
    const char* wr = nullptr;
    keel::OptParser opts(argc, argv, "r:w:");
    for (int o; (o = opts.next());) {
        switch (o) {
        case 'r': rd = opts.arg(); break;
        case 'w': wr = opts.arg(); break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() < 2) keel::die_usage(usage);
    const char* socket = argv[opts.index()];
    if (rd) install(socket, fh::op_read, rd, 0);
    if (wr) install(socket, fh::op_write, wr, 1);
    keel::xexec(argv + opts.index() + 1);
}
