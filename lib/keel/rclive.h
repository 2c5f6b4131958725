// The service manager's live state (rc-init makes it; rc and rc-update open it), in
// namespace keel::rc.
//
// Layout: LIVE (default /run/keel-rc) is a symbolic link to a real directory LIVE:initial:XXXXXX
// (rc-update later makes LIVE:update:XXXXXX and switches LIVE atomically), which holds:
//   compiled      absolute symlink to the compiled db directory (rcdb.h)
//   scandir       absolute symlink to the scan directory svscan runs on
//   prefix        a file: the bytes put before a service name in SCANDIR (may be empty)
//   state         one byte per atomic service, db index order; bit 0 (state_up) = up.
//                 Always replaced whole: state.new, then rename (save_state()).
//   lock          the file whose POSIX record lock (keel/lock.h) serializes rc/rc-update
//   servicedirs/NAME   the working copy of COMPILED/servicedirs/NAME for every longrun
// and SCANDIR/PREFIX+NAME is a symlink to LIVE/servicedirs/NAME (through the LIVE link, so
// that switching LIVE switches what svscan sees).
// Nothing here prints or exits.
#pragma once

#include "keel/lock.h"
#include "keel/path.h"
#include "keel/rcdb.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace keel {
class Slurp;
}

namespace keel::rc {

/// Bit 0 of a state byte: the service is up.
inline constexpr std::uint8_t state_up = 1;

/// Names of the entries of a live directory.
inline constexpr char live_compiled[] = "compiled";
inline constexpr char live_scandir[] = "scandir";
inline constexpr char live_prefix[] = "prefix";
inline constexpr char live_state[] = "state";
inline constexpr char live_lock[] = "lock";
inline constexpr char live_servicedirs[] = "servicedirs";
/// The oneshot runner's socket, in its live service dir (rc-oneshotd's SOCKET argument).
inline constexpr char runner_socket_name[] = "s";

/// Writes st as DIR/state: DIR/state.new (mode 0644), then renamed over DIR/state, so a reader
/// never sees a partial file. False with errno (the .new file is removed on failure).
[[nodiscard]] bool write_state(const char* dir, std::span<const std::uint8_t> st) noexcept;

/// Which step of Live::open() failed (for the caller's message).
enum class LiveStep {
    resolve,  ///< LIVE could not be resolved to its real directory (errno: ENOENT if absent)
    lock,     ///< REAL/lock could not be opened or locked (EBUSY: held, ETIMEDOUT)
    db,       ///< loading REAL/compiled/db failed (EINVAL: invalid database)
    scandir,  ///< reading the REAL/scandir link failed
    prefix,   ///< reading REAL/prefix failed (EINVAL: holds a '/' or a newline)
    state,    ///< reading REAL/state failed (EINVAL: its size is not the db's size())
};

/// An opened live state: the db it runs, the state bytes, the lock. One-shot tools use it
/// once; it allocates only in open() (the db, the state array).
class Live {
public:
    Live() noexcept = default;
    Live(const Live&) = delete;
    Live& operator=(const Live&) = delete;
    ~Live();

    /// Opens the live directory live (as given: LIVE, a symlink): resolves it to its real
    /// directory REAL, takes a `kind` lock on REAL/lock (created if missing) with timeout_ms
    /// (lock_no_wait: fail at once with EBUSY; lock_forever: wait; see lock_fd()), then checks
    /// that LIVE still resolves to REAL (rc-update may have switched it meanwhile: then it
    /// starts again), loads the db of REAL/compiled, reads REAL/scandir, REAL/prefix and
    /// REAL/state. False with errno; failed() tells which step. The lock is held until close()
    /// or destruction (it is a process lock: see keel/lock.h).
    [[nodiscard]] bool open(const char* live, LockKind kind, std::int64_t timeout_ms) noexcept;
    /// Releases everything (lock included). Safe to call twice.
    void close() noexcept;
    /// The step at which the last open() failed.
    [[nodiscard]] LiveStep failed() const noexcept { return failed_; }

    /// The database the live state runs.
    [[nodiscard]] const Db& db() const noexcept { return db_; }
    /// Number of atomic services (= db().size() = the state's size).
    [[nodiscard]] std::uint32_t size() const noexcept { return db_.size(); }
    /// Whether service i is up (state bit 0).
    [[nodiscard]] bool is_up(std::uint32_t i) const noexcept { return state_[i] & state_up; }
    /// Sets or clears service i's up bit, in memory only: save_state() writes it out.
    void set_up(std::uint32_t i, bool up) noexcept;
    /// The state bytes, in db index order.
    [[nodiscard]] std::span<const std::uint8_t> state() const noexcept { return {state_, size()}; }
    /// Writes the in-memory state to REAL/state atomically (write_state()). False with errno.
    [[nodiscard]] bool save_state() const noexcept;

    /// LIVE as given to open().
    [[nodiscard]] std::string_view path() const noexcept { return live_.view(); }
    /// The real directory LIVE resolved to (absolute).
    [[nodiscard]] std::string_view real() const noexcept { return real_.view(); }
    /// The scan directory (REAL/scandir's target) and the prefix of the names there.
    [[nodiscard]] std::string_view scandir() const noexcept { return scandir_.view(); }
    /// The same, NUL-terminated.
    [[nodiscard]] const char* scandir_path() const noexcept { return scandir_.c_str(); }
    [[nodiscard]] std::string_view prefix() const noexcept { return prefix_.view(); }
    /// The descriptor holding the lock (REAL/lock), -1 if not open.
    [[nodiscard]] int lock_descriptor() const noexcept { return lock_; }

    /// REAL/servicedirs/NAME for service i (a longrun). False with ENAMETOOLONG.
    [[nodiscard]] bool service_dir(std::uint32_t i, PathBuf<>& out) const noexcept;
    /// SCANDIR/PREFIX+NAME for service i: its link in the scan directory.
    [[nodiscard]] bool scan_link(std::uint32_t i, PathBuf<>& out) const noexcept;
    /// REAL/servicedirs/s6rc-oneshot-runner/s: where rc-oneshotd listens.
    [[nodiscard]] bool runner_socket(PathBuf<>& out) const noexcept;

private:
    bool open_once(const char* live, LockKind kind, std::int64_t timeout_ms, bool& again) noexcept;
    bool read_rest() noexcept;
    // REAL/ENTRY into p; failed_ = step. False with errno.
    bool entry(LiveStep step, const char* entry, PathBuf<>& p) noexcept;
    // All of REAL/NAME into s; failed_ = step. False with errno.
    bool slurp(LiveStep step, const char* name, Slurp& s) noexcept;

    Db db_;
    std::uint8_t* state_ = nullptr;
    int lock_ = -1;
    LiveStep failed_ = LiveStep::resolve;
    PathBuf<256> prefix_;
    PathBuf<> live_, real_, scandir_; // last: the other members stay at short offsets
};

} // namespace keel::rc
