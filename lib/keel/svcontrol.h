// Talking to a running supervise: its control FIFO, and whether it runs at all (its lock).
// s6-compatible: these work the same against keel's supervise and s6-supervise.
#pragma once

#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace keel::sv {

enum class CtlResult {
    ok,
    not_supervised, ///< no supervise reads DIR/supervise/control (ENXIO), or no DIR/supervise
    bad_dir,        ///< DIR/supervise is there but broken (no control FIFO, not a directory...)
    error,          ///< any other failure; errno set
};

/// The control directory of a scan directory (a supervisor's is "supervise").
inline constexpr char scanner_ctl_dir[] = ".s6-svscan";

/// Writes cmds, in one write, to DIR/SUBDIR/control, opened O_WRONLY|O_NONBLOCK (a FIFO that
/// nobody reads fails at once with ENXIO instead of blocking), then switched back to blocking
/// so the whole command goes in even if the FIFO is busy. Returns ok; not_supervised if
/// nothing reads the FIFO or DIR has no SUBDIR; bad_dir (errno set) if DIR/SUBDIR exists but
/// has no usable control FIFO or is not a directory; error (errno set) otherwise, e.g. a
/// missing DIR or a path too long.
[[nodiscard]] CtlResult write_control_at(const char* dir, const char* subdir,
                                         std::string_view cmds) noexcept;

/// The same for a supervisor: DIR/supervise/control.
[[nodiscard]] inline CtlResult write_control(const char* dir, std::string_view cmds) noexcept
{
    return write_control_at(dir, "supervise", cmds);
}

/// Whether a supervisor holds the lock on DIR/supervise/lock: 1 yes, 0 no (also when the lock
/// file does not exist), -1 on error with errno.
[[nodiscard]] int supervised(const char* dir) noexcept;

// --- The listening side: supervise's supervise/, svscan's .s6-svscan/ ---------------------

/// Which step of listen_control() failed.
enum class ListenStep {
    open_lock,  ///< opening (creating) DIR/lock
    lock,       ///< locking it failed for a reason other than another holder
    busy,       ///< another process holds the lock: another instance runs on DIR
    mkfifo,     ///< creating DIR/control
    stat,       ///< DIR/control exists but could not be examined
    not_fifo,   ///< DIR/control exists and is not a FIFO
    open_read,  ///< opening the FIFO for reading
    open_write, ///< opening the FIFO for writing
};

/// Makes DIR (which must exist) the control point of this process, as s6-supervise and
/// s6-svscan do: takes an exclusive lock on DIR/lock (created with lock_mode, exactly: the
/// umask is 0 meanwhile) and holds it until the process exits, makes DIR/control a FIFO of
/// mode 0600 if it is not there, and opens it for reading and for writing. Returns the read
/// end (non-blocking, close-on-exec); the write end stays open, unreachable, so the reader
/// never sees EOF. On failure returns -1 with errno set and `failed` telling which step.
[[nodiscard]] int listen_control(const char* dir, mode_t lock_mode, ListenStep& failed) noexcept;

/// For the message of a failed step other than busy and not_fifo: "unable to VERB DIR/FILE",
/// e.g. verb "mkfifo", file "control"; file "control for reading" for open_read.
struct ListenFailure {
    std::string_view verb, file;
};
[[nodiscard]] ListenFailure listen_failure(ListenStep step) noexcept;

// --- The bytes written to the control FIFOs ---------------------------------------------

/// What a byte written to supervise/control asks for (s6-supervise's commands).
enum class Cmd : std::uint8_t {
    none, ///< not a command: supervise ignores the byte
    kill, ///< a b q h k t i 1 2 y: send the signal in Control::sig
    pause, cont,                         ///< p c
    pause_group, cont_group, kill_group, ///< P C K
    restart, reload,                     ///< r l
    once, down, up, down_file, up_file, exit, want_down, down_quiet, ///< o d u D U x O Q
};

struct Control {
    Cmd cmd = Cmd::none;
    int sig = 0; ///< for Cmd::kill; 0 otherwise
};

/// Decodes one byte of supervise/control.
[[nodiscard]] Control control_decode(char c) noexcept;

/// What a byte written to .s6-svscan/control asks for (s6-svscan's commands).
enum class ScanCmd : std::uint8_t {
    unknown,       ///< svscan warns about it
    reap,          ///< z
    scan,          ///< a
    leave,         ///< b: exit without killing the supervisors (when stopping)
    scan_inactive, ///< h: scan, and kill the supervisors of services gone (loggers: SIGHUP)
    stop_all,      ///< t i: stop everything (loggers: SIGHUP)
    stop_all_term, ///< q: stop everything, loggers with SIGTERM
    inactive,      ///< n: kill the supervisors of services gone (loggers: SIGHUP)
    inactive_term, ///< N: the same, loggers with SIGTERM too
};

/// Decodes one byte of .s6-svscan/control.
[[nodiscard]] ScanCmd scan_control_decode(char c) noexcept;

} // namespace keel::sv
