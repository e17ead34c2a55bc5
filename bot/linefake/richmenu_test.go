package linefake

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func menuRequest(w, h int64, bar string) *messaging_api.RichMenuRequest {
	return &messaging_api.RichMenuRequest{
		Size: &messaging_api.RichMenuSize{Width: w, Height: h}, Name: "m", ChatBarText: bar,
		Areas: []messaging_api.RichMenuArea{{
			Bounds: &messaging_api.RichMenuBounds{Width: w, Height: h},
			Action: &messaging_api.PostbackAction{Label: "ヘルプ", Data: "g=help", DisplayText: "ヘルプ"},
		}},
	}
}

// TestRichMenuRules: the fake refuses, as LINE does, menus outside LINE's
// limits, images that do not fit their menu, and a default without an image.
func TestRichMenuRules(t *testing.T) {
	tests := []struct {
		name   string
		req    *messaging_api.RichMenuRequest
		img    []byte
		reason string // "" accepted
	}{
		{"compact menu", menuRequest(2500, 843, "メニュー"), pngOf(t, 2500, 843), ""},
		{"too narrow", menuRequest(700, 250, "メニュー"), nil, "size.width"},
		{"too tall", menuRequest(1000, 800, "メニュー"), nil, "aspect ratio"},
		{"chat bar of 15", menuRequest(2500, 843, strings.Repeat("あ", 15)), nil, "chatBarText"},
		{"image of another size", menuRequest(2500, 843, "メニュー"), pngOf(t, 2500, 1686), "must match the rich menu size"},
		{"no image", menuRequest(2500, 843, "メニュー"), []byte{}, "upload richmenu image before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New()
			defer srv.Close()
			api := newAPI(t, srv)
			blob, err := messaging_api.NewMessagingApiBlobAPI(srv.Token(), messaging_api.WithBlobEndpoint(srv.URL()))
			if err != nil {
				t.Fatal(err)
			}
			err = func() error {
				created, err := api.CreateRichMenu(tt.req)
				if err != nil {
					return err
				}
				if len(tt.img) > 0 {
					if _, err := blob.SetRichMenuImage(created.RichMenuId, "image/png", bytes.NewReader(tt.img)); err != nil {
						return err
					}
				}
				_, err = api.SetDefaultRichMenu(created.RichMenuId)
				return err
			}()
			if tt.reason == "" {
				if err != nil || srv.DefaultRichMenu() == "" {
					t.Fatalf("refused: %v", err)
				}
				list, err := api.GetRichMenuList()
				if err != nil || len(list.Richmenus) != 1 {
					t.Fatalf("list: %v %+v", err, list)
				}
				if _, err := api.DeleteRichMenu(list.Richmenus[0].RichMenuId); err != nil || len(srv.RichMenus()) != 0 || srv.DefaultRichMenu() != "" {
					t.Fatalf("delete: %v; left %d menus, default %q", err, len(srv.RichMenus()), srv.DefaultRichMenu())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want a refusal naming %q", err, tt.reason)
			}
			if srv.DefaultRichMenu() != "" {
				t.Error("a refused menu became the default")
			}
		})
	}
}
