package richmenu

import (
	"bytes"
	"image/png"
	"os"
	"testing"

	"github.com/fraudnavi/fraudnavi/flows"
)

// TestShippedImageIsCurrent: the image in the repository is what
// `fraudnavi richmenu image` draws from today's richmenu.yaml, within LINE's
// limits. It needs the Debian font the command uses.
func TestShippedImageIsCurrent(t *testing.T) {
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile("../../flows/content/richmenu.png")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shipped))
	if err != nil {
		t.Fatalf("the shipped image is no PNG: %v", err)
	}
	if cfg.Width != g.RichMenu.Width || cfg.Height != g.RichMenu.Height || len(shipped) > MaxImageBytes {
		t.Fatalf("the shipped image is %d×%d, %d bytes; richmenu.yaml says %d×%d, LINE allows %d bytes",
			cfg.Width, cfg.Height, len(shipped), g.RichMenu.Width, g.RichMenu.Height, MaxImageBytes)
	}
	font, err := os.ReadFile(DefaultFont)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the font (apt-get install fonts-ipafont-gothic): %v", err)
		}
		t.Skipf("font %s not installed (apt-get install fonts-ipafont-gothic): %v", DefaultFont, err)
	}
	drawn, err := Image(g.RichMenu, font)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(drawn, shipped) {
		t.Error("flows/content/richmenu.png is out of date: run `go run ./cmd/fraudnavi richmenu image`")
	}
}
