// Regular-expression waits on fifodirs (keel/ftrigwait.h).
#include "keel/ftrigwait.h"

#include "keel/proc.h"
#include "keel/tai.h"
#include "keel/waitsig.h"

#include <cerrno>
#include <cstdlib>
#include <new>
#include <poll.h>

namespace keel::ftrig {

bool Matcher::start(const char* fifodir, const char* regex) noexcept
{
    stop();
    matched_ = false;
    last_ = 0;
    if (!*regex) {
        errno = EINVAL;
        return false;
    }
    const int r = regcomp(&re_, regex, REG_EXTENDED);
    if (r) {
        errno = r == REG_ESPACE ? ENOMEM : EINVAL;
        return false;
    }
    compiled_ = true;
    if (!events_.subscribe(fifodir)) {
        const int e = errno;
        stop();
        errno = e;
        return false;
    }
    return true;
}

int Matcher::update() noexcept
{
    if (matched_) return 1;
    for (;;) {
        if (cap_ - len_ < 257) {
            const std::size_t ncap = cap_ ? cap_ * 2 : 512;
            auto* p = static_cast<char*>(std::realloc(buf_, ncap));
            if (!p) return -1;
            buf_ = p;
            cap_ = ncap;
        }
        const ssize_t n = events_.read(buf_ + len_, cap_ - len_ - 1);
        if (n < 0) return -1;
        if (n == 0) return 0;
        len_ += static_cast<std::size_t>(n);
        buf_[len_] = 0;
        regmatch_t m[1];
        int flags = REG_NOTBOL | REG_NOTEOL;
#ifdef REG_STARTEND
        // Search all the bytes received, NULs included (s6 stops at the first NUL).
        m[0].rm_so = 0;
        m[0].rm_eo = static_cast<regoff_t>(len_);
        flags |= REG_STARTEND;
#endif
        if (regexec(&re_, buf_, 1, m, flags) == 0) {
            last_ = m[0].rm_eo > 0 ? buf_[m[0].rm_eo - 1] : 0;
            stop();
            matched_ = true;
            return 1;
        }
    }
}

void Matcher::stop() noexcept
{
    events_.unsubscribe();
    if (compiled_) regfree(&re_);
    compiled_ = false;
    std::free(buf_);
    buf_ = nullptr;
    len_ = cap_ = 0;
}

int wait_match(Matcher* m, std::size_t n, bool any, std::int64_t deadline_ms, int extra_fd,
               void (*on_extra)(void*), void* ctx) noexcept
{
    // One pollfd per matcher, plus the extra one; the caller bounds n (argv).
    constexpr std::size_t max_fds = 1024;
    if (n + 1 > max_fds) {
        errno = EMFILE;
        return match_error;
    }
    pollfd fds[max_fds];
    std::size_t owner[max_fds];
    for (;;) {
        std::size_t done = 0;
        for (std::size_t i = 0; i < n; ++i) done += m[i].matched();
        if (any ? done > 0 : done == n) return 0;
        std::size_t nfds = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (m[i].matched()) continue;
            owner[nfds] = i;
            fds[nfds++] = {m[i].fd(), POLLIN, 0};
        }
        const std::size_t extra = nfds;
        if (extra_fd >= 0) fds[nfds++] = {extra_fd, POLLIN, 0};
        int timeout = -1;
        if (deadline_ms >= 0) {
            const std::int64_t left = deadline_ms - mono_now_ms();
            if (left <= 0) return match_timeout;
            timeout = left > 0x7fffffff ? 0x7fffffff : static_cast<int>(left);
        }
        const int r = poll(fds, nfds, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            return match_error;
        }
        if (r == 0) continue; // the deadline check above decides
        if (extra_fd >= 0 && fds[extra].revents && on_extra) on_extra(ctx);
        for (std::size_t k = 0; k < extra; ++k) {
            if (!fds[k].revents) continue;
            if (m[owner[k]].update() < 0) return match_error;
            if (any && m[owner[k]].matched()) return 0;
        }
    }
}

namespace {

struct Ctx {
    Matcher* m;
    std::size_t n;
    WaitSignals* sigs;
};

void on_signal(void* p) noexcept
{
    auto* c = static_cast<Ctx*>(p);
    // A signalfd that polls readable cannot fail to read: nothing to do on -1.
    if (const int sig = c->sigs->read(); sig > 0) {
        for (std::size_t i = 0; i < c->n; ++i) c->m[i].stop();
        die_by_signal(sig);
    }
}

MatchResult error(MatchEnd end, const char* what, std::size_t index = 0) noexcept
{
    return {.end = end, .index = index, .err = errno, .what = what};
}

// Allocates and constructs the matchers; destroying the object unsubscribes them.
struct Matchers {
    Matcher* m = nullptr;
    std::size_t n = 0;
    explicit Matchers(std::size_t count) noexcept
    {
        m = static_cast<Matcher*>(std::malloc(count * sizeof(Matcher)));
        if (!m) return;
        n = count;
        for (std::size_t i = 0; i < n; ++i) new (&m[i]) Matcher;
    }
    ~Matchers()
    {
        for (std::size_t i = 0; i < n; ++i) m[i].~Matcher();
        std::free(m);
    }
};

} // namespace

MatchResult run_match(const MatchPlan& plan, char* const* pairs, std::size_t n) noexcept
{
    WaitSignals sigs;
    if (!sigs.open(plan.prog != nullptr)) return error(MatchEnd::error, "set up signals");
    Matchers ms(n);
    if (!ms.m) return error(MatchEnd::error, "allocate memory");
    Ctx ctx{ms.m, n, &sigs};
    MatchResult res;
    std::size_t i = 0;
    for (; i < n; ++i)
        if (!ms.m[i].start(pairs[2 * i], pairs[2 * i + 1])) break;
    if (i < n) {
        res = error(MatchEnd::subscribe, "subscribe", i);
    } else if (plan.prog && spawn(plan.prog) < 0) {
        res = error(MatchEnd::spawn, "spawn");
    } else {
        const int r = wait_match(ms.m, n, plan.any, plan.deadline_ms, sigs.fd(), on_signal, &ctx);
        if (r == match_timeout) {
            res.end = MatchEnd::timeout;
        } else if (r == match_error) {
            res = error(MatchEnd::error, "wait for events");
        } else {
            for (std::size_t k = 0; k < n; ++k)
                if (ms.m[k].matched()) res.last = ms.m[k].last();
        }
    }
    for (std::size_t k = 0; k < n; ++k) ms.m[k].stop();
    return res;
}

} // namespace keel::ftrig
