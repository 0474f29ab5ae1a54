#include "metrics/fairness.h"

#include <algorithm>

namespace cs {

std::optional<double> jainIndex(std::span<const double> shares, std::size_t workerCount) noexcept
{
    double sum = 0.0;
    double sumSquares = 0.0;
    for (double x : shares) {
        sum += x;
        sumSquares += x * x;
    }
    // The workers missing from `shares` add 0 to both sums, but 1 each to n.
    const std::size_t n = std::max(workerCount, shares.size());
    if (n == 0 || sumSquares <= 0.0)
        return std::nullopt;
    return (sum * sum) / (static_cast<double>(n) * sumSquares);
}

} // namespace cs
