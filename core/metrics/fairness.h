#pragma once

#include <cstddef>
#include <optional>
#include <span>

namespace cs {

/// Jain's fairness index of how `workerCount` workers shared some work:
/// (sum x)^2 / (n * sum x^2). `shares` holds the counts of the workers that are known to
/// have any (or of every worker, zeros included); the workers beyond them got nothing and
/// count as 0, so n is workerCount (or shares.size() when that is larger). 1.0 when every
/// worker got the same, 1/n when one took everything. Empty when there is nothing to judge
/// yet: no work done, or no workers.
std::optional<double> jainIndex(std::span<const double> shares, std::size_t workerCount) noexcept;

} // namespace cs
