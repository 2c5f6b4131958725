// Building a live state directory (keel/rclive.h has the layout), the pieces rc-init and
// rc-update share: the new LIVE:KIND:XXXXXX directory and its files, a live service dir made
// ready for its first supervisor (down files, event fifodirs), links in the scan directory,
// waiting for the `s` (or `x`) event of many supervisors at once, telling supervisors to exit,
// and the atomic switch of the LIVE symlink. Nothing here prints or exits.
#pragma once

#include "keel/path.h"
#include "keel/rcdb.h"
#include "keel/svlink.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace keel::rc {

/// Makes the directory LIVE:KIND:XXXXXX (mkdtemp, then mode 0755) beside live; out gets its
/// path (empty on failure). False with errno.
[[nodiscard]] bool make_live_dir(const char* live, std::string_view kind, PathBuf<>& out) noexcept;

/// Which file fill_live_dir() failed on.
enum class FillStep { lock, compiled, scandir, prefix, state };

/// Writes the files of a new live directory real: `lock` (created and locked exclusively:
/// lock_fd gets its descriptor, to keep for as long as the directory is being built),
/// `compiled` -> compiled, `scandir` -> scandir, `prefix`, `state` (state bytes). False with
/// errno; failed tells which entry (fill_failure() words the message).
[[nodiscard]] bool fill_live_dir(const char* real, const char* compiled, const char* scandir,
                                 std::string_view prefix, std::span<const std::uint8_t> state,
                                 int& lock_fd, FillStep& failed) noexcept;

/// "unable to VERB REAL/ENTRY[ to TARGET]" pieces for a failed fill_live_dir() step: verb and
/// entry; target is compiled or scandir for the two links, empty otherwise.
struct FillFailure {
    std::string_view verb, entry;
    bool has_target;
};
[[nodiscard]] FillFailure fill_failure(FillStep step) noexcept;

/// Which step of prepare_service_dir() failed (the path is in `where`).
enum class PrepStep { stat, not_dir, down, fifodir };

/// Makes the copied live service dir dir ready for a supervisor that must not start the
/// service: checks it is a directory, creates dir/down and the event fifodir dir/event
/// (restricted to this process's group), and the same in dir/log when that is a directory
/// (logged is then true). False with errno; failed and where tell which step and path.
[[nodiscard]] bool prepare_service_dir(const char* dir, bool& logged, PrepStep& failed,
                                       PathBuf<>& where) noexcept;

/// Creates SCANDIR/PREFIX+NAME as a symlink to LIVE/servicedirs/NAME (through the LIVE link,
/// see keel/rclive.h); link gets the link's path. An existing link with that very target
/// counts as made. False with errno (EEXIST if something else is there).
[[nodiscard]] bool link_service(std::string_view scandir, std::string_view prefix,
                                std::string_view name, std::string_view live,
                                PathBuf<>& link) noexcept;

/// Tells the supervisor of dir to exit: "xd" (the service is already down, or goes down) for
/// a service, "xo" for its logger (so it reads its input to the end). Errors are ignored: a
/// directory nobody supervises is fine.
void stop_supervisor(const char* dir, bool is_log) noexcept;

/// Atomically makes live a symlink to real's last component (they are in the same directory):
/// the symlink LIVE.new, then renamed over live. False with errno (LIVE.new removed).
[[nodiscard]] bool switch_live(const char* live, const char* real) noexcept;

/// One supervisor waited for: a service (db index) and whether it is its logger.
struct SupervisorPart {
    std::uint32_t service = 0;
    bool is_log = false;
};

/// Subscriptions to the event fifodirs of many live service dirs (and their loggers), and one
/// wait for the same event letter from all of them (rc-init: `s` from every new supervisor,
/// rc-update: also `x` from the ones it removes). Storage is allocated once by reserve().
class SupervisorWait {
public:
    SupervisorWait() noexcept = default;
    SupervisorWait(const SupervisorWait&) = delete;
    SupervisorWait& operator=(const SupervisorWait&) = delete;
    ~SupervisorWait();

    /// Room for services service dirs and as many loggers; raises RLIMIT_NOFILE as far as
    /// allowed for that many subscriptions. False with errno (ENOMEM).
    [[nodiscard]] bool reserve(std::size_t services) noexcept;
    /// Blocks the stop signals (LetterWait::open()); call before the first add(). False with errno.
    [[nodiscard]] bool open() noexcept;
    /// Records service (and its logger if logged) and subscribes to dir/event (and
    /// dir/log/event). False with errno; where gets the fifodir that failed.
    [[nodiscard]] bool add(std::uint32_t service, const char* dir, bool logged,
                           PathBuf<>& where) noexcept;
    /// How many supervisors are recorded, and each one.
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    [[nodiscard]] SupervisorPart part(std::size_t k) const noexcept { return parts_[k]; }
    /// Waits until letter has come from every subscription (LetterWait::wait()).
    [[nodiscard]] sv::LetterEnd wait(char letter, std::int64_t deadline_ms) noexcept;
    /// Appends " NAME" (" NAME/log" for a logger) to out for every part that has not seen the
    /// letter; full is set if out ran out of room (the list is then cut).
    void unseen(const Db& db, PathBuf<8192>& out, bool& full) const noexcept;
    /// Removes every subscription. Safe to call twice.
    void stop() noexcept;

private:
    void release() noexcept;

    SupervisorPart* parts_ = nullptr;
    ftrig::Listener* subs_ = nullptr;
    bool* seen_ = nullptr;
    std::size_t cap_ = 0, n_ = 0;
    sv::LetterWait* wait_ = nullptr;
};

} // namespace keel::rc
