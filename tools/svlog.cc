// svlog: a reliable line logger, s6-log compatible. Reads stdin and runs each line through the
// logging script of its arguments (regex selection, TAI64N or local stamps, prefixes); selected
// lines go to logdirs (s6-log's on-disk format: current, @TAI64N.s archives, processors), to
// stdout, to stderr as alerts, or into status files. A line read is never dropped: a failing
// disk operation is retried every r ms, and the lines wait in memory (with -b, in the producer's
// pipe). Exits 0 at EOF, or on SIGTERM/SIGHUP once the line being read is complete.
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/growbuf.h"
#include "keel/logdir.h"
#include "keel/logscript.h"
#include "keel/loop.h"
#include "keel/notify.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/str.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage = "svlog [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] "
                                   "[ -t lastlinetimeout ] [ -- ] script...";

constexpr std::size_t in_size = 256 * 1024;     // stdin is read in blocks of up to this
constexpr std::size_t queue_size = 512 * 1024;  // per logdir: what one block of input makes
constexpr std::size_t out_size = 64 * 1024;     // stdout
constexpr std::size_t batch_size = 256 * 1024;  // output queued before it is written
constexpr std::size_t min_linelimit = 48;
constexpr std::int64_t recheck_ms = 1000;
constexpr int trapped[] = {SIGTERM, SIGHUP, SIGALRM, SIGCHLD};

struct Options {
    int notif = -1;
    unsigned verbosity = 1;
    bool block = false;
    bool protect = false;
    std::size_t linelimit = 8192;
    std::uint32_t lastline_ms = 2000;
};

// How stdin is read: in blocks; after SIGTERM/SIGHUP, byte by byte up to the end of the
// partial line (so that what follows it stays in the pipe for the next logger); not at all.
enum class Reading : std::uint8_t { blocks, last_line, done };

// stdin's bytes not run yet: [start, end) of one block (grown only for a line longer than it).
struct Input {
    char* buf = nullptr;
    std::size_t cap = 0, start = 0, end = 0;
    std::size_t clean = 0; // [start, start + clean) has no newline: searched already
};

// The whole state of the logger.
struct Log {
    Options o;
    keel::LogScript script;
    keel::Logdir* dirs = nullptr;
    std::size_t ndirs = 0;
    std::uint32_t* chosen = nullptr; // the actions of the current line
    std::uint32_t* all = nullptr;    // every action: the choice when the script never selects
    keel::GrowBuf out;               // for stdout
    bool out_open = false;
    keel::GrowBuf scratch;           // a status file's content
    keel::LineStamps stamps;
    Input in;
    keel::SignalFd sig;
    Reading reading = Reading::blocks;
    std::int64_t lastline_deadline = keel::no_deadline;
    std::uint64_t lines = 0;       // lines run so far
    std::int64_t read_after = 0;   // out of memory for a long line: no reading until then
    bool more = false;             // the last read got data: there may be more

    Log() noexcept = default;
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;
    ~Log()
    {
        for (std::size_t i = 0; i < ndirs; ++i) dirs[i].~Logdir();
        std::free(dirs);
        std::free(chosen);
        std::free(all);
        std::free(in.buf);
    }
};

// --- Diagnostics ---------------------------------------------------------------------------

// "unable to VERB DIR[/FILE][ to DIR/TO]: error", or "processor failed in DIR"; a fatal one
// exits 111.
void say_step(const keel::Logdir& d, bool fatal)
{
    const keel::LogStepText t = keel::log_step_text(d.failed_step());
    const std::string_view dir = d.config().dir;
    std::array<std::string_view, 10> v;
    std::size_t n = 0;
    if (t.verb.empty()) {
        v[n++] = t.file;
        v[n++] = " ";
        v[n++] = dir;
    } else {
        v[n++] = "unable to ";
        v[n++] = t.verb;
        v[n++] = " ";
        v[n++] = dir;
        if (!t.file.empty()) {
            v[n++] = "/";
            v[n++] = t.file;
        }
        if (!t.to.empty()) {
            v[n++] = " to ";
            v[n++] = dir;
            v[n++] = "/";
            v[n++] = t.to;
        }
    }
    const int err = t.verb.empty() ? 0 : d.error();
    keel::report(fatal ? "fatal" : "warning", std::span(v.data(), n), err);
    if (fatal) keel::exit_now(keel::exit_sys);
}

