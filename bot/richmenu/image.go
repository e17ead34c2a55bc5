// Package richmenu draws the rich menu's image from its definition
// (flows/content/richmenu.yaml) and applies both to a LINE channel.
package richmenu

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"github.com/fraudnavi/fraudnavi/flows"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// DefaultFont is a Japanese font from Debian's fonts-ipafont-gothic package.
const DefaultFont = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"

// MaxImageBytes is LINE's limit on a rich menu image.
const MaxImageBytes = 1 << 20

// Colours: dark text on light tiles, a strong border between them, so the
// labels read well on a small, dim phone screen.
var (
	tileColours  = []color.RGBA{{0xe8, 0xf3, 0xff, 0xff}, {0xff, 0xf6, 0xe0, 0xff}}
	borderColour = color.RGBA{0x1f, 0x4e, 0x79, 0xff}
	textColour   = color.RGBA{0x10, 0x10, 0x10, 0xff}
)

const borderPx = 8

// Image draws the menu as a PNG: one tile per area, its label centred, in
// the font fontData (an OpenType or TrueType file). The same definition and
// font always give the same bytes.
func Image(m *flows.RichMenu, fontData []byte) ([]byte, error) {
	f, err := opentype.Parse(fontData)
	if err != nil {
		return nil, fmt.Errorf("rich menu font: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, m.Width, m.Height))
	draw.Draw(img, img.Bounds(), &image.Uniform{borderColour}, image.Point{}, draw.Src)
	for i, a := range m.Areas {
		r := m.Bounds(i)
		tile := image.Rect(r.X+borderPx/2, r.Y+borderPx/2, r.X+r.Width-borderPx/2, r.Y+r.Height-borderPx/2)
		draw.Draw(img, tile, &image.Uniform{tileColours[(i/m.Columns+i%m.Columns)%2]}, image.Point{}, draw.Src)
		if err := drawLabel(img, f, tile, a.Label); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode rich menu image: %w", err)
	}
	if b.Len() > MaxImageBytes {
		return nil, fmt.Errorf("rich menu image is %d bytes; LINE allows %d", b.Len(), MaxImageBytes)
	}
	return b.Bytes(), nil
}

// drawLabel writes label centred in tile, as large as fits: at most a third
// of the tile's height, within 90% of its width.
func drawLabel(dst draw.Image, f *opentype.Font, tile image.Rectangle, label string) error {
	size := float64(tile.Dy()) / 3
	for {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return fmt.Errorf("rich menu font face: %w", err)
		}
		d := &font.Drawer{Dst: dst, Src: &image.Uniform{textColour}, Face: face}
		w := d.MeasureString(label).Ceil()
		if w > tile.Dx()*9/10 && size > 12 {
			face.Close()
			size *= 0.9
			continue
		}
		m := face.Metrics()
		textH := (m.Ascent + m.Descent).Ceil()
		d.Dot = fixed.P(tile.Min.X+(tile.Dx()-w)/2, tile.Min.Y+(tile.Dy()-textH)/2+m.Ascent.Ceil())
		d.DrawString(label)
		return face.Close()
	}
}
