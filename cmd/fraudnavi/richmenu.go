package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/richmenu"
	"github.com/fraudnavi/fraudnavi/flows"
)

// richMenuImageFile is where the image is kept, beside its definition.
const richMenuImageFile = "richmenu.png"

// defaultBlobEndpoint serves LINE's uploads (the rich menu image).
const defaultBlobEndpoint = "https://api-data.line.me"

// runRichMenu draws the rich menu's image (image) or makes the menu the
// channel's default (apply).
func runRichMenu(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	fsys := flowFiles("", getenv)
	g, err := flows.Load(fsys)
	if err != nil {
		return fmt.Errorf("load flows: %w", err)
	}
	if g.RichMenu == nil {
		return errors.New("richmenu: the flow files have no richmenu.yaml")
	}
	switch args[0] {
	case "image":
		return drawRichMenu(g.RichMenu, getenv, stdout)
	case "apply":
		return applyRichMenu(g.RichMenu, fsys, getenv, stdout)
	}
	fmt.Fprint(stderr, usage)
	return errUsage
}

// drawRichMenu writes the image into the flow files' directory (FLOWS_DIR, or
// flows/content when run from the repository), in the font RICHMENU_FONT
// (Debian's fonts-ipafont-gothic by default).
func drawRichMenu(m *flows.RichMenu, getenv func(string) string, stdout io.Writer) error {
	fontFile := cmp.Or(getenv("RICHMENU_FONT"), richmenu.DefaultFont)
	font, err := os.ReadFile(fontFile)
	if err != nil {
		return fmt.Errorf("richmenu image: font (apt-get install fonts-ipafont-gothic, or set RICHMENU_FONT): %w", err)
	}
	img, err := richmenu.Image(m, font)
	if err != nil {
		return err
	}
	out := cmp.Or(getenv("FLOWS_DIR"), "flows/content") + "/" + richMenuImageFile
	if err := os.WriteFile(out, img, 0o644); err != nil {
		return fmt.Errorf("richmenu image: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d×%d, %d bytes)\n", out, m.Width, m.Height, len(img))
	return nil
}

// applyRichMenu makes the menu and its image the channel's default, with the
// channel's access token; run twice, it leaves one menu.
func applyRichMenu(m *flows.RichMenu, fsys fs.FS, getenv func(string) string, stdout io.Writer) error {
	img, err := fs.ReadFile(fsys, richMenuImageFile)
	if err != nil {
		return fmt.Errorf("richmenu apply: the image (make it with `fraudnavi richmenu image`): %w", err)
	}
	token := getenv("LINE_CHANNEL_ACCESS_TOKEN")
	if token == "" {
		return errors.New("richmenu apply: LINE_CHANNEL_ACCESS_TOKEN is not set")
	}
	endpoint := cmp.Or(getenv("LINE_API_ENDPOINT"), line.DefaultEndpoint)
	// The blob API has its own host; a test's or proxy's single endpoint serves both.
	blobEndpoint := cmp.Or(getenv("LINE_API_DATA_ENDPOINT"), getenv("LINE_API_ENDPOINT"), defaultBlobEndpoint)
	hc := &http.Client{Timeout: 30 * time.Second}
	res, err := line.ApplyRichMenu(token, endpoint, blobEndpoint, hc, m, img)
	if err != nil {
		return fmt.Errorf("richmenu apply: %w", err)
	}
	what := "already in place"
	if res.Created {
		what = "created"
	}
	fmt.Fprintf(stdout, "rich menu %s %s and set as default; %d older design(s) deleted\n", res.ID, what, len(res.Deleted))
	return nil
}