// --- Outputs -------------------------------------------------------------------------------

keel::LogWork service(Log& g, keel::Logdir& d, std::int64_t now)
{
    const keel::LogWork r = d.work(now);
    if (r == keel::LogWork::failed && g.o.verbosity) say_step(d, false);
    return r;
}

// Puts /dev/null on fd (stdin or stdout given up), so that the number stays taken.
void close_to_null(int fd)
{
    keel::Fd null = keel::open_file("/dev/null", O_RDWR);
    if (!null || !keel::fd_copy(fd, null.get())) keel::close_fd(fd);
}

void flush_stdout(Log& g)
{
    while (g.out_open && !g.out.empty()) {
        const std::string_view d = g.out.data();
        const ssize_t w = ::write(1, d.data(), d.size());
        if (w >= 0) {
            g.out.consume(static_cast<std::size_t>(w));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        if (g.o.verbosity)
            keel::warn_sys("unable to write to stdout, closing the stream - error was");
        close_to_null(1);
        g.out_open = false;
        g.out.clear();
    }
}

// Makes room for n more bytes in q (d: its logdir, or nullptr for stdout): writes out what is
// queued first; grows q unless -b (a line that cannot fit even in an empty q always grows it).
bool make_room(Log& g, keel::GrowBuf& q, std::size_t n, keel::Logdir* d)
{
    if (q.room() >= n) return true;
    if (d) (void)service(g, *d, keel::mono_now_ms());
    else flush_stdout(g);
    if (q.room() >= n) return true;
    if (g.o.block && n <= q.capacity()) return false;
    return q.grow(n);
}

void alert(Log& g, const keel::LogAction& a, std::string_view line)
{
    std::array<std::string_view, 6> v;
    std::size_t n = 0;
    if (a.tai) v[n++] = g.stamps.tai();
    if (a.iso) v[n++] = g.stamps.iso();
    if (!a.prefix.empty()) {
        v[n++] = a.prefix;
        v[n++] = " ";
    }
    const bool cut = a.limit && line.size() > std::size_t{a.limit} + 3;
    v[n++] = cut ? keel::head(line, a.limit) : line;
    if (cut) v[n++] = "...";
    keel::report("alert", std::span(v.data(), n), 0);
}

// =FILE: FILE.new written, synced, renamed over FILE.
void status(Log& g, const keel::LogAction& a, std::string_view line)
{
    const std::size_t len = keel::log_line_size(a, g.stamps, line.size());
    const std::size_t room = len > a.limit ? len : a.limit;
    keel::PathBuf<> tmp;
    char* p = nullptr;
    g.scratch.clear();
    if (g.scratch.grow(room)) p = g.scratch.reserve(room);
    bool ok = p && tmp.set(a.file, ".new");
    if (ok) {
        std::size_t n = static_cast<std::size_t>(keel::log_compose(p, a, g.stamps, line) - p);
        n = a.limit && n > a.limit ? a.limit : keel::log_status_fit(p, n, a.limit);
        keel::Fd fd = keel::open_file(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
        ok = fd && keel::write_all(fd.get(), p, n) && fsync(fd.get()) == 0;
        fd.reset();
        ok = ok && rename(tmp.c_str(), a.file) == 0;
    }
    if (!ok && g.o.verbosity) keel::warn_sys("unable to write status file ", a.file);
}

// --- Lines ---------------------------------------------------------------------------------

// The queue an action appends to: its logdir's or stdout's; nullptr for the others (and for
// stdout once given up).
keel::GrowBuf* queue_of(Log& g, const keel::LogAction& a)
{
    if (a.kind == keel::LogActKind::logdir) return &g.dirs[a.logdir].queue();
    if (a.kind == keel::LogActKind::out && g.out_open) return &g.out;
    return nullptr;
}

// Runs the script on one line (without its newline; s[len] may be overwritten meanwhile).
// False if an output has no room for it (-b): nothing was done, the line is to be run again.
bool run_line(Log& g, char* s, std::size_t len)
{
    const std::uint32_t* acts = g.all;
    std::size_t n = g.script.actions().size();
    if (g.script.selects()) {
        const char saved = s[len];
        s[len] = 0;
        n = g.script.select(s, std::span(g.chosen, n));
        s[len] = saved;
        acts = g.chosen;
    }
    const std::span<const keel::LogAction> actions = g.script.actions();
    const std::string_view line(s, len);
    if (n == 1) {
        // The usual case, one queue: no need to check all the room first.
        const keel::LogAction& a = actions[acts[0]];
        if (keel::GrowBuf* q = queue_of(g, a)) {
            const std::size_t need = keel::log_line_size(a, g.stamps, len);
            char* p = q->reserve(need);
            if (!p) {
                keel::Logdir* d = a.kind == keel::LogActKind::logdir ? &g.dirs[a.logdir] : nullptr;
                if (!make_room(g, *q, need, d)) return false;
                p = q->reserve(need);
            }
            q->commit(static_cast<std::size_t>(keel::log_compose(p, a, g.stamps, line) - p));
            return true;
        }
    }
    // Room first in every queue the line goes to, so that it goes either everywhere or nowhere.
    std::size_t out_need = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const keel::LogAction& a = actions[acts[i]];
        if (a.kind == keel::LogActKind::logdir) {
            keel::Logdir& d = g.dirs[a.logdir];
            if (!make_room(g, d.queue(), keel::log_line_size(a, g.stamps, len), &d)) return false;
        } else if (a.kind == keel::LogActKind::out && g.out_open) {
            out_need += keel::log_line_size(a, g.stamps, len);
        }
    }
    if (out_need && !make_room(g, g.out, out_need, nullptr)) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const keel::LogAction& a = actions[acts[i]];
        if (a.kind == keel::LogActKind::alert) {
            alert(g, a, line);
        } else if (a.kind == keel::LogActKind::status) {
            status(g, a, line);
        } else if (keel::GrowBuf* q = queue_of(g, a)) {
            char* p = q->reserve(keel::log_line_size(a, g.stamps, len));
            q->commit(static_cast<std::size_t>(keel::log_compose(p, a, g.stamps, line) - p));
        }
    }
    return true;
}

