#include "metrics/fairness.h"

namespace cs {

double jainIndex(std::span<const double> shares) noexcept
{
    double sum = 0.0;
    double sumSquares = 0.0;
    for (double x : shares) {
        sum += x;
        sumSquares += x * x;
    }
    if (shares.empty() || sumSquares <= 0.0)
        return 1.0;
    return (sum * sum) / (static_cast<double>(shares.size()) * sumSquares);
}

} // namespace cs
