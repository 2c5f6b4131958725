// keel's own socket protocols: the request headers rc-oneshotd and rc-fdholderd check (lib
// rconeshot and fdhold check_header(), then valid_name() on the name that follows), and
// the oneshot runner's reply as rc reads it (rconeshot finish(), from a pipe holding the
// input, read as the bytes arrive).
#include "fuzz.h"

#include "keel/fdhold.h"
#include "keel/rconeshot.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace ro = keel::rconeshot;
    namespace fh = keel::fdhold;
    const std::string_view in = fz::bytes(data, size);
    if (in.size() >= ro::header_len) {
        std::uint32_t len;
        const std::string_view rest = in.substr(ro::header_len);
        if (ro::check_header(in.data(), len) == ro::HeaderCheck::ok) {
            if (len == 0 || len > ro::max_name || ro::op_name(in[4]).empty()) std::abort();
            if (rest.size() >= len) (void)ro::valid_name(rest.substr(0, len));
        }
        if (fh::check_header(in.data(), len) == fh::HeaderCheck::ok) {
            if (len == 0 || len > fh::max_name) std::abort();
            if (rest.size() >= len) (void)fh::valid_name(rest.substr(0, len));
        }
    }
    (void)ro::valid_name(in);
    (void)fh::valid_name(in);
    // The reply, in pieces of 1..4 bytes as a slow socket would deliver it.
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) std::abort();
    ro::Reply reply;
    ro::Finish f = ro::Finish::pending;
    std::size_t off = 0, step = 1;
    const std::string_view msg = in.substr(0, 32);
    while (f == ro::Finish::pending) {
        if (off < msg.size()) {
            const std::size_t k = std::min(step, msg.size() - off);
            if (write(p[1], msg.data() + off, k) != static_cast<ssize_t>(k)) std::abort();
            off += k;
            step = step % 4 + 1;
        } else if (p[1] >= 0) {
            close(p[1]);
            p[1] = -1;
        }
        f = ro::finish(p[0], reply);
        if (reply.got > ro::reply_len) std::abort();
    }
    if (f == ro::Finish::exited && msg.size() < ro::reply_len) std::abort();
    close(p[0]);
    if (p[1] >= 0) close(p[1]);
    return 0;
}