// Runs every complete line of the input (and the first linelimit bytes of a longer one).
// False if it had to stop for lack of room.
bool run_lines(Log& g)
{
    Input& in = g.in;
    const std::size_t lim = g.o.linelimit;
    bool ok = true;
    // One clock reading per batch: the lines of one read arrived together, so they share
    // their arrival time. (Read per line, the clock took a quarter of the time.)
    if (g.script.stamps() && in.start < in.end) g.stamps.take();
    while (in.start < in.end) {
        char* s = in.buf + in.start;
        keel::LogLineCut cut;
        if (!keel::log_next_line(s, in.end - in.start, lim, in.clean, cut)) break;
        if (!run_line(g, s, cut.len)) {
            ok = false;
            break;
        }
        in.start += cut.used;
        in.clean = 0;
        ++g.lines;
    }
    if (in.start == in.end) in.start = in.end = in.clean = 0;
    return ok;
}

// The input holds a complete line (or one to split) that run_lines() has not run yet.
bool lines_pending(const Log& g)
{
    const Input& in = g.in;
    const std::size_t avail = in.end - in.start;
    if (g.o.linelimit && avail > g.o.linelimit) return true;
    return avail > in.clean && std::memchr(in.buf + in.start + in.clean, '\n', avail - in.clean);
}

