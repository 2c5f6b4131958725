// The passwd(5) and group(5) file reader of keel/uidgid.h (the *_in functions), used by
// KEEL_STATIC builds instead of NSS. It streams each line through a fixed buffer, matching
// names byte by byte, so no line is too long to read and nothing is allocated.
#include "keel/uidgid.h"

#include "keel/buf.h"
#include "keel/fd.h"
#include "keel/num.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace keel {

namespace {


// Compares a stream of bytes with a fixed string.
class Matcher {
public:
    explicit Matcher(std::string_view want) noexcept : want_(want) {}
    void reset() noexcept { pos_ = 0, ok_ = true; }
    void put(char c) noexcept
    {
        ok_ = ok_ && pos_ < want_.size() && want_[pos_] == c;
        ++pos_;
    }
    [[nodiscard]] bool matched() const noexcept { return ok_ && pos_ == want_.size(); }

private:
    std::string_view want_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// A numeric field; anything longer than the buffer is no valid id anyway.
class IdField {
public:
    void reset() noexcept { len_ = 0, over_ = false; }
    void put(char c) noexcept
    {
        if (len_ < sizeof buf_) buf_[len_++] = c;
        else over_ = true;
    }
    template <class T>
    [[nodiscard]] bool get(T& out) const noexcept
    {
        return !over_ && scan_number(std::string_view(buf_, len_), out);
    }

private:
    char buf_[24];
    std::size_t len_ = 0;
    bool over_ = false;
};

// Field 0 as read, for lookups by id; a name longer than the buffer is marked as such.
struct NameField {
    char buf[256];
    std::size_t len = 0;
    bool over = false;
    void reset() noexcept { len = 0, over = false; }
    void put(char c) noexcept
    {
        if (len < sizeof buf) buf[len++] = c;
        else over = true;
    }
};

// What the lookups need from one passwd or group line.
struct Record {
    unsigned fields = 0;     // ':'-separated fields on the line
    bool name_match = false; // field 0 is the wanted name
    bool member = false;     // one ','-separated entry of field 3 is the wanted name
    IdField id2, id3;        // passwd: uid, gid; group: gid, (member list)
    NameField name;          // field 0
};

// Reads passwd(5) or group(5) records, comparing field 0 and the entries of field 3 with name.
class DbReader {
public:
    DbReader(int fd, std::string_view name) noexcept : in_(fd), name_(name), member_(name) {}

    // 1: r holds the next record; 0: end of file; -1: read error (errno set).
    int next(Record& r) noexcept
    {
        for (;;) {
            start(r);
            bool empty = true, comment = false;
            int c;
            while ((c = get()) >= 0 && c != '\n') {
                // Like glibc: blanks before the name are ignored, '#' starts a comment.
                if (empty && (c == ' ' || c == '\t')) continue;
                if (empty) comment = c == '#';
                empty = false;
                if (!comment) put(r, static_cast<char>(c));
            }
            if (c == -2) return -1;
            if (empty && c == -1) return 0;
            if (empty || comment) continue;
            end_field(r);
            return 1;
        }
    }

private:
    // The next byte, -1 at end of file, -2 on a read error.
    int get() noexcept
    {
        if (in_.data().empty()) {
            const ssize_t n = in_.fill();
            if (n <= 0) return n < 0 ? -2 : -1;
        }
        const auto c = static_cast<unsigned char>(in_.data()[0]);
        in_.consume(1);
        return c;
    }

    void start(Record& r) noexcept
    {
        r.fields = 0;
        r.name_match = r.member = false;
        r.id2.reset();
        r.id3.reset();
        r.name.reset();
        name_.reset();
        member_.reset();
    }

