// rc-compile's source definitions: every file of a service directory it reads, each parsed
// by the lib code rc-compile runs (lib rcsource: type, the name lists contents,
// dependencies, producer-for, consumer-for, pipeline-name and the names of contents.d/ and
// dependencies.d/ entries, timeout-up/-down; lib execlex: up, down, reload). The input is
// given to each parser as that file's content.
#include "fuzz.h"

#include "keel/execlex.h"
#include "keel/rcsource.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace rc = keel::rc;
    const std::string_view in = fz::bytes(data, size);
    const rc::SourceType t = rc::source_type(in);
    if (t != rc::SourceType::unknown && in.size() > 8) std::abort();
    std::string_view text = in, name;
    std::size_t guard = 0;
    while (rc::next_list_name(text, name)) {
        if (++guard > in.size()) std::abort();
        if (name.empty() || name[0] == ' ' || name[0] == '\t' || name[0] == '#'
            || name.find('\n') != name.npos)
            std::abort();
        const rc::NameCheck c = rc::check_name(name);
        if (c == rc::NameCheck::ok && (name.find('/') != name.npos || name == "." || name == ".."))
            std::abort();
    }
    if (!text.empty()) std::abort();
    std::uint32_t ms;
    (void)rc::source_timeout(in, ms);
    keel::GrowBuf out;
    if (!out.init(in.size() + 16)) std::abort();
    std::size_t words = 0;
    (void)keel::exec_lex(in, out, words);
    return 0;
}
