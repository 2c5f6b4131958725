// rm -rf for a tree this program made (a half-written directory to clean up after a failure).
#pragma once

namespace keel {

/// Removes path and everything below it, without following symbolic links. True if it is
/// gone (a missing path counts), false with errno from the first removal that failed.
[[nodiscard]] bool remove_tree(const char* path) noexcept;

} // namespace keel
