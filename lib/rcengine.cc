// The service manager's transition engine (keel/rcengine.h): one poll loop drives every
// transition at once. A longrun is followed through its supervisor's event fifodir (subscribe,
// read the status, then write the control byte, as svc -w does), a oneshot through a
// connection to the oneshot runner. Each service waits on a counter of prerequisites; a
// success counts down its dependents' counters, a failure skips them.
#include "keel/rcengine.h"

#include "keel/err.h"
#include "keel/fd.h"
#include "keel/fifodir.h"
#include "keel/loop.h"
#include "keel/num.h"
#include "keel/path.h"
#include "keel/rconeshot.h"
#include "keel/rlimit.h"
#include "keel/sig.h"
#include "keel/svcontrol.h"
#include "keel/svlisten.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <initializer_list>
#include <new>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keel::rc {

void close_over(const Db& db, std::span<std::uint8_t> sel, bool down) noexcept
{
    const std::uint32_t n = db.size() < sel.size() ? db.size() : static_cast<std::uint32_t>(sel.size());
    auto edges = [&](std::uint32_t i) { return down ? db.rdeps(i) : db.deps(i); };
    auto* todo = static_cast<std::uint32_t*>(std::malloc(sizeof(std::uint32_t) * (n ? n : 1)));
    if (todo) {
        std::uint32_t len = 0;
        for (std::uint32_t i = 0; i < n; ++i)
            if (sel[i]) todo[len++] = i;
        while (len) {
            const std::uint32_t i = todo[--len];
            for (const std::uint32_t d : edges(i))
                if (d < n && !sel[d]) sel[d] = 1, todo[len++] = d;
        }
        std::free(todo);
        return;
    }
    // No memory for a work list: sweep until nothing changes (one sweep per level at worst).
    for (bool changed = true; changed;) {
        changed = false;
        for (std::uint32_t i = 0; i < n; ++i)
            if (sel[i])
                for (const std::uint32_t d : edges(i))
                    if (d < n && !sel[d]) sel[d] = 1, changed = true;
    }
}