bool grow_input(Input& in)
{
    const std::size_t ncap = in.cap * 2;
    auto* p = static_cast<char*>(std::realloc(in.buf, ncap));
    if (!p) return false;
    in.buf = p;
    in.cap = ncap;
    return true;
}

void stop_reading(Log& g)
{
    g.reading = Reading::done;
    close_to_null(0);
}

// The last line ends here (timeout, EOF or its length): a newline is added to what was read
// of it, and reading stops.
void end_last_line(Log& g)
{
    Input& in = g.in;
    if (in.end > in.start && in.buf[in.end - 1] != '\n') {
        if (in.end == in.cap && !grow_input(in)) return; // tried again after the next wait
        in.buf[in.end++] = '\n';
    }
    stop_reading(g);
}

void read_input(Log& g)
{
    Input& in = g.in;
    if (in.start) {
        std::memmove(in.buf, in.buf + in.start, in.end - in.start);
        in.end -= in.start;
        in.start = 0;
    }
    if (in.end == in.cap && !grow_input(in)) { // a partial line as big as the buffer
        g.read_after = keel::deadline_in(recheck_ms);
        return;
    }
    const bool last = g.reading == Reading::last_line;
    const ssize_t r = keel::read_some(0, in.buf + in.end, last ? 1 : in.cap - in.end);
    g.more = r > 0;
    if (r > 0) {
        in.end += static_cast<std::size_t>(r);
        if (!last) return;
        if (in.buf[in.end - 1] == '\n') stop_reading(g);
        else if (g.o.linelimit && in.end - in.start >= g.o.linelimit) end_last_line(g);
        return;
    }
    if (r < 0 && errno == EAGAIN) return;
    if (r < 0 && errno != EPIPE && g.o.verbosity) keel::warn_sys("unable to read from stdin");
    // At EOF, an unterminated line is dropped (as s6-log does), unless it is the last line.
    if (last) end_last_line(g);
    else stop_reading(g);
}

// --- Signals -------------------------------------------------------------------------------

// SIGTERM/SIGHUP: finish the line being read (see Reading), then exit.
void start_exit(Log& g)
{
    if (g.reading != Reading::blocks) return;
    const Input& in = g.in;
    if (in.end > in.start && in.buf[in.end - 1] != '\n') {
        g.reading = Reading::last_line;
        if (g.o.lastline_ms) g.lastline_deadline = keel::deadline_in(g.o.lastline_ms);
    } else {
        stop_reading(g);
    }
}

void reap(Log& g)
{
    for (;;) {
        int wstat;
        const pid_t pid = waitpid(-1, &wstat, WNOHANG);
        if (pid <= 0) return;
        for (std::size_t i = 0; i < g.ndirs; ++i) {
            keel::Logdir& d = g.dirs[i];
            if (d.processor_pid() != pid) continue;
            if (!d.processor_exited(wstat) && g.o.verbosity) say_step(d, false);
        }
    }
}

void handle_signals(Log& g)
{
    for (;;) {
        const int s = g.sig.next();
        if (s < 0) keel::die_sys(keel::exit_sys, "unable to read signals");
        switch (s) {
        case 0: return;
        case SIGALRM:
            for (std::size_t i = 0; i < g.ndirs; ++i) g.dirs[i].request_rotation();
            break;
        case SIGTERM:
            if (g.o.protect) break;
            [[fallthrough]];
        case SIGHUP: start_exit(g); break;
        case SIGCHLD: reap(g); break;
        default: break;
        }
    }
}

// --- Start-up and loop ---------------------------------------------------------------------

