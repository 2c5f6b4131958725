// redirfd: open a file on a given descriptor, then exec into a program (execline's redirfd).
// The descriptor is left open across the exec. With -n, a FIFO opened for reading does not wait
// for a writer, and a FIFO opened for writing without a reader gets one for the time of the
// open (as execline does), so both opens return at once; -b then flips the blocking mode.
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/opt.h"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "redirfd [ -r | -w | -u | -a | -c | -x ] [ -n ] [ -b ] fd file prog...";

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "redirfd";
    int mode = -1; // the access and creation flags of the last of -r -w -u -a -c -x
    bool nonblock = false;
    bool flip = false;
    keel::OptParser opts(argc, argv, "rwuacxnb");
    while (int c = opts.next()) {
        switch (c) {
        case 'r': mode = O_RDONLY; break;
        case 'w': mode = O_WRONLY | O_CREAT | O_TRUNC; break;
        case 'u': mode = O_RDWR; break;
        case 'a': mode = O_WRONLY | O_CREAT | O_APPEND; break;
        case 'c': mode = O_WRONLY | O_APPEND; break;
        case 'x': mode = O_WRONLY | O_CREAT | O_EXCL; break;
        case 'n': nonblock = true; break;
        case 'b': flip = true; break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    unsigned int to = 0;
    if (mode < 0 || argc < 3 || !keel::scan_number(argv[0], to) || to > INT_MAX)
        keel::die_usage(usage);
    const char* file = argv[1];
    const int flags = mode | (nonblock ? O_NONBLOCK : 0);
    // -w -a -x create the file 0666 under the inherited umask, as s6-redirfd does.
    constexpr mode_t create_mode = 0666;

    keel::Fd fd = keel::open_file(file, flags, create_mode);
    if (!fd && errno == ENXIO && (mode & O_ACCMODE) == O_WRONLY) {
        // A FIFO without a reader: be the reader while opening, so the open succeeds; writes
        // then fail with EPIPE until a real reader comes.
        keel::Fd reader = keel::open_file(file, O_RDONLY | O_NONBLOCK);
        if (!reader) keel::die_sys(keel::exit_sys, "unable to open ", file, " for reading");
        fd = keel::open_file(file, flags, create_mode);
    }
    if (!fd) keel::die_sys(keel::exit_sys, "unable to open ", file);
    if (flip && !keel::set_nonblock(fd.get(), !nonblock))
        keel::die_sys(keel::exit_sys, "unable to change the blocking mode of ", file);
    const int from = fd.release();
    if (!keel::fd_move(static_cast<int>(to), from))
        keel::die_sys(keel::exit_sys, "unable to move fd ", keel::fmt_number(from), " to fd ",
                      argv[0]);
    keel::xexec(argv + 2);
}