namespace {

enum class Dir : std::uint8_t { none, up, down };
enum class Phase : std::uint8_t { waiting, queued, running, done, failed, skipped };

// One atomic service's part in the change.
struct Node {
    std::uint32_t pending = 0; // prerequisites (transitions in the same direction) not done
    Dir dir = Dir::none;
    Phase phase = Phase::waiting;
    bool held_down = false; // in the down set: never brought up
};

// One transition in flight.
struct Slot {
    std::uint32_t svc = none_index; // none_index: free
    std::uint32_t cost = 0;         // descriptors it holds (see Engine::fd_budget_)
    std::int64_t deadline = no_deadline;
    ftrig::Listener events; // a longrun's subscription
    sv::Goal goal;
    bool up = false, ready = false;
    Fd sock; // a oneshot's connection to the runner
    rconeshot::Reply reply;
};

// What starting a transition came to.
enum class Started { running, done, failed, later };

constexpr int stop_signals[] = {SIGTERM, SIGINT};
// How long a start put off for want of descriptors (or of room in the runner's backlog)
// waits before it is tried again, when nothing else of ours ends first.
constexpr std::int64_t retry_ms = 20;
// Descriptors kept free for what a transition opens for a moment (the status file, the
// control FIFO, the down file, state.new).
constexpr std::int64_t fd_reserve = 8;

// How many descriptors this process has open (16, a guess, if /proc is not there).
std::int64_t open_fds() noexcept
{
    DIR* d = opendir("/proc/self/fd");
    if (!d) return 16;
    std::int64_t n = -1; // the directory's own descriptor
    while (const dirent* e = readdir(d))
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

class Engine {
public:
    Engine(Live& live, const ChangeOptions& opt) noexcept
        : live_(live), db_(live.db()), opt_(opt), n_(live.size())
    {}
    ~Engine();

    // Allocates everything, computes the transitions. False (message printed) on failure.
    bool prepare(std::span<const std::uint8_t> want) noexcept;
    ChangeResult run() noexcept;

private:
    bool is_up(Dir d) const noexcept { return d == Dir::up; }
    std::string_view verb(Dir d) const noexcept { return is_up(d) ? "start" : "stop"; }
    std::span<const std::uint32_t> prereqs(std::uint32_t i, Dir d) const noexcept
    {
        return is_up(d) ? db_.deps(i) : db_.rdeps(i);
    }
    std::span<const std::uint32_t> dependents(std::uint32_t i, Dir d) const noexcept
    {
        return is_up(d) ? db_.rdeps(i) : db_.deps(i);
    }

    void announce(std::uint32_t i) noexcept;
    Started start(std::uint32_t i, Slot& s) noexcept;
    Started start_longrun(std::uint32_t i, Slot& s, std::uint32_t timeout) noexcept;
    Started start_oneshot(std::uint32_t i, Slot& s, std::uint32_t timeout) noexcept;
    void start_queued() noexcept;
    void on_readable(Slot& s) noexcept;
    void on_timeout(Slot& s) noexcept;
    void interrupt(int sig) noexcept;
    void succeed(std::uint32_t i) noexcept;
    // One function, not a template per call site: rc-update links this too and must stay small.
    // The message ends with why, then ": strerror(err)" if err is not 0.
    void fail(std::uint32_t i, std::initializer_list<std::string_view> why, int err = 0) noexcept;
    void release(Slot& s) noexcept;
    void leftovers() noexcept;

    Live& live_;
    const Db& db_;
    const ChangeOptions& opt_;
    const std::uint32_t n_;
    bool dry_ = false;
    std::int64_t deadline_ = no_deadline;

    Node* nodes_ = nullptr;
    Slot* slots_ = nullptr;
    std::uint32_t nslots_ = 0;
    std::uint32_t* free_ = nullptr; // free slot indices (a stack)
    std::uint32_t nfree_ = 0;
    std::uint32_t* active_ = nullptr; // slot indices in flight
    std::uint32_t nactive_ = 0;
    std::uint32_t* queue_ = nullptr; // services whose prerequisites are done, in order
    std::uint32_t qhead_ = 0, qtail_ = 0;
    std::uint32_t* work_ = nullptr; // for skipping
    pollfd* fds_ = nullptr;
    std::uint32_t* fd_slot_ = nullptr;
    std::uint8_t* sel_ = nullptr;

    SignalFd sig_;
    std::int64_t retry_at_ = no_deadline; // a start put off for want of descriptors
    // Descriptors the transitions in flight may hold (a longrun 3, a oneshot 1), and how many
    // they hold now: a start that would go beyond waits for one to end.
    std::int64_t fd_budget_ = INT64_MAX;
    std::int64_t fd_used_ = 0;
    bool runner_ok_ = false;
    bool stopping_ = false;
    bool sys_error_ = false;
    bool failed_ = false;
    PathBuf<> runner_; // last: the other members stay at short offsets
};

Engine::~Engine()
{
    if (slots_)
        for (std::uint32_t k = 0; k < nslots_; ++k) slots_[k].~Slot();
    // Two blocks hold all the arrays (see prepare()).
    std::free(slots_);
    std::free(nodes_);
}

bool Engine::prepare(std::span<const std::uint8_t> want) noexcept
{
    if (want.size() != n_) {
        errno = EINVAL;
        warn_sys("unable to change the services");
        return false;
    }
    dry_ = opt_.dryrun_ms >= 0;
    if (opt_.deadline_ms >= 0) deadline_ = opt_.deadline_ms;
    // One zeroed block per phase, the most aligned array first: nodes_, queue_, work_, sel_.
    static_assert(alignof(Node) <= alignof(std::uint32_t));
    nodes_ = static_cast<Node*>(
        std::calloc(n_ + 1, sizeof(Node) + 2 * sizeof(std::uint32_t) + sizeof(std::uint8_t)));
    if (!nodes_) {
        warn_sys("unable to allocate memory");
        return false;
    }
    queue_ = reinterpret_cast<std::uint32_t*>(nodes_ + n_);
    work_ = queue_ + n_;
    sel_ = reinterpret_cast<std::uint8_t*>(work_ + n_);
    // Down wins: whatever depends on a service wanted down goes down too, and a service of
    // that set is never brought up (what depends on it is in the set as well, so the rest of
    // the wanted-up closure stays closed).
    for (std::uint32_t i = 0; i < n_; ++i) sel_[i] = want[i] == want_down;
    close_over(db_, {sel_, n_}, true);
    for (std::uint32_t i = 0; i < n_; ++i) {
        nodes_[i].held_down = sel_[i];
        if (sel_[i] && live_.is_up(i)) nodes_[i].dir = Dir::down;
    }
    for (std::uint32_t i = 0; i < n_; ++i) sel_[i] = want[i] == want_up;
    close_over(db_, {sel_, n_}, false);
    for (std::uint32_t i = 0; i < n_; ++i)
        if (sel_[i] && !nodes_[i].held_down && !live_.is_up(i)) nodes_[i].dir = Dir::up;

    // Prerequisites: the transitions in the same direction this one must wait for.
    for (std::uint32_t i = 0; i < n_; ++i) {
        Node& nd = nodes_[i];
        if (nd.dir == Dir::none) continue;
        ++nslots_;
        for (const std::uint32_t p : prereqs(i, nd.dir))
            if (p < n_ && nodes_[p].dir == nd.dir) ++nd.pending;
    }
    for (std::uint32_t i = 0; i < n_; ++i)
        if (nodes_[i].dir != Dir::none && !nodes_[i].pending) {
            nodes_[i].phase = Phase::queued;
            queue_[qtail_++] = i;
        }

    // One slot per transition (never more in flight), one pollfd per slot and the signals.
    // The second block: slots_, fds_, free_, active_, fd_slot_ (each one more than needed).
    static_assert(alignof(pollfd) <= alignof(Slot) && sizeof(Slot) % alignof(pollfd) == 0);
    static_assert(alignof(std::uint32_t) <= alignof(pollfd));
    void* block = std::calloc(nslots_ + 1, sizeof(Slot) + sizeof(pollfd) + 3 * sizeof(std::uint32_t));
    if (!block) {
        warn_sys("unable to allocate memory");
        return false;
    }
    fds_ = reinterpret_cast<pollfd*>(static_cast<Slot*>(block) + nslots_ + 1);
    free_ = reinterpret_cast<std::uint32_t*>(fds_ + nslots_ + 1);
    active_ = free_ + nslots_ + 1;
    fd_slot_ = active_ + nslots_ + 1;
    slots_ = static_cast<Slot*>(block);
    for (std::uint32_t k = 0; k < nslots_; ++k) {
        new (slots_ + k) Slot;
        free_[nfree_++] = nslots_ - 1 - k;
    }
    if (!sig_.open(stop_signals)) {
        warn_sys("unable to block signals");
        return false;
    }
    // A supervisor or the runner that goes away must not kill us through a write.
    signal(SIGPIPE, SIG_IGN);
    // Each longrun in flight holds three descriptors: use all the system grants.
    (void)raise_soft_limit(RLIMIT_NOFILE);
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < static_cast<rlim_t>(INT64_MAX / 2))
        fd_budget_ = static_cast<std::int64_t>(rl.rlim_cur) - open_fds() - fd_reserve;
    runner_ok_ = live_.runner_socket(runner_);
    return true;
}

void Engine::announce(std::uint32_t i) noexcept
{
    if (opt_.verbosity >= 2)
        info("service ", db_.name(i), is_up(nodes_[i].dir) ? ": starting" : ": stopping");
}

Started Engine::start(std::uint32_t i, Slot& s) noexcept
{
    s.deadline = no_deadline;
    const std::uint32_t t = is_up(nodes_[i].dir) ? db_.timeout_up(i) : db_.timeout_down(i);
    const Started r = db_.type(i) == Type::longrun ? start_longrun(i, s, t) : start_oneshot(i, s, t);
    if (r == Started::running && !dry_ && t) s.deadline = deadline_in(t);
    return r;
}

Started Engine::start_longrun(std::uint32_t i, Slot& s, std::uint32_t t) noexcept
{
    const bool up = is_up(nodes_[i].dir);
    PathBuf<> dir;
    if (!live_.service_dir(i, dir)) {
        fail(i, {"unable to find its service directory"}, errno);
        return Started::failed;
    }
    bool notif = false;
    if (up) {
        PathBuf<> p;
        notif = p.set(dir.view(), "/notification-fd") && access(p.c_str(), F_OK) == 0;
    }
    if (dry_) {
        if (opt_.verbosity >= 1)
            info("dry run: svc -", up ? (notif ? "uwU" : "uwu") : "dwD", " -T ", fmt_number(t).view(),
                 " -- ", dir.view());
        announce(i);
        s.deadline = deadline_in(opt_.dryrun_ms);
        return Started::running;
    }
    s.goal = {.up = up, .ready = up ? notif : true, .any = false};
    // Subscribe, read the status, then send the command: no event can be missed.
    const char* step = "";
    if (!sv::follow_start(dir.c_str(), s.events, s.up, s.ready, step)) {
        const int e = errno;
        if (s.events.fd() < 0) {
            if (e == EMFILE || e == ENFILE) return Started::later;
            fail(i, {"unable to subscribe to ", dir.view(), "/event"}, e);
            return Started::failed;
        }
        if (e == EMFILE || e == ENFILE) return Started::later;
        if (e != ENOENT) {
            fail(i, {"unable to read status for ", dir.view(), ": ", sv::status_error(e)});
            return Started::failed;
        }
        // No status: no supervisor ever ran there; the control FIFO tells if one runs now.
        s.up = s.ready = false;
    }
    switch (sv::write_control(dir.c_str(), up ? "u" : "d")) {
    case sv::CtlResult::ok: announce(i); break;
    case sv::CtlResult::not_supervised: fail(i, {"supervisor not running"}); return Started::failed;
    case sv::CtlResult::bad_dir:
    case sv::CtlResult::error:
        // Nothing was written yet: with a descriptor, it can be done later.
        if (errno == EMFILE || errno == ENFILE) return Started::later;
        fail(i, {"unable to control ", dir.view()}, errno);
        return Started::failed;
    }
    return sv::goal_holds(s.up, s.ready, s.goal) ? Started::done : Started::running;
}

Started Engine::start_oneshot(std::uint32_t i, Slot& s, std::uint32_t) noexcept
{
    const bool up = is_up(nodes_[i].dir);
    if (dry_) {
        if (opt_.verbosity >= 1) info("dry run: oneshot ", up ? "up " : "down ", db_.name(i));
        announce(i);
        s.deadline = deadline_in(opt_.dryrun_ms);
        return Started::running;
    }
    if (!runner_ok_) {
        fail(i, {"unable to reach the oneshot runner"}, ENAMETOOLONG);
        return Started::failed;
    }
    Fd sock = rconeshot::start(runner_.c_str(), up ? rconeshot::Op::up : rconeshot::Op::down,
                               db_.name(i));
    if (!sock) {
        const int e = errno;
        if (e == EAGAIN || e == EMFILE || e == ENFILE) return Started::later;
        fail(i, {"unable to reach the oneshot runner"}, e);
        return Started::failed;
    }
    announce(i);
    s.sock = static_cast<Fd&&>(sock);
    s.reply = {};
    return Started::running;
}

void Engine::start_queued() noexcept
{
    if (retry_at_ != no_deadline && mono_now_ms() < retry_at_) return;
    retry_at_ = no_deadline;
    while (qhead_ != qtail_ && nfree_) {
        const std::uint32_t i = queue_[qhead_];
        const std::uint32_t cost = dry_ ? 0 : db_.type(i) == Type::longrun ? 3 : 1;
        if (nactive_ && fd_used_ + cost > fd_budget_) return; // until one ends
        const std::uint32_t k = free_[--nfree_];
        Slot& s = slots_[k];
        s.svc = i;
        const Started r = start(i, s);
        if (r == Started::later) {
            const int e = errno;
            s.events.unsubscribe();
            s.svc = none_index;
            free_[nfree_++] = k;
            if (!nactive_ && e != EAGAIN) {
                // Nothing of ours will give descriptors back: no point in waiting.
                ++qhead_;
                fail(i, {"unable to ", verb(nodes_[i].dir)}, e);
                continue;
            }
            retry_at_ = deadline_in(retry_ms);
            return;
        }
        ++qhead_;
        if (r == Started::running) {
            nodes_[i].phase = Phase::running;
            s.cost = cost;
            fd_used_ += cost;
            active_[nactive_++] = k;
            continue;
        }
        s.events.unsubscribe();
        s.sock.reset();
        s.svc = none_index;
        free_[nfree_++] = k;
        if (r == Started::done) succeed(i);
    }
}

void Engine::release(Slot& s) noexcept
{
    for (std::uint32_t k = 0; k < nactive_; ++k) {
        if (&slots_[active_[k]] != &s) continue;
        fd_used_ -= s.cost;
        s.cost = 0;
        free_[nfree_++] = active_[k];
        active_[k] = active_[--nactive_];
        break;
    }
    s.events.unsubscribe();
    s.sock.reset();
    s.svc = none_index;
}

void Engine::on_readable(Slot& s) noexcept
{
    const std::uint32_t i = s.svc;
    if (s.sock) {
        switch (rconeshot::finish(s.sock.get(), s.reply)) {
        case rconeshot::Finish::pending: return;
        case rconeshot::Finish::exited: {
            const int w = s.reply.wstatus;
            release(s);
            if (!w) succeed(i);
            else if (WIFSIGNALED(w)) fail(i, {"killed by signal ", sig_text(WTERMSIG(w)).view()});
            else fail(i, {"exited ", fmt_number(WEXITSTATUS(w)).view()});
            return;
        }
        case rconeshot::Finish::refused: {
            const int e = s.reply.error;
            release(s);
            fail(i, {"the oneshot runner could not run it"}, e);
            return;
        }
        case rconeshot::Finish::failed: {
            const int e = errno;
            release(s);
            fail(i, {"lost the oneshot runner"}, e);
            return;
        }
        }
        return;
    }
    char buf[64];
    const ssize_t r = s.events.read(buf, sizeof buf);
    if (r < 0) {
        const int e = errno;
        release(s);
        fail(i, {"unable to read its events"}, e);
        return;
    }
    for (ssize_t k = 0; k < r; ++k) {
        if (sv::apply_event(s.up, s.ready, buf[k], s.goal)) {
            release(s);
            fail(i, {buf[k] == 'O' ? "permanent failure reported by its supervisor"
                                   : "supervisor exited"});
            return;
        }
        if (sv::goal_holds(s.up, s.ready, s.goal)) {
            release(s);
            succeed(i);
            return;
        }
    }
}

void Engine::on_timeout(Slot& s) noexcept
{
    const std::uint32_t i = s.svc;
    release(s);
    if (dry_) succeed(i);
    else fail(i, {"timed out"});
}

void Engine::interrupt(int sig) noexcept
{
    const auto name = sig_text(sig);
    if (!stopping_ && opt_.verbosity >= 2)
        info("received ", name.view(), ", aborting longrun transitions");
    stopping_ = true;
    for (std::uint32_t k = nactive_; k-- > 0;) {
        Slot& s = slots_[active_[k]];
        const std::uint32_t i = s.svc;
        if (db_.type(i) != Type::longrun) continue; // oneshots are left to finish
        release(s);
        fail(i, {"interrupted by ", name.view()});
    }
}

void Engine::succeed(std::uint32_t i) noexcept
{
    Node& nd = nodes_[i];
    nd.phase = Phase::done;
    const bool up = is_up(nd.dir);
    if (!dry_) {
        if (db_.type(i) == Type::longrun) {
            // The down file makes the service's state survive a restart of its supervisor.
            PathBuf<> p;
            if (!live_.service_dir(i, p) || !p.append("/down")) {
                if (opt_.verbosity >= 1) warn_sys("unable to ", up ? "unlink " : "touch ", "the down file of ", db_.name(i));
            } else if (up ? unlink(p.c_str()) < 0 && errno != ENOENT
                          : !open_file(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644)) {
                if (opt_.verbosity >= 1) warn_sys("unable to ", up ? "unlink " : "touch ", p.view());
            }
        }
        live_.set_up(i, up);
        if (!live_.save_state()) {
            warn_sys("unable to write ", live_.real(), "/", live_state);
            sys_error_ = true;
        }
    }
    if (opt_.verbosity >= 2)
        info("service ", db_.name(i), up ? " successfully started" : " successfully stopped");
    for (const std::uint32_t j : dependents(i, nd.dir)) {
        if (j >= n_) continue;
        Node& dj = nodes_[j];
        if (dj.dir != nd.dir || dj.phase != Phase::waiting || !dj.pending) continue;
        if (!--dj.pending) {
            dj.phase = Phase::queued;
            queue_[qtail_++] = j;
        }
    }
}

void Engine::fail(std::uint32_t i, std::initializer_list<std::string_view> why, int err) noexcept
{
    Node& nd = nodes_[i];
    nd.phase = Phase::failed;
    failed_ = true;
    const bool up = is_up(nd.dir);
    if (opt_.verbosity >= 1) {
        std::string_view v[max_pieces] = {"unable to ", verb(nd.dir), " service ", db_.name(i), ": "};
        std::size_t k = 5;
        for (const std::string_view w : why)
            if (k < max_pieces) v[k++] = w;
        report("warning", {v, k}, err);
    }
    if (up && !dry_ && db_.type(i) == Type::longrun) {
        // It may come up later all the same: make sure it does not, the state says down.
        PathBuf<> dir;
        if (live_.service_dir(i, dir)) (void)sv::write_control(dir.c_str(), "d");
    }
    // Everything waiting on it, directly or not, is skipped.
    std::uint32_t len = 0;
    work_[len++] = i;
    while (len) {
        const std::uint32_t k = work_[--len];
        for (const std::uint32_t j : dependents(k, nd.dir)) {
            if (j >= n_) continue;
            Node& dj = nodes_[j];
            if (dj.dir != nd.dir || dj.phase != Phase::waiting) continue;
            dj.phase = Phase::skipped;
            if (opt_.verbosity >= 1)
                warn("service ", db_.name(j), up ? " not started: dependency " : " not stopped: dependent ",
                     db_.name(i), up ? " failed to start" : " failed to stop");
            work_[len++] = j;
        }
    }
}

void Engine::leftovers() noexcept
{
    for (std::uint32_t i = 0; i < n_; ++i) {
        const Node& nd = nodes_[i];
        if (nd.dir == Dir::none || (nd.phase != Phase::waiting && nd.phase != Phase::queued))
            continue;
        failed_ = true;
        if (opt_.verbosity >= 1)
            warn("service ", db_.name(i), is_up(nd.dir) ? " not started: " : " not stopped: ",
                 stopping_ ? "interrupted" : "its prerequisites never completed");
    }
}

ChangeResult Engine::run() noexcept
{
    bool timed_out = false;
    for (;;) {
        if (!stopping_) start_queued();
        if (!nactive_ && (stopping_ || qhead_ == qtail_)) break;
        std::size_t nf = 0;
        fds_[nf] = {sig_.fd(), POLLIN, 0};
        fd_slot_[nf++] = none_index;
        std::int64_t when = deadline_;
        if (qhead_ != qtail_ && !stopping_) when = earliest(when, retry_at_);
        for (std::uint32_t k = 0; k < nactive_; ++k) {
            const Slot& s = slots_[active_[k]];
            when = earliest(when, s.deadline);
            const int fd = s.sock ? s.sock.get() : s.events.fd();
            if (fd < 0) continue;
            fds_[nf] = {fd, POLLIN, 0};
            fd_slot_[nf++] = active_[k];
        }
        if (poll_until({fds_, nf}, when) < 0) {
            warn_sys("unable to poll");
            sys_error_ = true;
            break;
        }
        if (fds_[0].revents) {
            for (;;) {
                const int sig = sig_.next();
                if (sig <= 0) break;
                if (sig == SIGTERM || sig == SIGINT) interrupt(sig);
            }
        }
        for (std::size_t f = 1; f < nf; ++f) {
            if (!fds_[f].revents) continue;
            Slot& s = slots_[fd_slot_[f]];
            // It may have ended meanwhile (interrupted): its fd is then closed.
            const int fd = s.sock ? s.sock.get() : s.events.fd();
            if (s.svc != none_index && fd == fds_[f].fd) on_readable(s);
        }
        const std::int64_t now = mono_now_ms();
        for (std::uint32_t k = 0; k < nactive_;) {
            const std::uint32_t idx = active_[k];
            if (slots_[idx].deadline <= now) on_timeout(slots_[idx]);
            if (k < nactive_ && active_[k] == idx) ++k;
        }
        if (deadline_ != no_deadline && now >= deadline_) {
            timed_out = qhead_ != qtail_ || nactive_;
            break;
        }
    }
    if (!timed_out && !sys_error_) leftovers();
    if (sys_error_) return ChangeResult::error;
    if (timed_out) return ChangeResult::timeout;
    return failed_ ? ChangeResult::failed : ChangeResult::ok;
}

} // namespace

ChangeResult change(Live& live, std::span<const std::uint8_t> want,
                    const ChangeOptions& opt) noexcept
{
    Engine e(live, opt);
    if (!e.prepare(want)) return ChangeResult::error;
    return e.run();
}

} // namespace keel::rc
