// A byte queue in one heap block, for writers that must never lose data (svlog): bytes are
// appended at the back, written out from the front, compacted in place, and the block grows
// only when the caller asks. Nothing is allocated except by init() and grow(). Nothing here
// prints or exits.
#pragma once

#include <cstddef>
#include <string_view>

namespace keel {

class GrowBuf {
public:
    GrowBuf() noexcept = default;
    GrowBuf(const GrowBuf&) = delete;
    GrowBuf& operator=(const GrowBuf&) = delete;
    ~GrowBuf();

    /// Allocates cap bytes (cap > 0) for an empty queue; an earlier block is freed. False with
    /// errno ENOMEM, the queue then empty with no block.
    [[nodiscard]] bool init(std::size_t cap) noexcept;

    /// The queued bytes, oldest first.
    [[nodiscard]] std::string_view data() const noexcept
    {
        return {buf_ + start_, end_ - start_};
    }
    [[nodiscard]] std::size_t size() const noexcept { return end_ - start_; }
    [[nodiscard]] bool empty() const noexcept { return end_ == start_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
    /// Bytes that can still be appended without growing (compaction included).
    [[nodiscard]] std::size_t room() const noexcept { return cap_ - size(); }

    /// n contiguous writable bytes at the back, compacting the queue if needed; fill them, then
    /// commit() what was used. nullptr if n > room() (the queue is then unchanged).
    [[nodiscard]] char* reserve(std::size_t n) noexcept
    {
        return cap_ - end_ >= n ? buf_ + end_ : reserve_slow(n);
    }
    /// Appends the n bytes written at the pointer reserve() returned (n <= what was reserved).
    void commit(std::size_t n) noexcept { end_ += n; }

    /// Enlarges the block so that room() >= n, at least doubling it. False with errno ENOMEM,
    /// the queue then unchanged.
    [[nodiscard]] bool grow(std::size_t n) noexcept;

    /// Drops the n oldest bytes (all of them if n > size()).
    void consume(std::size_t n) noexcept;

    /// Empties the queue, keeping the block.
    void clear() noexcept { start_ = end_ = 0; }

private:
    char* reserve_slow(std::size_t n) noexcept;

    char* buf_ = nullptr;
    std::size_t cap_ = 0;
    std::size_t start_ = 0, end_ = 0;
};

} // namespace keel
