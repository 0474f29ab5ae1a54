#include "models/slotpalette.h"

#include <array>

namespace cs::ui {

namespace {

QColor cycle(const auto& colors, int index)
{
    const int n = int(colors.size());
    return QColor::fromRgb(colors[std::size_t(((index % n) + n) % n)]);
}

} // namespace

QColor slotColor(int slot)
{
    // Ordered so that the first few slots (the common cluster sizes) differ the most.
    static constexpr std::array<QRgb, kSlotColorCount> kColors {
        0x4e79a7, // blue
        0xc52576, // raspberry
        0x2ca6a4, // teal
        0x9a6b4b, // brown
        0xa5c535, // lime
        0xb07aa1, // mauve
        0x6cb8e6, // sky
        0xff9da7, // pink
        0x5b4fc7, // indigo
        0xb4b1fd, // lavender
    };
    return cycle(kColors, slot <= 0 ? 0 : slot - 1);
}

QColor coreColor(int core)
{
    // Muted tones: lines of the machine, not of a worker.
    static constexpr std::array<QRgb, kCoreColorCount> kColors {
        0x638a71, // sage
        0xb5a77f, // khaki
        0x67637a, // grey violet
        0xa7adb0, // light grey
        0x4d6660, // dark teal grey
        0x7d7a72, // warm grey
    };
    return cycle(kColors, core);
}

QColor latencyColor(Percentile percentile)
{
    return QColor::fromRgb(percentile == Percentile::P50 ? 0x6e6a66 : 0xe8602c);
}

QColor eventColor(EventTimelineModel::Category category)
{
    using Category = EventTimelineModel::Category;
    switch (category) {
    case Category::Crash: return toneColor(Tone::Error);
    case Category::ExitCode: return toneColor(Tone::Warning);
    case Category::KilledByUser: return toneColor(Tone::Muted); // the user's doing, not a fault
    case Category::Timeout: return QColor::fromRgb(0xc9a227);
    case Category::Respawn: return toneColor(Tone::Ok);
    case Category::Failed: return QColor::fromRgb(0x8b0000);
    case Category::SpawnFailed: return QColor::fromRgb(0x5c5c5c);
    case Category::Reset: return QColor::fromRgb(0x1f6f4a); // darker than a respawn: the user brought it back
    }
    return toneColor(Tone::Muted);
}

QColor shareColor(Share share)
{
    return QColor::fromRgb(share == Share::Requests ? 0x625d57 : 0xb3ab9c);
}

QColor toneColor(Tone tone)
{
    switch (tone) {
    case Tone::Ok:
        return QColor(0x3f, 0xa3, 0x4d);
    case Tone::Warning:
        return QColor(0xe0, 0x8a, 0x1e);
    case Tone::Error:
        return QColor(0xe0, 0x45, 0x45);
    case Tone::Muted:
        break;
    }
    return QColor(0x8a, 0x8a, 0x8a);
}

} // namespace cs::ui
