// rc-update's conversion file (lib rcconv conv_line(), on execlex): the input is the file,
// cut into lines as rc-update reads it, every line's words kept in one buffer as rc-update
// keeps them. A rename's offset must find the new name again once later lines have grown
// the buffer.
#include "fuzz.h"

#include "keel/rcconv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace rc = keel::rc;
    std::string_view text = fz::bytes(data, size);
    keel::GrowBuf words;
    if (!words.init(16)) std::abort();
    struct Rename {
        std::size_t off, len;
    } renames[64];
    std::size_t nr = 0;
    while (!text.empty()) {
        const std::string_view line = fz::take(text, '\n');
        rc::ConvLine c;
        switch (rc::conv_line(line, words, c)) {
        case rc::ConvResult::empty:
        case rc::ConvResult::syntax: continue;
        case rc::ConvResult::nomem: std::abort();
        case rc::ConvResult::ok: break;
        }
        if (c.renamed) {
            if (c.problem == rc::ConvProblem::no_new_name) std::abort();
            if (c.new_off + c.new_name.size() > words.size()
                || words.data().substr(c.new_off, c.new_name.size()) != c.new_name)
                std::abort();
            if (nr < 64) renames[nr++] = {c.new_off, c.new_name.size()};
        }
        if (c.problem != rc::ConvProblem::unknown_keyword && !c.bad.empty()) std::abort();
    }
    for (std::size_t i = 0; i < nr; ++i)
        if (renames[i].off + renames[i].len > words.size()
            || words.data()[renames[i].off + renames[i].len] != 0)
            std::abort();
    return 0;
}
