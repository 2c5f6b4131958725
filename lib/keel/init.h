// What the stage-1/3/4 programs (stage1, shutdownd, init-hpr, init-shutdown, init-telinit,
// kill-all, halt-final...) share: the s6-linux-init names that make up the wire protocol (early
// service names, FIFOs, the results directory), the 17-byte shutdown order that clients write to
// shutdownd's FIFO, and the last steps before power-off. Nothing here prints or exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "keel/fd.h"
#include "keel/tai.h"

namespace keel::init {

// Build-time constants of s6-linux-init, kept so that its tools and keel's interoperate.
inline constexpr char tmpfs_dir[] = "/run";
inline constexpr char scandir[] = "/run/service";
inline constexpr char default_basedir[] = "/etc/s6-linux-init/current";
inline constexpr char default_path[] = "/usr/bin:/bin";
inline constexpr char default_initdefault[] = "default";

// Early services: their names are part of the protocol and must not change.
inline constexpr char logger_service[] = "s6-svscan-log";
inline constexpr char shutdownd_service[] = "s6-linux-init-shutdownd";
inline constexpr char runleveld_service[] = "s6-linux-init-runleveld";
inline constexpr char getty_service[] = "s6-linux-init-early-getty";
inline constexpr char logouthookd_service[] = "s6-linux-init-logouthookd";

inline constexpr char logger_fifo[] = "/run/service/s6-svscan-log/fifo";
inline constexpr char shutdownd_fifo[] = "/run/service/s6-linux-init-shutdownd/fifo";
inline constexpr char runleveld_socket[] = "/run/service/s6-linux-init-runleveld/s";
inline constexpr char uncaught_logs[] = "/run/uncaught-logs";
inline constexpr char container_results[] = "/run/s6-linux-init-container-results";
inline constexpr char stage4_file[] = "stage 4"; // in shutdownd's service directory

// Grace time between the TERM and the KILL round, in milliseconds.
inline constexpr std::uint32_t default_grace_ms = 3000;
inline constexpr std::uint32_t max_grace_ms = 300000;

// --- The shutdown order on shutdownd's FIFO -------------------------------------------------
// 17 bytes: WHAT, 12-byte packed TAI64N *relative* delay (label = seconds, no 2^62 epoch;
// all zero = now), 4-byte big-endian grace in ms (0 = shutdownd's default).
// WHAT: 'h' halt, 'p' poweroff, 'r' reboot, 'S' run rc.shutdown only. A lone 'c' cancels.
inline constexpr std::size_t order_len = 17;
inline constexpr char order_cancel = 'c';

struct Order {
    char what = 'S';
    Tai64n delay{0, 0};
    std::uint32_t grace_ms = 0;
};

/// Encodes order into the 17 bytes of the protocol.
void order_pack(const Order& order, std::span<char, order_len> out) noexcept;
/// Decodes 17 bytes. False (errno EPROTO) if WHAT is not one of h p r S or the nanoseconds are
/// out of range.
[[nodiscard]] bool order_unpack(std::span<const char, order_len> in, Order& order) noexcept;

/// One message at the start of what shutdownd has read from its FIFO.
enum class MsgKind : std::uint8_t {
    order,      ///< a whole order (len 17), decoded into Message::order
    cancel,     ///< 'c' (len 1)
    unknown,    ///< any other byte (len 1): skipped with a warning
    incomplete, ///< the first bytes of an order, not all 17 of them yet
    bad,        ///< 17 bytes that start like an order but do not decode (order_unpack)
};

struct Message {
    MsgKind kind = MsgKind::unknown;
    std::size_t len = 0; ///< bytes to consume (0 for incomplete and bad)
    Order order{};
};

/// Decodes the message at the start of data, which must not be empty.
[[nodiscard]] Message message_decode(std::span<const char> data) noexcept;

/// An order's relative delay in milliseconds (rounded up), or -1 if it is too long to count
/// in milliseconds: never.
[[nodiscard]] std::int64_t delay_ms(const Tai64n& delay) noexcept;

/// Opens shutdownd's FIFO for writing without blocking, then switches the descriptor back to
/// blocking. Invalid Fd with errno on failure: ENXIO means nobody listens (no shutdownd), the
/// probe the clients make before anything else.
[[nodiscard]] Fd open_shutdownd(const char* fifo = shutdownd_fifo) noexcept;

// --- Final steps ----------------------------------------------------------------------------

/// Waits until what was written to the console has gone out (tcdrain on fds 1 and 2 when they
/// are terminals, and on /dev/console if it can be opened), so the last lines before reboot(2)
/// are not lost in the UART. Best effort; never blocks on a console that cannot be opened.
void drain_console() noexcept;

/// sync() unless no_sync, drain_console(), then reboot(2) with cmd (RB_HALT_SYSTEM,
/// RB_POWER_OFF or RB_AUTOBOOT). Returns only on failure, with errno (EPERM without
/// CAP_SYS_BOOT, EINVAL for a command a PID namespace refuses).
void hard_reboot(int cmd, bool no_sync) noexcept;

/// The reboot(2) command for 'h', 'p' or 'r'; -1 for anything else.
[[nodiscard]] int reboot_cmd(char what) noexcept;

// --- kill(-1): every process but pid 1 and the caller ---------------------------------------

/// kill(-1, sig). True if it was sent or nothing was left to signal (ESRCH is not an error).
[[nodiscard]] bool kill_all(int sig) noexcept;

/// Sleeps ms milliseconds in full: signals that interrupt the sleep do not shorten it.
void sleep_ms(std::uint32_t ms) noexcept;

} // namespace keel::init
