"""Draws the site's share image and favicon.ico from the favicon's mark (a red disc with a white
centre), so they need no design tool: `python -m directory.share_image` rewrites both files in
static/. They carry no words, so they suit every language and site name."""

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "static"
BRAND, BRAND_DARK, ACCENT, WHITE = "#2f4ac0", "#22368f", "#b3261e", "#ffffff"


def mark(size, scale=4):
    """The favicon's mark, drawn large and scaled down for smooth edges."""
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    pad = big * 3 // 32
    draw.ellipse([pad, pad, big - pad, big - pad], fill=ACCENT)
    inner = big * 11 // 32
    draw.ellipse([inner, inner, big - inner, big - inner], fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def share_image(width=1200, height=630):
    """A map-like field of the brand colour with the mark at its centre, and nearby groups."""
    image = Image.new("RGB", (width, height), BRAND)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 60):
        draw.line([(x, 0), (x, height)], fill=BRAND_DARK, width=2)
    for y in range(0, height, 60):
        draw.line([(0, y), (width, y)], fill=BRAND_DARK, width=2)
    for x, y, r in [(250, 170, 34), (930, 140, 28), (1010, 460, 38), (190, 470, 26)]:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=WHITE)
        draw.ellipse([x - r // 3, y - r // 3, x + r // 3, y + r // 3], fill=BRAND)
    big = mark(300)
    image.paste(big, ((width - 300) // 2, (height - 300) // 2), big)
    return image


def main():
    share_image().save(STATIC / "share.png", optimize=True)
    mark(48).save(STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
