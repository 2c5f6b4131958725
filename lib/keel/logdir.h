// One logdir, in s6-log's on-disk format, so that s6-log and svlog can take over each other's:
//   DIR/lock       exclusive POSIX lock, held as long as a logger writes to DIR
//   DIR/current    appended to; mode 0666 & ~umask while in use, u+x once cleanly closed
//   DIR/previous   current being rotated; DIR/processed and DIR/newstate are the output of the
//                  processor run on it (its fd 1 and fd 5); DIR/state is its input (fd 4)
//   DIR/@<24 hex>.s  archive of a complete rotation (TAI64N of the rotation time)
//   DIR/@<24 hex>.u  archive of a file that an interrupted logger left unfinished
// A Logdir queues whole lines in memory and writes them to current; it rotates by size,
// on request (SIGALRM) or every R seconds, never splitting a line across files and never
// archiving an empty file. Every disk operation that fails leaves the logdir at that very step
// with a retry deadline; nothing queued is ever dropped. Nothing here prints or exits: a
// failure comes back as a LogStep and an errno, for the caller to report.
#pragma once

#include "keel/fd.h"
#include "keel/growbuf.h"

#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace keel {

/// The program a logdir runs on each rotated file: execv(path, {path, flag, cmd}), e.g.
/// {"/bin/sh", "-c", "gzip"}. path == nullptr: no processor.
struct LogProcessor {
    const char* path = nullptr;
    const char* flag = nullptr;
    const char* cmd = nullptr;
};

/// A logdir's settings, as the logging script gives them (s6-log's defaults).
struct LogdirConfig {
    const char* dir = nullptr;          ///< the directory, as written in the script
    std::uint32_t keep = 10;            ///< n: archives kept at most
    std::uint32_t max_size = 99999;     ///< s: rotate before current exceeds this
    std::uint32_t tolerance = 2000;     ///< l: rotate once current holds s - l bytes or more
    std::uint64_t max_total = 0;        ///< S: archives' total size at most (0: no limit)
    std::uint32_t retry_ms = 2000;      ///< r: wait after a failed operation
    std::uint32_t period_s = 0;         ///< R: also rotate every so many seconds (0: never)
    LogProcessor processor;
};

/// The disk operation that failed last.
enum class LogStep : std::uint8_t {
    none,
    // Opening (Logdir::open)
    mkdir, open_dir, open_lock, lock, stat_current, stat_processed, archive_start,
    create_state, open_current, chmod_current,
    // Writing and rotating
    write, sync_current, rename_current, chmod_previous, archive_previous, spawn_processor,
    processor_crashed, processor_failed, open_processed, sync_processed, chmod_processed,
    open_newstate, sync_newstate, unlink_previous, rename_state, archive_processed, trim,
    // Closing (Logdir::finalize)
    finalize_sync, finalize_chmod,
};

/// How to say what failed: "unable to VERB DIR[/FILE][ to DIR/TO]", or, for the processor
/// steps (verb empty), "processor crashed in DIR" / "processor failed in DIR" as `file`.
struct LogStepText {
    std::string_view verb;
    std::string_view file;
    std::string_view to;
};

/// The wording of step (see LogStepText).
[[nodiscard]] LogStepText log_step_text(LogStep step) noexcept;

/// What Logdir::work() achieved.
enum class LogWork : std::uint8_t {
    done,    ///< everything queued is written and no rotation is under way
    busy,    ///< waiting for the processor, or for a retry deadline not reached yet
    failed,  ///< an operation failed just now: failed_step(), error(); retry at deadline()
};

/// True if name is an archive name: "@" + 24 hex digits + ".s" or ".u".
[[nodiscard]] bool log_archive_name(std::string_view name) noexcept;

class Logdir {
public:
    Logdir() noexcept = default;
    Logdir(const Logdir&) = delete;
    Logdir& operator=(const Logdir&) = delete;

    /// Opens the logdir of cfg (cfg.dir must stay valid): creates the directory (02700) if
    /// needed, takes DIR/lock without waiting (EBUSY if another process holds it), then
    /// either reopens a cleanly closed current (u+x) or recovers what an interrupted logger
    /// left: processed (if complete, u+x) as a .s archive, else previous as .u; current as
    /// .u; a fresh empty state. current is opened for appending with mode file_mode (0666 &
    /// ~umask; u+x is added when it is closed or rotated), and bufsize bytes of queue are
    /// allocated. False with errno; failed_step() tells which operation failed.
    [[nodiscard]] bool open(const LogdirConfig& cfg, mode_t file_mode,
                            std::size_t bufsize) noexcept;

