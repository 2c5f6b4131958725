// s6's fifodir protocol ("ftrig1"), the way supervise broadcasts its events (event/) and
// clients wait for them. A listener creates a FIFO named "ftrig1:@" + the 24 hex digits of a
// TAI64N stamp + ":" + 6 random characters (39 bytes) in the fifodir and reads it; a notifier
// writes the event bytes into every such FIFO, in one write each, and removes those nobody
// reads any more. Compatible with s6's ftrigw/ftrigr both ways. Nothing here prints, exits or
// allocates: directories are read with getdents64 into a stack buffer.
#pragma once

#include "keel/fd.h"

#include <cstddef>
#include <string_view>
#include <sys/types.h>

namespace keel::ftrig {

inline constexpr std::string_view listener_prefix = "ftrig1:@";
inline constexpr std::size_t listener_name_len = 39;

/// Whether a fifodir entry's name is a listener's FIFO: listener_prefix, listener_name_len
/// bytes in all (what notify and clean act on; anything else there is left alone).
[[nodiscard]] bool is_listener_name(const char* name) noexcept;

/// Modes of a fifodir: anyone may subscribe, or only members of its group.
inline constexpr mode_t public_mode = 01733;
inline constexpr mode_t restricted_mode = 03730;

/// Makes the fifodir path if it does not exist: public (01733) or restricted to group gid
/// (03730, group gid). With force, an existing directory gets that mode and group too.
/// False with errno (ENOTDIR if path exists and is not a directory).
[[nodiscard]] bool make_fifodir(const char* path, bool is_public, gid_t gid, bool force) noexcept;

/// Sends events to every listener of the fifodir open as dirfd (one write each). A FIFO with
/// no reader (ENXIO, or EPIPE on write) is a dead listener and is removed; a full one is
/// skipped. Returns how many listeners got the events, or -1 with errno if the directory cannot
/// be read. SIGPIPE must be ignored or blocked.
[[nodiscard]] int notify_at(int dirfd, std::string_view events) noexcept;
/// notify_at() on the fifodir at path.
[[nodiscard]] int notify(const char* path, std::string_view events) noexcept;

/// Removes the dead listeners of the fifodir open as dirfd. False with errno if the directory
/// cannot be read.
[[nodiscard]] bool clean_at(int dirfd) noexcept;
[[nodiscard]] bool clean(const char* path) noexcept;

/// One subscription: this process's FIFO in a fifodir. Unsubscribes when destroyed.
class Listener {
public:
    Listener() noexcept = default;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener() { unsubscribe(); }

    /// Creates the FIFO (first as ".ftrig1:@...", opened for reading without blocking and once
    /// for writing so it never reads EOF, then renamed into view). False with errno.
    [[nodiscard]] bool subscribe(const char* fifodir) noexcept;
    /// The non-blocking, close-on-exec read end to poll for events; -1 if not subscribed.
    [[nodiscard]] int fd() const noexcept { return rd_.get(); }
    /// Reads the event bytes available: their count, 0 if none yet, -1 on error (errno).
    [[nodiscard]] ssize_t read(char* buf, std::size_t len) noexcept;
    /// Removes the FIFO and closes it. Safe to call twice.
    void unsubscribe() noexcept;

private:
    Fd dir_, rd_, wr_;                 // the fifodir, and both ends of our FIFO in it
    char name_[listener_name_len + 1]{}; // its name there; empty when not subscribed
};

} // namespace keel::ftrig
