// The common body of svwait, svlisten1 and svlisten (keel/svwaiter.h).
#include "keel/svwaiter.h"

#include "keel/err.h"
#include "keel/svstatus.h"
#include "keel/proc.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <cstdlib>
#include <new>
#include <string_view>

namespace keel::sv {
namespace {

struct Ctx {
    Watch* watch;
    WaitSignals* sigs;
};

void on_signal(void* p) noexcept
{
    auto* c = static_cast<Ctx*>(p);
    // A signalfd that polls readable cannot fail to read: nothing to do on -1.
    if (const int sig = c->sigs->read(); sig > 0) {
        c->watch->stop();
        die_by_signal(sig);
    }
}

WaitResult error(const char* what, const char* object) noexcept
{
    return {.end = WaitEnd::error, .err = errno, .what = what, .object = object};
}

// Allocates and constructs the entries; they are destroyed (unsubscribed) with the object.
struct Entries {
    Watch::Entry* e = nullptr;
    std::size_t n = 0;
    explicit Entries(std::size_t count) noexcept
    {
        e = static_cast<Watch::Entry*>(std::malloc(count * sizeof(Watch::Entry)));
        if (!e) return;
        n = count;
        for (std::size_t i = 0; i < n; ++i) new (&e[i]) Watch::Entry;
    }
    ~Entries()
    {
        for (std::size_t i = 0; i < n; ++i) e[i].~Entry();
        std::free(e);
    }
};

WaitResult run_phase(Watch& w, const Goal& g, std::int64_t deadline, Ctx& ctx) noexcept
{
    const int r = w.wait(g, deadline, ctx.sigs->fd(), on_signal, &ctx);
    if (r == wait_timeout) return {.end = WaitEnd::timeout};
    if (r == wait_error) return error("wait for events", "");
    if (r > 0) return {.end = WaitEnd::failures, .failures = r};
    return {};
}

} // namespace

bool wait_option(WaitPlan& plan, int c, const char* arg) noexcept
{
    Goal& g = plan.goal;
    switch (c) {
    case 'U': g.up = true, g.ready = true, plan.restart = false; return true;
    case 'u': g.up = true, g.ready = false, plan.restart = false; return true;
    case 'D': g.up = false, g.ready = true, plan.restart = false; return true;
    case 'd': g.up = false, g.ready = false, plan.restart = false; return true;
    case 'R': g.up = true, g.ready = true, plan.restart = true; return true;
    case 'r': g.up = true, g.ready = false, plan.restart = true; return true;
    case 'a': g.any = false; return true;
    case 'o': g.any = true; return true;
    case 't': return parse_timeout(arg, plan.deadline_ms);
    default: return false;
    }
}

WaitResult run_wait(const WaitPlan& plan, char* const* dirs, std::size_t n) noexcept
{
    WaitSignals sigs;
    if (!sigs.open(plan.prog != nullptr)) return error("set up signals", "");
    Entries entries(n);
    if (!entries.e) return error("allocate memory", "");
    Watch w(entries.e, n);
    Ctx ctx{&w, &sigs};
    WaitResult res;
    if (!w.start(dirs)) {
        res = error(w.failed_step(), dirs[w.failed_index()]);
        // Watch fails in one of two steps: subscribing, or reading the status.
        res.status = std::string_view(w.failed_step()).starts_with("read status");
    } else if (const int code = plan.after_start ? plan.after_start(plan.ctx) : 0) {
        res = {.end = WaitEnd::aborted, .code = code};
    } else if (plan.prog && spawn(plan.prog) < 0) {
        res = error("spawn ", plan.prog[0]);
    } else {
        if (plan.restart) {
            const Goal down{.up = false, .ready = plan.restart_ready, .any = false};
            res = run_phase(w, down, plan.deadline_ms, ctx);
        }
        if (res.end == WaitEnd::reached) res = run_phase(w, plan.goal, plan.deadline_ms, ctx);
    }
    w.stop();
    return res;
}

void exit_unless_failures(const WaitResult& r) noexcept
{
    switch (r.end) {
    case WaitEnd::reached: exit_now(0);
    case WaitEnd::aborted: exit_now(r.code);
    case WaitEnd::timeout: die(99, "timed out");
    case WaitEnd::failures: return;
    case WaitEnd::error: break;
    }
    if (r.status) die(exit_sys, "unable to read status for ", r.object, ": ", status_error(r.err));
    errno = r.err;
    die_sys(exit_sys, "unable to ", r.what, r.object);
}

} // namespace keel::sv
