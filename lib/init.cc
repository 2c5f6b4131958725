// Shared pieces of the init programs: see keel/init.h.
#include "keel/init.h"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

namespace keel::init {

void order_pack(const Order& order, std::span<char, order_len> out) noexcept
{
    out[0] = order.what;
    tai_pack(order.delay, out.subspan<1, tai64n_packed_len>());
    for (std::size_t i = 0; i < 4; ++i)
        out[1 + tai64n_packed_len + i] = static_cast<char>(order.grace_ms >> (24 - 8 * i));
}

bool order_unpack(std::span<const char, order_len> in, Order& order) noexcept
{
    Order o;
    o.what = in[0];
    if ((o.what != 'h' && o.what != 'p' && o.what != 'r' && o.what != 'S')
        || !tai_unpack(in.subspan<1, tai64n_packed_len>(), o.delay)) {
        errno = EPROTO;
        return false;
    }
    for (std::size_t i = 1 + tai64n_packed_len; i < order_len; ++i)
        o.grace_ms = o.grace_ms << 8 | static_cast<unsigned char>(in[i]);
    order = o;
    return true;
}

Message message_decode(std::span<const char> data) noexcept
{
    Message m;
    switch (data[0]) {
    case 'S':
    case 'h':
    case 'p':
    case 'r':
        if (data.size() < order_len) {
            m.kind = MsgKind::incomplete;
        } else if (!order_unpack(data.first<order_len>(), m.order)) {
            m.kind = MsgKind::bad;
        } else {
            m.kind = MsgKind::order;
            m.len = order_len;
        }
        return m;
    case order_cancel:
        m.kind = MsgKind::cancel;
        break;
    default:
        m.kind = MsgKind::unknown;
    }
    m.len = 1;
    return m;
}

std::int64_t delay_ms(const Tai64n& delay) noexcept
{
    constexpr std::uint64_t max_sec = INT64_MAX / 1000 - 1;
    if (delay.sec > max_sec) return -1;
    return static_cast<std::int64_t>(delay.sec * 1000 + (delay.nano + 999999) / 1000000);
}

Fd open_shutdownd(const char* fifo) noexcept
{
    Fd fd = open_file(fifo, O_WRONLY | O_NONBLOCK);
    if (fd && !set_nonblock(fd.get(), false)) return Fd();
    return fd;
}

void drain_console() noexcept
{
    const int saved = errno;
    for (int fd = 1; fd <= 2; ++fd)
        if (isatty(fd)) tcdrain(fd);
    Fd console = open_file("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK);
    if (console && isatty(console.get())) tcdrain(console.get());
    errno = saved;
}

void hard_reboot(int cmd, bool no_sync) noexcept
{
    if (!no_sync) sync();
    drain_console();
    reboot(cmd);
}

int reboot_cmd(char what) noexcept
{
    switch (what) {
    case 'h': return RB_HALT_SYSTEM;
    case 'p': return RB_POWER_OFF;
    case 'r': return RB_AUTOBOOT;
    default: return -1;
    }
}

bool kill_all(int sig) noexcept
{
    return kill(-1, sig) == 0 || errno == ESRCH;
}

void sleep_ms(std::uint32_t ms) noexcept
{
    timespec until{};
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += static_cast<long>(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {}
}

} // namespace keel::init