    void put(Record& r, char c) noexcept
    {
        if (c == ':') {
            end_field(r);
            return;
        }
        switch (r.fields) {
        case 0:
            name_.put(c);
            r.name.put(c);
            break;
        case 2: r.id2.put(c); break;
        case 3:
            r.id3.put(c);
            if (c == ',') {
                r.member = r.member || member_.matched();
                member_.reset();
            } else {
                member_.put(c);
            }
            break;
        default: break;
        }
    }

    void end_field(Record& r) noexcept
    {
        if (r.fields == 0) r.name_match = name_.matched();
        if (r.fields == 3) r.member = r.member || member_.matched();
        ++r.fields;
    }

    BufReader<4096> in_;
    Matcher name_, member_;
};

// Opens a database file; a missing one is an empty database.
Fd open_db(const char* path, bool& missing) noexcept
{
    Fd fd = open_read(path);
    missing = !fd && errno == ENOENT;
    return fd;
}

bool add_group(GidList& out, gid_t g) noexcept
{
    const auto end = out.gids.begin() + static_cast<std::ptrdiff_t>(out.size);
    if (std::find(out.gids.begin(), end, g) != end) return true;
    if (out.size >= max_groups) {
        errno = ERANGE;
        return false;
    }
    out.gids[out.size++] = g;
    return true;
}

// Offers each record of the file at path to take(r) until it returns true (found). A missing
// file is an empty database (unknown).
template <class Take>
Lookup search_db(const char* path, std::string_view name, Take take) noexcept
{
    bool missing;
    Fd fd = open_db(path, missing);
    if (!fd) return missing ? Lookup::unknown : Lookup::error;
    DbReader db(fd.get(), name);
    Record r;
    for (;;) {
        const int n = db.next(r);
        if (n < 0) return Lookup::error;
        if (n == 0) return Lookup::unknown;
        if (take(r)) return Lookup::found;
    }
}

} // namespace

Lookup find_user_in(const char* passwd_path, std::string_view name, UserIds& out) noexcept
{
    return search_db(passwd_path, name, [&out](const Record& r) {
        UserIds ids;
        if (!r.name_match || r.fields < 4 || !r.id2.get(ids.uid) || !r.id3.get(ids.gid))
            return false;
        out = ids;
        return true;
    });
}

Lookup find_group_in(const char* group_path, std::string_view name, gid_t& out) noexcept
{
    return search_db(group_path, name, [&out](const Record& r) {
        gid_t g;
        if (!r.name_match || r.fields < 3 || !r.id2.get(g)) return false;
        out = g;
        return true;
    });
}

Lookup find_user_by_uid_in(const char* passwd_path, uid_t uid, UserIds& out) noexcept
{
    return search_db(passwd_path, {}, [&](const Record& r) {
        UserIds ids;
        if (r.fields < 4 || !r.id2.get(ids.uid) || ids.uid != uid || !r.id3.get(ids.gid))
            return false;
        out = ids;
        return true;
    });
}

Lookup find_group_name_in(const char* group_path, gid_t gid, std::span<char> name) noexcept
{
    bool too_long = false;
    const Lookup l = search_db(group_path, {}, [&](const Record& r) {
        gid_t g;
        if (r.fields < 3 || !r.id2.get(g) || g != gid || r.name.len == 0) return false;
        too_long = r.name.over || r.name.len >= name.size();
        if (!too_long) {
            std::memcpy(name.data(), r.name.buf, r.name.len);
            name[r.name.len] = 0;
        }
        return true;
    });
    if (l == Lookup::found && too_long) {
        errno = ERANGE;
        return Lookup::error;
    }
    return l;
}

bool user_groups_in(const char* group_path, std::string_view name, gid_t primary,
                    GidList& out) noexcept
{
    out.size = 0;
    bool full = false;
    const Lookup l = search_db(group_path, name, [&](const Record& r) {
        gid_t g;
        if (!r.member || !r.id2.get(g) || g == primary) return false;
        full = !add_group(out, g);
        return full; // stop at the first group that does not fit
    });
    if (full) return false;
    return l != Lookup::error;
}

} // namespace keel
