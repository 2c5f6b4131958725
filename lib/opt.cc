// getopt-style iteration for keel/opt.h; no global state, no reordering of argv.
#include "keel/opt.h"
#include "keel/str.h"

#include <cstring>

namespace keel {

int OptParser::next_long(const char* word) noexcept
{
    std::string_view w(word);
    std::string_view name = w;
    const char* value = nullptr;
    if (auto eq = w.find('='); eq != std::string_view::npos) {
        name = head(w, eq);
        value = word + eq + 1;
    }
    for (const LongOpt& lo : longs_) {
        if (lo.name != name) continue;
        if (!lo.has_arg) {
            if (value) {
                bad_ = 0;
                return '?';
            }
            return lo.key;
        }
        if (!value) {
            if (index_ >= argc_) {
                bad_ = 0;
                return ':';
            }
            value = argv_[index_++];
        }
        arg_ = value;
        return lo.key;
    }
    bad_ = 0;
    return '?';
}

int OptParser::next() noexcept
{
    arg_ = nullptr;
    if (done_) return 0;
    if (!cluster_ || !*cluster_) {
        const char* word = index_ < argc_ ? argv_[index_] : nullptr;
        if (!word || word[0] != '-' || word[1] == 0) {
            done_ = true;
            return 0;
        }
        ++index_;
        if (word[1] == '-') {
            if (word[2] == 0) { // "--" ends the options and is consumed
                done_ = true;
                return 0;
            }
            return next_long(word + 2);
        }
        cluster_ = word + 1;
    }
    const char c = *cluster_++;
    const std::size_t at = c == ':' ? std::string_view::npos : spec_.find(c);
    if (at == std::string_view::npos) {
        bad_ = static_cast<unsigned char>(c);
        return '?';
    }
    if (at + 1 < spec_.size() && spec_[at + 1] == ':') {
        if (*cluster_) {
            arg_ = cluster_;
        } else if (index_ < argc_) {
            arg_ = argv_[index_++];
        } else {
            bad_ = static_cast<unsigned char>(c);
            cluster_ = nullptr;
            return ':';
        }
        cluster_ = nullptr;
    }
    return static_cast<unsigned char>(c);
}

} // namespace keel
