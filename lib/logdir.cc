// Logdirs for keel/logdir.h: opening and recovery, whole-line writes, the rotation steps,
// archives, trimming and processors. Every path is relative to the logdir's descriptor, so
// nothing is built from the directory's name.
#include "keel/logdir.h"

#include "keel/lock.h"
#include "keel/loop.h"
#include "keel/proc.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <span>
#include <sys/stat.h>
#include <unistd.h>

namespace keel {
namespace {

constexpr std::size_t archive_len = 27; // "@" + 24 hex + ".s"
constexpr std::uint64_t writeback_chunk = 256 * 1024;

bool is_hex(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The archive name for t, NUL-terminated.
void make_archive_name(std::array<char, archive_len + 1>& out, const Tai64n& t,
                       char suffix) noexcept
{
    (void)tai_fmt(t, std::span(out).first<tai64n_text_len>());
    out[25] = '.';
    out[26] = suffix;
    out[27] = 0;
}

bool sync_fd(int fd) noexcept
{
    int r;
    do r = fsync(fd);
    while (r < 0 && errno == EINTR);
    return r == 0;
}

// In the processor child, before its exec: cwd = the logdir, and its four descriptors.
struct ProcessorFiles {
    int dir;
};

bool processor_setup(void* ctx) noexcept
{
    const auto* p = static_cast<const ProcessorFiles*>(ctx);
    if (fchdir(p->dir) < 0) return false;
    struct File {
        const char* name;
        int flags;
        int to;
    };
    // A missing state counts as an empty one.
    constexpr File files[] = {
        {"previous", O_RDONLY, 0},
        {"processed", O_WRONLY | O_CREAT | O_TRUNC, 1},
        {"state", O_RDONLY | O_CREAT, 4},
        {"newstate", O_WRONLY | O_CREAT | O_TRUNC, 5},
    };
    for (const File& f : files) {
        Fd fd = open_file(f.name, f.flags, 0666);
        if (!fd) return false;
        if (!fd_move(f.to, fd.get())) return false;
        (void)fd.release();
    }
    return true;
}

} // namespace

LogStepText log_step_text(LogStep step) noexcept
{
    switch (step) {
    case LogStep::none: return {"open logdir", "", ""};
    case LogStep::mkdir: return {"mkdir", "", ""};
    case LogStep::open_dir: return {"open", "", ""};
    case LogStep::open_lock: return {"open", "lock", ""};
    case LogStep::lock: return {"lock", "lock", ""};
    case LogStep::stat_current: return {"stat", "current", ""};
    case LogStep::stat_processed: return {"stat", "processed", ""};
    case LogStep::archive_start: return {"recover unfinished files in", "", ""};
    case LogStep::create_state: return {"create", "state", ""};
    case LogStep::open_current: return {"open", "current", ""};
    case LogStep::chmod_current: return {"chmod", "current", ""};
    case LogStep::write: return {"write to", "current", ""};
    case LogStep::sync_current: return {"fsync", "current", ""};
    case LogStep::rename_current: return {"rename", "current", "previous"};
    case LogStep::chmod_previous: return {"chmod", "previous", ""};
    case LogStep::archive_previous: return {"archive", "previous", ""};
    case LogStep::spawn_processor: return {"spawn processor in", "", ""};
    case LogStep::processor_crashed: return {"", "processor crashed in", ""};
    case LogStep::processor_failed: return {"", "processor failed in", ""};
    case LogStep::open_processed: return {"open", "processed", ""};
    case LogStep::sync_processed: return {"fsync", "processed", ""};
    case LogStep::chmod_processed: return {"chmod", "processed", ""};
    case LogStep::open_newstate: return {"open", "newstate", ""};
    case LogStep::sync_newstate: return {"fsync", "newstate", ""};
    case LogStep::unlink_previous: return {"unlink", "previous", ""};
    case LogStep::rename_state: return {"rename", "newstate", "state"};
    case LogStep::archive_processed: return {"archive", "processed", ""};
    case LogStep::trim: return {"remove old archives in", "", ""};
    case LogStep::finalize_sync: return {"fsync", "current", ""};
    case LogStep::finalize_chmod: return {"chmod", "current", ""};
    }
    return {"open logdir", "", ""};
}

bool log_archive_name(std::string_view name) noexcept
{
    if (name.size() != archive_len || name[0] != '@' || name[25] != '.') return false;
    if (name[26] != 's' && name[26] != 'u') return false;
    for (std::size_t i = 1; i < 25; ++i)
        if (!is_hex(name[i])) return false;
    return true;
}

bool Logdir::open(const LogdirConfig& cfg, mode_t file_mode, std::size_t bufsize) noexcept
{
    cfg_ = cfg;
    mode_ = file_mode & 0666;
    failed_ = LogStep::none;
    error_ = 0;
    auto set = [this](LogStep s) {
        failed_ = s;
        error_ = errno;
        return false;
    };
    if (!buf_.init(bufsize)) return set(LogStep::none);
    if (mkdir(cfg.dir, 02700) < 0 && errno != EEXIST) return set(LogStep::mkdir);
    dir_ = open_file(cfg.dir, O_RDONLY | O_DIRECTORY);
    if (!dir_) return set(LogStep::open_dir);
    const int d = dir_.get();
    lock_ = open_at(d, "lock", O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, 0666);
    if (!lock_) return set(LogStep::open_lock);
    if (!lock_fd(lock_.get(), LockKind::Exclusive, lock_no_wait)) return set(LogStep::lock);

    struct stat st;
    bool clean = false;
    if (fstatat(d, "current", &st, 0) == 0) clean = st.st_mode & S_IXUSR;
    else if (errno != ENOENT) return set(LogStep::stat_current);
    if (!clean) {
        // What an interrupted logger left: a finished processor's output is a complete
        // archive; anything else is kept as an unfinished one.
        (void)unlinkat(d, "state", 0);
        (void)unlinkat(d, "newstate", 0);
        bool processed = false;
        if (fstatat(d, "processed", &st, 0) == 0) processed = st.st_mode & S_IXUSR;
        else if (errno != ENOENT) return set(LogStep::stat_processed);
        if (processed) {
            (void)unlinkat(d, "previous", 0);
            if (!archive("processed", 's') || !trim()) return set(LogStep::archive_start);
        } else {
            (void)unlinkat(d, "processed", 0);
            if (!archive("previous", 'u') || !trim()) return set(LogStep::archive_start);
        }
        if (!archive("current", 'u') || !trim()) return set(LogStep::archive_start);
        Fd state = open_at(d, "state", O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0666);
        if (!state) return set(LogStep::create_state);
    }
    if (!open_current()) return false;
    if (cfg_.period_s) period_at_ = deadline_in(std::int64_t{cfg_.period_s} * 1000);
    return true;
}

bool Logdir::open_current() noexcept
{
    Fd fd = open_at(dir_.get(), "current", O_WRONLY | O_APPEND | O_CREAT, 0666);
    struct stat st;
    if (!fd || fstat(fd.get(), &st) < 0) {
        failed_ = LogStep::open_current;
        error_ = errno;
        return false;
    }
    if (fchmod(fd.get(), mode_) < 0) {
        failed_ = LogStep::chmod_current;
        error_ = errno;
        return false;
    }
    cur_ = std::move(fd);
    size_ = flushed_ = static_cast<std::uint64_t>(st.st_size);
    line_start_ = true;
    return true;
}

bool Logdir::archive(const char* name, char suffix) noexcept
{
    const int d = dir_.get();
    struct stat st;
    if (fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT;
    // More than one link: an earlier attempt made the archive but could not unlink.
    if (st.st_size > 0 && st.st_nlink == 1) {
        // Named after now; should a coarse clock give the name of an archive just made, the
        // next nanosecond is taken instead.
        Tai64n t = tai_now();
        std::array<char, archive_len + 1> an;
        for (int tries = 0;; ++tries) {
            make_archive_name(an, t, suffix);
            if (linkat(d, name, d, an.data(), 0) == 0) break;
            if (errno != EEXIST || tries == 1000) return false;
            if (++t.nano > 999999999) {
                t.nano = 0;
                ++t.sec;
            }
        }
    }
    return unlinkat(d, name, 0) == 0 || errno == ENOENT;
}

bool Logdir::trim() noexcept
{
    Fd fd = open_at(dir_.get(), ".", O_RDONLY | O_DIRECTORY);
    if (!fd) return false;
    DIR* dp = fdopendir(fd.get());
    if (!dp) return false;
    (void)fd.release();
    const int d = dirfd(dp);
    bool ok = true;
    std::uint64_t count = 0, total = 0;
    for (;;) {
        errno = 0;
        const dirent* e = readdir(dp);
        if (!e) {
            ok = errno == 0;
            break;
        }
        if (!log_archive_name(e->d_name)) continue;
        if (cfg_.max_total) { // sizes only matter for S
            struct stat st;
            if (fstatat(d, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
            total += static_cast<std::uint64_t>(st.st_size);
        }
        ++count;
    }
    // Oldest first: the names sort by time. One pass per file removed (usually one), so
    // that nothing is allocated, however many archives there are.
    while (ok && count && (count > cfg_.keep || (cfg_.max_total && total > cfg_.max_total))) {
        std::array<char, archive_len + 1> oldest{};
        rewinddir(dp);
        for (;;) {
            errno = 0;
            const dirent* e = readdir(dp);
            if (!e) {
                ok = errno == 0;
                break;
            }
            if (!log_archive_name(e->d_name)) continue;
            if (!oldest[0] || std::memcmp(e->d_name, oldest.data(), archive_len) < 0)
                std::memcpy(oldest.data(), e->d_name, archive_len + 1);
        }
        if (!ok || !oldest[0]) break;
        struct stat st;
        const std::uint64_t size = cfg_.max_total
                && fstatat(d, oldest.data(), &st, AT_SYMLINK_NOFOLLOW) == 0
            ? static_cast<std::uint64_t>(st.st_size)
            : 0;
        if (unlinkat(d, oldest.data(), 0) < 0 && errno != ENOENT) {
            ok = false;
            break;
        }
        --count;
        total -= size < total ? size : total;
    }
    const int e = errno;
    closedir(dp);
    errno = e;
    return ok;
}

bool Logdir::fail(LogStep step, std::int64_t now_ms) noexcept
{
    failed_ = step;
    error_ = errno;
    retry_at_ = now_ms + cfg_.retry_ms;
    if (retry_at_ <= 0) retry_at_ = 1;
    return false;
}

bool Logdir::spawn_processor() noexcept
{
    const char* argv[] = {cfg_.processor.path, cfg_.processor.flag, cfg_.processor.cmd, nullptr};
    ProcessorFiles files{dir_.get()};
    SpawnOptions o;
    o.setup = processor_setup;
    o.ctx = &files;
    o.reset_ignored = true; // SIGPIPE, ignored here, is the processor's business
    const pid_t p = spawn(const_cast<char* const*>(argv), o);
    if (p < 0) return false;
    pid_ = p;
    return true;
}

bool Logdir::rotate(std::int64_t now_ms) noexcept
{
    const int d = dir_.get();
    for (;;) {
        switch (rot_) {
        case Rot::none:
        case Rot::wait:
            return true;
        case Rot::sync:
            if (!sync_fd(cur_.get())) return fail(LogStep::sync_current, now_ms);
            rot_ = Rot::rename;
            break;
        case Rot::rename:
            if (renameat(d, "current", d, "previous") < 0)
                return fail(LogStep::rename_current, now_ms);
            rot_ = Rot::open_current;
            break;
        case Rot::open_current:
            if (!open_current()) return fail(failed_, now_ms);
            if (cfg_.period_s) period_at_ = now_ms + std::int64_t{cfg_.period_s} * 1000;
            rot_ = Rot::chmod_previous;
            break;
        case Rot::chmod_previous:
            if (fchmodat(d, "previous", mode_ | S_IXUSR, 0) < 0)
                return fail(LogStep::chmod_previous, now_ms);
            rot_ = cfg_.processor.path ? Rot::spawn : Rot::archive_previous;
            break;
        case Rot::archive_previous:
            if (!archive("previous", 's')) return fail(LogStep::archive_previous, now_ms);
            rot_ = Rot::trim_previous;
            break;
        case Rot::trim_previous:
        case Rot::trim_processed:
            if (!trim()) return fail(LogStep::trim, now_ms);
            rot_ = Rot::none;
            break;
        case Rot::spawn:
            if (!spawn_processor()) return fail(LogStep::spawn_processor, now_ms);
            rot_ = Rot::wait;
            break;
        case Rot::sync_processed: {
            Fd fd = open_at(d, "processed", O_WRONLY | O_APPEND | O_CREAT, 0666);
            if (!fd) return fail(LogStep::open_processed, now_ms);
            if (!sync_fd(fd.get())) return fail(LogStep::sync_processed, now_ms);
            if (fchmod(fd.get(), mode_ | S_IXUSR) < 0)
                return fail(LogStep::chmod_processed, now_ms);
            rot_ = Rot::sync_newstate;
            break;
        }
        case Rot::sync_newstate: {
            Fd fd = open_at(d, "newstate", O_WRONLY | O_APPEND | O_CREAT, 0666);
            if (!fd) return fail(LogStep::open_newstate, now_ms);
            if (!sync_fd(fd.get())) return fail(LogStep::sync_newstate, now_ms);
            rot_ = Rot::unlink_previous;
            break;
        }
        case Rot::unlink_previous:
            if (unlinkat(d, "previous", 0) < 0 && errno != ENOENT)
                return fail(LogStep::unlink_previous, now_ms);
            rot_ = Rot::rename_state;
            break;
        case Rot::rename_state:
            if (renameat(d, "newstate", d, "state") < 0)
                return fail(LogStep::rename_state, now_ms);
            rot_ = Rot::archive_processed;
            break;
        case Rot::archive_processed:
            if (!archive("processed", 's')) return fail(LogStep::archive_processed, now_ms);
            rot_ = Rot::trim_processed;
            break;
        }
    }
}

LogWork Logdir::work(std::int64_t now_ms) noexcept
{
    if (retry_at_) {
        if (now_ms < retry_at_) return LogWork::busy;
        retry_at_ = 0;
    }
    if (period_at_ && now_ms >= period_at_) {
        want_rotate_ = true;
        period_at_ = now_ms + std::int64_t{cfg_.period_s} * 1000;
    }
    const std::uint64_t s = cfg_.max_size;
    for (;;) {
        if (!rotate(now_ms)) return LogWork::failed;
        // Rotate at a line boundary only, and never an empty current.
        const bool full = line_start_ && size_ > 0 && size_ + cfg_.tolerance >= s;
        if (rot_ == Rot::none && want_rotate_ && size_ == 0) want_rotate_ = false;
        if (rot_ == Rot::none && line_start_ && size_ > 0 && (full || want_rotate_)) {
            want_rotate_ = false;
            rot_ = Rot::sync;
            continue;
        }
        if (buf_.empty()) return rot_ == Rot::none ? LogWork::done : LogWork::busy;
        if (full) return LogWork::busy; // the rotation before is not over yet

        const std::string_view q = buf_.data();
        std::size_t n;
        if (!line_start_) {
            // Finish the line a short write left unfinished, whatever the size.
            const void* nl = std::memchr(q.data(), '\n', q.size());
            n = nl ? static_cast<const char*>(nl) - q.data() + 1 : q.size();
        } else if (q.size() <= s - size_) {
            n = q.size();
        } else {
            const void* nl = memrchr(q.data(), '\n', s - size_);
            if (nl) {
                n = static_cast<const char*>(nl) - q.data() + 1;
            } else if (size_ > 0) {
                // The next line does not fit: it starts the next file.
                if (rot_ != Rot::none) return LogWork::busy;
                rot_ = Rot::sync;
                continue;
            } else {
                // One line longer than s: alone in its file.
                nl = std::memchr(q.data(), '\n', q.size());
                n = nl ? static_cast<const char*>(nl) - q.data() + 1 : q.size();
            }
        }
        ssize_t w;
        do w = ::write(cur_.get(), q.data(), n);
        while (w < 0 && errno == EINTR);
        if (w <= 0) {
            if (w == 0) errno = ENOSPC; // not for a regular file; count it as a full disk
            (void)fail(LogStep::write, now_ms);
            return LogWork::failed;
        }
        size_ += static_cast<std::uint64_t>(w);
        line_start_ = q[static_cast<std::size_t>(w) - 1] == '\n';
        buf_.consume(static_cast<std::size_t>(w));
        if (size_ - flushed_ >= writeback_chunk) {
            // Start writing back what current holds, without waiting: the fsync before the
            // rotation then only waits for the tail.
            (void)sync_file_range(cur_.get(), static_cast<off_t>(flushed_),
                                  static_cast<off_t>(size_ - flushed_), SYNC_FILE_RANGE_WRITE);
            flushed_ = size_;
        }
    }
}

bool Logdir::processor_exited(int wstat) noexcept
{
    pid_ = 0;
    if (WIFSIGNALED(wstat) || WEXITSTATUS(wstat)) {
        errno = 0;
        rot_ = Rot::spawn;
        return fail(WIFSIGNALED(wstat) ? LogStep::processor_crashed : LogStep::processor_failed,
                    mono_now_ms());
    }
    rot_ = Rot::sync_processed;
    return true;
}

LogWork Logdir::finalize(std::int64_t now_ms) noexcept
{
    if (finalized_) return LogWork::done;
    if (retry_at_) {
        if (now_ms < retry_at_) return LogWork::busy;
        retry_at_ = 0;
    }
    if (!synced_) {
        if (!sync_fd(cur_.get())) {
            (void)fail(LogStep::finalize_sync, now_ms);
            return LogWork::failed;
        }
        synced_ = true;
    }
    if (fchmod(cur_.get(), mode_ | S_IXUSR) < 0) {
        (void)fail(LogStep::finalize_chmod, now_ms);
        return LogWork::failed;
    }
    finalized_ = true;
    return LogWork::done;
}

std::int64_t Logdir::deadline() const noexcept
{
    return earliest(retry_at_ ? retry_at_ : no_deadline, period_at_ ? period_at_ : no_deadline);
}

} // namespace keel
