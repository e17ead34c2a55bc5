package line

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// RichMenuRequest is the menu as LINE's CreateRichMenu takes it. Its name carries a
// hash of the request and the image, so that apply recognises a menu it
// made before and tells a changed design from the one in use.
func RichMenuRequest(m *flows.RichMenu, img []byte) *messaging_api.RichMenuRequest {
	req := &messaging_api.RichMenuRequest{
		Size:        &messaging_api.RichMenuSize{Width: int64(m.Width), Height: int64(m.Height)},
		Selected:    true, // open when the chat opens: the victim sees it at once
		ChatBarText: m.ChatBar,
	}
	for i, a := range m.Areas {
		r := m.Bounds(i)
		req.Areas = append(req.Areas, messaging_api.RichMenuArea{
			Bounds: &messaging_api.RichMenuBounds{X: int64(r.X), Y: int64(r.Y), Width: int64(r.Width), Height: int64(r.Height)},
			Action: &messaging_api.PostbackAction{Label: a.Label, Data: m.Data(i), DisplayText: a.Label},
		})
	}
	def, _ := json.Marshal(req) // SDK types always encode
	sum := sha256.New()
	sum.Write(def)
	sum.Write(img)
	req.Name = m.Name + "-" + hex.EncodeToString(sum.Sum(nil))[:16]
	return req
}

// RichMenuResult says what ApplyRichMenu did.
type RichMenuResult struct {
	ID      string   // the default rich menu now
	Created bool     // false: the same design was already there
	Deleted []string // older designs removed
}

// ApplyRichMenu makes the menu the channel's default, with the channel's
// access token, through the API at endpoint and the blob API (images) at
// blobEndpoint: it creates the menu and uploads its image unless a menu of
// the same name (same design) exists, sets it as the default, and deletes
// the menus of older designs (same name prefix). Run twice, it leaves one
// menu.
func ApplyRichMenu(token, endpoint, blobEndpoint string, hc *http.Client, m *flows.RichMenu, img []byte) (RichMenuResult, error) {
	api, err := messaging_api.NewMessagingApiAPI(token, messaging_api.WithEndpoint(endpoint), messaging_api.WithHTTPClient(hc))
	if err != nil {
		return RichMenuResult{}, err
	}
	blob, err := messaging_api.NewMessagingApiBlobAPI(token, messaging_api.WithBlobEndpoint(blobEndpoint), messaging_api.WithBlobHTTPClient(hc))
	if err != nil {
		return RichMenuResult{}, err
	}
	req := RichMenuRequest(m, img)
	list, err := api.GetRichMenuList()
	if err != nil {
		return RichMenuResult{}, fmt.Errorf("list rich menus: %w", err)
	}
	var res RichMenuResult
	var old []string
	for _, rm := range list.Richmenus {
		switch {
		case rm.Name == req.Name && res.ID == "":
			res.ID = rm.RichMenuId
		case strings.HasPrefix(rm.Name, m.Name+"-"):
			old = append(old, rm.RichMenuId)
		}
	}
	if res.ID == "" {
		created, err := api.CreateRichMenu(req)
		if err != nil {
			return RichMenuResult{}, fmt.Errorf("create rich menu: %w", err)
		}
		if _, err := blob.SetRichMenuImage(created.RichMenuId, imageType(img), bytes.NewReader(img)); err != nil {
			// A menu without its image is useless, and a later run would
			// take it for the finished one: remove it.
			_, _ = api.DeleteRichMenu(created.RichMenuId)
			return RichMenuResult{}, fmt.Errorf("upload rich menu image: %w", err)
		}
		res.ID, res.Created = created.RichMenuId, true
	}
	if _, err := api.SetDefaultRichMenu(res.ID); err != nil {
		return res, fmt.Errorf("set default rich menu: %w", err)
	}
	for _, id := range old {
		if _, err := api.DeleteRichMenu(id); err != nil {
			return res, fmt.Errorf("delete old rich menu: %w", err)
		}
		res.Deleted = append(res.Deleted, id)
	}
	return res, nil
}

func imageType(img []byte) string {
	if bytes.HasPrefix(img, []byte("\x89PNG")) {
		return "image/png"
	}
	return "image/jpeg"
}
