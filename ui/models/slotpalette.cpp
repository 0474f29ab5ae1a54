#include "models/slotpalette.h"

#include <array>

namespace cs::ui {

QColor slotColor(int slot)
{
    // Tableau-like qualitative palette: distinct hues of similar weight, none too light for a
    // white background nor too dark for a black one.
    static constexpr std::array<QRgb, 12> kColors {
        0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0xb07aa1, 0x76b7b2,
        0xedc948, 0xff9da7, 0x9c755f, 0x8cd17d, 0xbab0ac, 0x499894,
    };
    const int index = slot <= 0 ? 0 : (slot - 1) % int(kColors.size());
    return QColor::fromRgb(kColors[std::size_t(index)]);
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
