// Building a live state directory: the pieces rc-init and rc-update share (keel/rcbuild.h).
#include "keel/rcbuild.h"

#include "keel/fd.h"
#include "keel/fifodir.h"
#include "keel/lock.h"
#include "keel/rclive.h"
#include "keel/rlimit.h"
#include "keel/svcontrol.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

namespace keel::rc {

bool make_live_dir(const char* live, std::string_view kind, PathBuf<>& out) noexcept
{
    if (!out.set(live, ":", kind, ":XXXXXX")) return false;
    if (!mkdtemp(const_cast<char*>(out.c_str()))) {
        const int e = errno;
        out.clear();
        errno = e;
        return false;
    }
    if (chmod(out.c_str(), 0755) < 0) {
        const int e = errno;
        rmdir(out.c_str());
        out.clear();
        errno = e;
        return false;
    }
    return true;
}

namespace {

bool put_file(const char* real, const char* name, std::string_view bytes) noexcept
{
    PathBuf<> p;
    if (!p.set(real, "/", name)) return false;
    Fd fd = open_file(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    return fd && write_all(fd.get(), bytes);
}

bool put_link(const char* real, const char* name, const char* target) noexcept
{
    PathBuf<> p;
    return p.set(real, "/", name) && symlink(target, p.c_str()) == 0;
}

bool touch(const PathBuf<>& p) noexcept
{
    return static_cast<bool>(open_file(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

} // namespace

bool fill_live_dir(const char* real, const char* compiled, const char* scandir,
                   std::string_view prefix, std::span<const std::uint8_t> state, int& lock_fd,
                   FillStep& failed) noexcept
{
    failed = FillStep::lock;
    PathBuf<> p;
    if (!p.set(real, "/", live_lock)) return false;
    Fd lock = open_file(p.c_str(), O_RDWR | O_CREAT, 0644);
    if (!lock || !keel::lock_fd(lock.get(), LockKind::Exclusive, lock_no_wait)) return false;
    failed = FillStep::compiled;
    if (!put_link(real, live_compiled, compiled)) return false;
    failed = FillStep::scandir;
    if (!put_link(real, live_scandir, scandir)) return false;
    failed = FillStep::prefix;
    if (!put_file(real, live_prefix, prefix)) return false;
    failed = FillStep::state;
    if (!write_state(real, state)) return false;
    lock_fd = lock.release();
    return true;
}

FillFailure fill_failure(FillStep step) noexcept
{
    switch (step) {
    case FillStep::lock: return {"lock", live_lock, false};
    case FillStep::compiled: return {"symlink", live_compiled, true};
    case FillStep::scandir: return {"symlink", live_scandir, true};
    case FillStep::prefix: return {"write", live_prefix, false};
    case FillStep::state: break;
    }
    return {"write", live_state, false};
}

bool prepare_service_dir(const char* dir, bool& logged, PrepStep& failed,
                         PathBuf<>& where) noexcept
{
    struct stat st;
    failed = PrepStep::stat;
    if (!where.set(dir) || stat(dir, &st) < 0) return false;
    if (!S_ISDIR(st.st_mode)) {
        failed = PrepStep::not_dir;
        errno = ENOTDIR;
        return false;
    }
    PathBuf<> p;
    logged = p.set(dir, "/log") && stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    const gid_t gid = getegid();
    for (int l = 0; l < (logged ? 2 : 1); ++l) {
        const char* sub = l ? "/log" : "";
        failed = PrepStep::down;
        if (!where.set(dir, sub, "/down") || !touch(where)) return false;
        failed = PrepStep::fifodir;
        if (!where.set(dir, sub, "/event") ||
            !ftrig::make_fifodir(where.c_str(), false, gid, false))
            return false;
    }
    return true;
}

bool link_service(std::string_view scandir, std::string_view prefix, std::string_view name,
                  std::string_view live, PathBuf<>& link) noexcept
{
    PathBuf<> target;
    if (!link.set(scandir, "/", prefix, name) ||
        !target.set(live, "/", live_servicedirs, "/", name))
        return false;
    if (symlink(target.c_str(), link.c_str()) == 0) return true;
    if (errno != EEXIST) return false;
    char buf[PATH_MAX];
    const ssize_t r = readlink(link.c_str(), buf, sizeof buf);
    if (r < 0 || std::string_view(buf, static_cast<std::size_t>(r)) != target.view()) {
        errno = EEXIST;
        return false;
    }
    return true;
}

void stop_supervisor(const char* dir, bool is_log) noexcept
{
    (void)sv::write_control(dir, is_log ? "xo" : "xd");
}

bool switch_live(const char* live, const char* real) noexcept
{
    const char* base = std::strrchr(real, '/');
    base = base ? base + 1 : real;
    PathBuf<> tmp;
    if (!tmp.set(live, ".new")) return false;
    unlink(tmp.c_str());
    if (symlink(base, tmp.c_str()) < 0) return false;
    if (rename(tmp.c_str(), live) < 0) {
        const int e = errno;
        unlink(tmp.c_str());
        errno = e;
        return false;
    }
    return true;
}

SupervisorWait::~SupervisorWait()
{
    release();
}

void SupervisorWait::release() noexcept
{
    if (wait_) {
        wait_->~LetterWait();
        std::free(wait_);
        wait_ = nullptr;
    }
    if (subs_) {
        for (std::size_t k = 0; k < cap_; ++k) subs_[k].~Listener();
        std::free(subs_);
        subs_ = nullptr;
    }
    std::free(seen_);
    std::free(parts_);
    seen_ = nullptr;
    parts_ = nullptr;
    cap_ = n_ = 0;
}

bool SupervisorWait::reserve(std::size_t services) noexcept
{
    release();
    const std::size_t cap = 2 * services + 1;
    // malloc and placement new: operator new[] would drag in the exception machinery.
    parts_ = static_cast<SupervisorPart*>(std::calloc(cap, sizeof(SupervisorPart)));
    subs_ = static_cast<ftrig::Listener*>(std::malloc(cap * sizeof(ftrig::Listener)));
    seen_ = static_cast<bool*>(std::calloc(cap, sizeof(bool)));
    void* w = std::malloc(sizeof(sv::LetterWait));
    if (!parts_ || !subs_ || !seen_ || !w) {
        std::free(w);
        std::free(subs_);
        subs_ = nullptr;
        release();
        errno = ENOMEM;
        return false;
    }
    for (std::size_t k = 0; k < cap; ++k) new (subs_ + k) ftrig::Listener;
    cap_ = cap;
    wait_ = new (w) sv::LetterWait({subs_, cap}, {seen_, cap});
    // Each subscription holds 3 descriptors (keel/fifodir.h): a large db needs more than 1024.
    const std::size_t need = 3 * cap + 64;
    (void)raise_nofile(need);
    return true;
}

bool SupervisorWait::open() noexcept
{
    return wait_ && wait_->open();
}

bool SupervisorWait::add(std::uint32_t service, const char* dir, bool logged,
                         PathBuf<>& where) noexcept
{
    for (int l = 0; l < (logged ? 2 : 1); ++l) {
        if (!where.set(dir, l ? "/log/event" : "/event")) return false;
        if (n_ >= cap_) {
            errno = E2BIG;
            return false;
        }
        if (!wait_->add(where.c_str())) return false;
        parts_[n_++] = {service, l == 1};
    }
    return true;
}

sv::LetterEnd SupervisorWait::wait(char letter, std::int64_t deadline_ms) noexcept
{
    return wait_->wait(letter, deadline_ms);
}

void SupervisorWait::unseen(const Db& db, PathBuf<8192>& out, bool& full) const noexcept
{
    full = false;
    for (std::size_t k = 0; k < n_ && !full; ++k) {
        if (wait_->seen(k)) continue;
        full = !out.append(" ") || !out.append(db.name(parts_[k].service)) ||
               !(parts_[k].is_log ? out.append("/log") : true);
    }
}

void SupervisorWait::stop() noexcept
{
    if (wait_) wait_->stop();
}

} // namespace keel::rc
