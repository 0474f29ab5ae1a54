#pragma once

#include <span>

namespace cs {

/// Jain's fairness index of a set of shares: (sum x)^2 / (n * sum x^2).
/// 1.0 when every share is equal, 1/n when one takes everything; 1.0 for an empty set or
/// all zeros (nothing to be unfair about).
double jainIndex(std::span<const double> shares) noexcept;

} // namespace cs
