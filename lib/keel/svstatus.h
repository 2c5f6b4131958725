// The s6 supervision formats on disk: supervise/status (35 bytes; the 43-byte layout of s6
// 2.13 is read too) and supervise/death_tally (14-byte records). Byte-compatible with s6, so
// s6's tools read what keel's supervise writes and the other way round. Every keel tool goes
// through here; none parses these bytes itself. Nothing prints, exits or allocates.
#pragma once

#include "keel/fd.h"
#include "keel/tai.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace keel::sv {

inline constexpr std::size_t status_len = 35;     ///< s6 <= 2.12 and >= 2.14
inline constexpr std::size_t status_len_213 = 43; ///< s6 2.13.x: a pgid field added
inline constexpr std::size_t tally_record_len = 14;
inline constexpr unsigned max_death_tally_limit = 4096;
inline constexpr unsigned default_death_tally = 100;

/// The content of supervise/status.
struct Status {
    Tai64n stamp{};       ///< last up/down change
    Tai64n readystamp{};  ///< last readiness (or down-and-ready)
    std::uint64_t pid = 0;  ///< run's pid while up, finish's while finishing, else 0
    std::uint64_t pgid = 0; ///< only from the 43-byte layout; 0 otherwise
    std::uint16_t wstat = 0; ///< raw wait status of run's last death
    bool paused = false;
    bool finishing = false;
    bool wantup = false;
    bool ready = false;

    /// The predicates every reader must use (spec §3.1).
    [[nodiscard]] bool up() const noexcept { return pid && !finishing; }
    [[nodiscard]] bool ready_now() const noexcept { return pid && ready; }
    /// s6 2.13.2+ marks a service never started yet with paused while down.
    [[nodiscard]] bool not_started() const noexcept { return !pid && !finishing && paused; }
};

/// Encodes s in the 35-byte layout (pgid is not stored).
void status_pack(const Status& s, std::span<char, status_len> out) noexcept;

/// Decodes a status file's content: 35 bytes, or 43 bytes in the 2.13 layout. Any other size
/// is a damaged file (s6's readers would decode the first 35 bytes of a longer one; keel
/// refuses to show nonsense): false with errno EPIPE if shorter than 35 bytes, EFBIG if
/// longer, EINVAL if a timestamp's nanoseconds are out of range.
[[nodiscard]] bool status_unpack(std::span<const char> in, Status& out) noexcept;

/// Reads DIR/supervise/status. False with errno: from open/read, or as status_unpack().
[[nodiscard]] bool status_read(const char* dir, Status& out) noexcept;

/// What to print after "unable to read status for DIR: " when status_read() failed with errno
/// e: words for a damaged file (EPIPE, EFBIG, EINVAL), strerror(e) for anything else.
[[nodiscard]] std::string_view status_error(int e) noexcept;

/// Writes DIR/supervise/status atomically: status.new, then rename. False with errno.
[[nodiscard]] bool status_write(const char* dir, const Status& s) noexcept;
/// The same, given DIR/supervise open as svdir (what supervise does: no path to build).
[[nodiscard]] bool status_write_at(int svdir, const Status& s) noexcept;

/// One death_tally record: when, the exit byte (exit code, or 128+signal) and the signal.
struct Death {
    Tai64n when{};
    std::uint8_t exitbyte = 0;
    std::uint8_t sig = 0;
};

void death_pack(const Death& d, std::span<char, tally_record_len> out) noexcept;
/// False with errno EINVAL if the timestamp's nanoseconds are out of range.
[[nodiscard]] bool death_unpack(std::span<const char, tally_record_len> in, Death& out) noexcept;
/// The record for a run that died with wait status wstat at time when.
[[nodiscard]] Death death_from_wstat(int wstat, const Tai64n& when) noexcept;

/// Appends d to DIR/supervise/death_tally, keeping only the last max records (0: the file is
/// left empty), through death_tally.new and a rename. A file whose size is not a multiple of
/// 14 counts as empty. Streams through a small buffer. False with errno.
[[nodiscard]] bool tally_append(const char* dir, const Death& d, unsigned max) noexcept;
/// The same, given DIR/supervise open as svdir.
[[nodiscard]] bool tally_append_at(int svdir, const Death& d, unsigned max) noexcept;

/// Empties DIR/supervise/death_tally atomically (an empty .new renamed over it).
[[nodiscard]] bool tally_clear(const char* dir) noexcept;

/// Reads DIR/supervise/death_tally, oldest record first.
class TallyReader {
public:
    /// Opens the tally and skips all but its last `last` records. A missing file, or one whose
    /// size is not a multiple of 14, holds no record. False with errno on other errors.
    [[nodiscard]] bool open(const char* dir, std::size_t last = SIZE_MAX) noexcept;
    /// 1: d holds the next record; 0: no more; -1: error (errno; EINVAL: a corrupt record).
    [[nodiscard]] int next(Death& d) noexcept;

private:
    Fd fd_;
    std::size_t left_ = 0;
};

} // namespace keel::sv
