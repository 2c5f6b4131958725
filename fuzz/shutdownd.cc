// shutdownd's FIFO messages (lib init message_decode(), order_unpack(), delay_ms(): the
// decoding shutdownd's read_orders() runs): the input is what the FIFO holds, decoded
// message by message as shutdownd does; a decoded order packs back to the same 17 bytes.
#include "fuzz.h"

#include "keel/init.h"

#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace ki = keel::init;
    std::string_view in = fz::bytes(data, size);
    while (!in.empty()) {
        const ki::Message m = ki::message_decode(std::span<const char>(in.data(), in.size()));
        switch (m.kind) {
        case ki::MsgKind::order: {
            if (m.len != ki::order_len) std::abort();
            char out[ki::order_len];
            ki::order_pack(m.order, out);
            if (std::memcmp(out, in.data(), sizeof out) != 0) std::abort();
            const std::int64_t ms = ki::delay_ms(m.order.delay);
            if (ms < -1) std::abort();
            (void)ki::reboot_cmd(m.order.what);
            break;
        }
        case ki::MsgKind::cancel:
        case ki::MsgKind::unknown:
            if (m.len != 1) std::abort();
            break;
        case ki::MsgKind::incomplete:
            if (in.size() >= ki::order_len) std::abort();
            return 0;
        case ki::MsgKind::bad:
            if (in.size() < ki::order_len) std::abort();
            return 0;
        }
        in.remove_prefix(m.len);
    }
    return 0;
}