    /// The queue of composed lines waiting to be written. Append whole lines only (each
    /// ending in '\n'); work() writes them.
    [[nodiscard]] GrowBuf& queue() noexcept { return buf_; }

    /// Writes what is queued and carries on with any rotation: due by size (after a write
    /// that ends on a newline, once current + l >= s; or before a line that would not fit in
    /// s), requested, or periodic. Returns at once (busy) while a retry deadline is ahead of
    /// now_ms (keel::mono_now_ms). Writes only whole lines, except when a short write leaves
    /// a line unfinished, which is completed first; no other line goes to a file that could
    /// not hold it, unless the line alone is longer than s. A processor is spawned with
    /// cwd = DIR, fd 0 = previous, fd 1 = processed, fd 4 = state, fd 5 = newstate; while it
    /// runs, lines keep going to the new current until that one needs a rotation too.
    /// The caller's descriptors 0 to 5 must be open, so that the spawn's own pipe does not
    /// take one of the numbers the processor's descriptors are moved to.
    [[nodiscard]] LogWork work(std::int64_t now_ms) noexcept;

    /// Asks for a rotation at the next work(), if current is not empty then (SIGALRM).
    void request_rotation() noexcept { want_rotate_ = true; }

    /// The processor's pid while one runs, else 0.
    [[nodiscard]] pid_t processor_pid() const noexcept { return pid_; }
    /// Records the end of the processor (wstat from waitpid). True if it succeeded (call
    /// work() to finish the rotation); false if it was killed by a signal
    /// (processor_crashed) or exited non-zero (processor_failed): it is run again at the
    /// deadline.
    [[nodiscard]] bool processor_exited(int wstat) noexcept;

    /// Nothing queued, no rotation under way: finalize() may be called.
    [[nodiscard]] bool idle() const noexcept { return buf_.empty() && rot_ == Rot::none; }
    /// Closes cleanly (when idle()): fsyncs current, then adds u+x to its mode. done, or
    /// failed (failed_step(), error(); retry at deadline(): calling again resumes there), or
    /// busy while a retry deadline is ahead of now_ms.
    [[nodiscard]] LogWork finalize(std::int64_t now_ms) noexcept;
    [[nodiscard]] bool finalized() const noexcept { return finalized_; }

    /// When work() (or finalize()) should run next: the retry deadline after a failure, the
    /// next periodic rotation, or keel::no_deadline.
    [[nodiscard]] std::int64_t deadline() const noexcept;
    /// True while a failure waits for its retry deadline.
    [[nodiscard]] bool failing() const noexcept { return retry_at_ != 0; }

    [[nodiscard]] LogStep failed_step() const noexcept { return failed_; }
    [[nodiscard]] int error() const noexcept { return error_; }
    [[nodiscard]] const LogdirConfig& config() const noexcept { return cfg_; }
    /// Bytes in current.
    [[nodiscard]] std::uint64_t current_size() const noexcept { return size_; }

private:
    // The rotation steps, in order; none: current is writable and no rotation is under way.
    enum class Rot : std::uint8_t {
        none, sync, rename, open_current, chmod_previous, archive_previous, trim_previous,
        spawn, wait, sync_processed, sync_newstate, unlink_previous, rename_state,
        archive_processed, trim_processed,
    };

    bool fail(LogStep step, std::int64_t now_ms) noexcept;
    bool rotate(std::int64_t now_ms) noexcept;
    bool spawn_processor() noexcept;
    bool open_current() noexcept;
    bool archive(const char* name, char suffix) noexcept;
    bool trim() noexcept;

    LogdirConfig cfg_{};
    Fd dir_, lock_, cur_;
    GrowBuf buf_;
    mode_t mode_ = 0644;
    std::uint64_t size_ = 0;     // bytes in current
    std::uint64_t flushed_ = 0;  // bytes of current whose writeback was started
    bool line_start_ = true;     // current ends with a newline (or is empty)
    bool want_rotate_ = false;
    bool finalized_ = false;
    bool synced_ = false;        // finalize(): the fsync is done
    Rot rot_ = Rot::none;
    pid_t pid_ = 0;
    std::int64_t retry_at_ = 0;  // 0: not failing
    std::int64_t period_at_ = 0; // next periodic rotation (R), 0: none
    LogStep failed_ = LogStep::none;
    int error_ = 0;
};

} // namespace keel