void parse_script(Log& g, int argc, char** argv)
{
    const keel::LogScriptStatus st =
        g.script.parse(std::span(argv, static_cast<std::size_t>(argc)));
    if (st.extraneous && g.o.verbosity) keel::warn("ignoring extraneous non-action directives");
    using E = keel::LogScriptError;
    switch (st.error) {
    case E::none: break;
    case E::unrecognized: keel::die(keel::exit_usage, "unrecognized directive: ", st.arg);
    case E::syntax: keel::die(keel::exit_usage, "syntax error at directive: ", st.arg);
    case E::no_action: keel::die(keel::exit_usage, "no action directive specified");
    case E::conflict:
        keel::die(keel::exit_usage, "directive ", st.arg, " conflicts with previous s directive");
    case E::no_execline:
        keel::die(keel::exit_usage, "unable to find execlineb in PATH for directive: ", st.arg);
    case E::nomem: keel::die_sys(keel::exit_sys, "unable to compile the logging script");
    }
}

void start(Log& g)
{
    const std::size_t nacts = g.script.actions().size();
    g.chosen = static_cast<std::uint32_t*>(std::calloc(nacts + 1, sizeof(std::uint32_t)));
    g.all = static_cast<std::uint32_t*>(std::calloc(nacts + 1, sizeof(std::uint32_t)));
    g.in.cap = in_size;
    g.in.buf = static_cast<char*>(std::malloc(in_size));
    if (!g.chosen || !g.all || !g.in.buf || !g.out.init(out_size) || !g.scratch.init(4096))
        keel::die_sys(keel::exit_sys, "unable to allocate buffers");
    for (std::uint32_t i = 0; i < nacts; ++i) {
        g.all[i] = i;
        if (g.script.actions()[i].kind == keel::LogActKind::out) g.out_open = true;
    }
    if (!keel::set_nonblock(0, true))
        keel::die_sys(keel::exit_sys, "unable to set stdin non-blocking");
    if (g.out_open && !keel::set_nonblock(1, true))
        keel::die_sys(keel::exit_sys, "unable to set stdout non-blocking");
    if (g.script.stamps()) tzset();
    if (!g.sig.open(trapped) || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        keel::die_sys(keel::exit_sys, "unable to set up signals");

    const mode_t mask = umask(0);
    umask(mask);
    const auto cfgs = g.script.logdirs();
    g.ndirs = cfgs.size();
    g.dirs = static_cast<keel::Logdir*>(std::calloc(g.ndirs + 1, sizeof(keel::Logdir)));
    if (!g.dirs) keel::die_sys(keel::exit_sys, "unable to allocate buffers");
    for (std::size_t i = 0; i < g.ndirs; ++i) {
        keel::Logdir* d = new (g.dirs + i) keel::Logdir;
        if (!d->open(cfgs[i], 0666 & ~mask, queue_size)) say_step(*d, true);
    }
    if (g.o.notif >= 0) {
        if (!keel::notify_ready(g.o.notif) && g.o.verbosity)
            keel::warn_sys("unable to write readiness notification");
    }
    // Descriptors 3 to 5 stay taken, so that a processor's fds 4 and 5 never land on the
    // pipe that spawning it uses (see Logdir::work).
    for (;;) {
        const int fd = keel::open_file("/dev/null", O_RDONLY).release();
        if (fd < 0 || fd > 5) {
            if (fd >= 0) keel::close_fd(fd);
            break;
        }
    }
}

// Every queue holds less than n bytes.
bool queues_below(const Log& g, std::size_t n)
{
    for (std::size_t i = 0; i < g.ndirs; ++i)
        if (g.dirs[i].queue().size() >= n) return false;
    return g.out.size() < n;
}

// Everything written and closed: time to exit.
bool finished(Log& g, std::int64_t now)
{
    if (g.reading != Reading::done || lines_pending(g)) return false;
    if (g.out_open && !g.out.empty()) return false;
    bool all = true;
    for (std::size_t i = 0; i < g.ndirs; ++i)
        if (!g.dirs[i].idle()) all = false;
    if (!all) return false;
    for (std::size_t i = 0; i < g.ndirs; ++i) {
        keel::Logdir& d = g.dirs[i];
        const keel::LogWork r = d.finalize(now);
        if (r == keel::LogWork::failed && g.o.verbosity) say_step(d, false);
        if (r != keel::LogWork::done) all = false;
    }
    return all;
}

int run(Log& g)
{
    for (;;) {
        const std::int64_t now = keel::mono_now_ms();
        bool blocked = !run_lines(g);
        if (g.more && !blocked && !g.o.block && g.reading == Reading::blocks && now >= g.read_after
            && queues_below(g, batch_size)) {
            // More input is probably there: read it before writing, for bigger writes and
            // no poll per read. Signals and deadlines are seen at the next write.
            read_input(g);
            continue;
        }
        bool queued = false;
        for (std::size_t i = 0; i < g.ndirs; ++i) {
            (void)service(g, g.dirs[i], now);
            if (!g.dirs[i].queue().empty()) queued = true;
        }
        flush_stdout(g);
        if (g.out_open && !g.out.empty()) queued = true;
        if (blocked) {
            // Writing may have made room: if more lines ran, write them before waiting.
            const std::uint64_t before = g.lines;
            blocked = !run_lines(g);
            if (g.lines != before) continue;
        }
        const bool pending = blocked || lines_pending(g);
        if (g.reading == Reading::done && !pending && finished(g, now)) return 0;
        if (g.reading == Reading::last_line && now >= g.lastline_deadline) {
            end_last_line(g);
            continue;
        }

        std::array<pollfd, 3> fds{};
        std::size_t n = 0;
        fds[n++] = {g.sig.fd(), POLLIN, 0};
        const std::size_t out_i = g.out_open && !g.out.empty() ? n++ : 0;
        if (out_i) fds[out_i] = {1, POLLOUT, 0};
        const bool may_read = g.reading != Reading::done && !pending && !(g.o.block && queued)
            && now >= g.read_after;
        const std::size_t in_i = may_read ? n++ : 0;
        if (in_i) fds[in_i] = {0, POLLIN, 0};
        std::int64_t deadline = keel::no_deadline;
        for (std::size_t i = 0; i < g.ndirs; ++i)
            deadline = keel::earliest(deadline, g.dirs[i].deadline());
        if (g.reading == Reading::last_line)
            deadline = keel::earliest(deadline, g.lastline_deadline);
        // Out of memory, or exiting: nothing else may say when to try again.
        if (blocked || g.reading == Reading::done)
            deadline = keel::earliest(deadline, now + recheck_ms);
        if (now < g.read_after) deadline = keel::earliest(deadline, g.read_after);
        if (keel::poll_until(std::span(fds.data(), n), deadline) < 0)
            keel::die_sys(keel::exit_sys, "unable to poll");
        if (fds[0].revents) handle_signals(g);
        if (out_i && fds[out_i].revents) flush_stdout(g);
        if (in_i && fds[in_i].revents) read_input(g);
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svlog";
    Log g;
    keel::OptParser opts(argc, argv, "d:qvbpl:t:");
    while (int c = opts.next()) {
        switch (c) {
        case 'd': g.o.notif = keel::xfd_arg(opts.arg(), usage, "notification fd"); break;
        case 'q': if (g.o.verbosity) --g.o.verbosity; break;
        case 'v': ++g.o.verbosity; break;
        case 'b': g.o.block = true; break;
        case 'p': g.o.protect = true; break;
        case 'l':
            if (!keel::scan_number(std::string_view(opts.arg()), g.o.linelimit))
                keel::die_usage(usage);
            break;
        case 't':
            if (!keel::scan_number(std::string_view(opts.arg()), g.o.lastline_ms))
                keel::die_usage(usage);
            break;
        default: keel::die_usage(usage);
        }
    }
    argc -= opts.index();
    argv += opts.index();
    if (argc < 1) keel::die_usage(usage);
    if (g.o.linelimit && g.o.linelimit < min_linelimit) g.o.linelimit = min_linelimit;
    if (!keel::open_std())
        keel::die_sys(keel::exit_sys, "unable to ensure stdin/stdout/stderr are open");
    parse_script(g, argc, argv);
    start(g);
    return run(g);
}
