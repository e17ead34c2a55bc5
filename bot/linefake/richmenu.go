package linefake

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // rich menu images may be JPEG
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Paths of the rich-menu endpoints (messaging-api.yml). PathRichMenuImage
// is served at the blob endpoint (api-data.line.me); the fake serves both.
const (
	PathRichMenu        = "/v2/bot/richmenu"          // POST create; /{id} DELETE
	PathRichMenuList    = "/v2/bot/richmenu/list"     // GET
	PathDefaultRichMenu = "/v2/bot/user/all/richmenu" // GET the default; /{id} POST sets it
	pathRichMenuContent = "/content"                  // /v2/bot/richmenu/{id}/content POST uploads the image
	maxRichMenuImage    = 1 << 20                     // LINE: 1 MB
	maxRichMenus        = 1000                        // LINE: per channel
)

// RichMenu is a rich menu the fake holds, as created.
type RichMenu struct {
	ID          string         `json:"richMenuId"`
	Size        RichMenuSize   `json:"size"`
	Selected    bool           `json:"selected"`
	Name        string         `json:"name"`
	ChatBarText string         `json:"chatBarText"`
	Areas       []RichMenuArea `json:"areas"`
	Image       []byte         `json:"-"` // nil until uploaded
	ImageType   string         `json:"-"`
}

// RichMenuSize is the menu's image size in pixels.
type RichMenuSize struct {
	Width  int64 `json:"width"`
	Height int64 `json:"height"`
}

// RichMenuArea is a tappable area and its action.
type RichMenuArea struct {
	Bounds struct {
		X      int64 `json:"x"`
		Y      int64 `json:"y"`
		Width  int64 `json:"width"`
		Height int64 `json:"height"`
	} `json:"bounds"`
	Action Action `json:"action"`
}

type richMenuRequest struct {
	Size        *RichMenuSize  `json:"size"`
	Selected    bool           `json:"selected"`
	Name        string         `json:"name"`
	ChatBarText string         `json:"chatBarText"`
	Areas       []RichMenuArea `json:"areas"`
}

// RichMenus returns the rich menus the fake holds, in creation order.
func (s *Server) RichMenus() []RichMenu {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RichMenu, 0, len(s.richMenuOrder))
	for _, id := range s.richMenuOrder {
		m := *s.richMenus[id]
		m.Image = slices.Clone(m.Image)
		m.Areas = slices.Clone(m.Areas)
		out = append(out, m)
	}
	return out
}

// DefaultRichMenu returns the id of the default rich menu, "" when none.
func (s *Server) DefaultRichMenu() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defaultRichMenu
}

// serveRichMenu serves the rich-menu endpoints; ok is false when the path is
// not one of them.
func (s *Server) serveRichMenu(c *call) (ok bool) {
	p, m := c.r.URL.Path, c.r.Method
	id, rest, _ := strings.Cut(strings.TrimPrefix(p, PathRichMenu+"/"), "/")
	switch {
	case p == PathRichMenu && m == http.MethodPost:
		s.createRichMenu(c)
	case p == PathRichMenuList && m == http.MethodGet:
		s.mu.Lock()
		list := make([]*RichMenu, 0, len(s.richMenuOrder))
		for _, id := range s.richMenuOrder {
			list = append(list, s.richMenus[id])
		}
		s.mu.Unlock()
		c.respond(http.StatusOK, struct {
			Richmenus []*RichMenu `json:"richmenus"`
		}{list})
	case p == PathDefaultRichMenu && m == http.MethodGet:
		s.mu.Lock()
		def := s.defaultRichMenu
		s.mu.Unlock()
		if def == "" {
			c.reject(http.StatusNotFound, "no default richmenu")
			return true
		}
		c.respond(http.StatusOK, struct {
			ID string `json:"richMenuId"`
		}{def})
	case strings.HasPrefix(p, PathDefaultRichMenu+"/") && m == http.MethodPost:
		s.setDefaultRichMenu(c, strings.TrimPrefix(p, PathDefaultRichMenu+"/"))
	case strings.HasPrefix(p, PathRichMenu+"/") && rest == "" && m == http.MethodDelete:
		s.mu.Lock()
		_, found := s.richMenus[id]
		if found {
			delete(s.richMenus, id)
			s.richMenuOrder = slices.DeleteFunc(s.richMenuOrder, func(x string) bool { return x == id })
			if s.defaultRichMenu == id {
				s.defaultRichMenu = ""
			}
		}
		s.mu.Unlock()
		if !found {
			c.reject(http.StatusNotFound, "richmenu not found")
			return true
		}
		c.respond(http.StatusOK, struct{}{})
	case strings.HasPrefix(p, PathRichMenu+"/") && "/"+rest == pathRichMenuContent && m == http.MethodPost:
		s.uploadRichMenuImage(c, id)
	default:
		return false
	}
	return true
}

func (s *Server) createRichMenu(c *call) {
	if mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		c.reject(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	if err != nil {
		c.reject(http.StatusBadRequest, "The request body could not be read")
		return
	}
	c.body = body
	var req richMenuRequest
	if !c.decode(&req, func(d *details) { validateRichMenu(req, d) }) {
		return
	}
	s.mu.Lock()
	if len(s.richMenus) >= maxRichMenus {
		s.mu.Unlock()
		c.reject(http.StatusBadRequest, "The maximum number of rich menus has been reached")
		return
	}
	id := "richmenu-" + randomHex(16)
	s.richMenus[id] = &RichMenu{ID: id, Size: *req.Size, Selected: req.Selected, Name: req.Name, ChatBarText: req.ChatBarText, Areas: req.Areas}
	s.richMenuOrder = append(s.richMenuOrder, id)
	s.mu.Unlock()
	c.respond(http.StatusOK, struct {
		ID string `json:"richMenuId"`
	}{id})
}

// validateRichMenu checks LINE's rules for a rich menu object.
func validateRichMenu(req richMenuRequest, d *details) {
	if req.Size == nil {
		d.add("size", "Must be specified")
		return
	}
	w, h := req.Size.Width, req.Size.Height
	switch {
	case w < 800 || w > 2500:
		d.add("size.width", "Must be between 800 and 2500")
	case h < 250:
		d.add("size.height", "Must be at least 250")
	case float64(w)/float64(h) < 1.45:
		d.add("size", "The aspect ratio (width / height) must be at least 1.45")
	}
	if n := utf8.RuneCountInString(req.Name); n == 0 || n > 300 {
		d.add("name", "Length must be between 1 and 300")
	}
	if n := utf8.RuneCountInString(req.ChatBarText); n == 0 || n > 14 {
		d.add("chatBarText", "Length must be between 1 and 14")
	}
	if n := len(req.Areas); n == 0 || n > 20 {
		d.add("areas", "Size must be between 1 and 20")
	}
	for i, a := range req.Areas {
		b := a.Bounds
		if b.X < 0 || b.Y < 0 || b.Width <= 0 || b.Height <= 0 || b.X+b.Width > w || b.Y+b.Height > h {
			d.add(fmt.Sprintf("areas[%d].bounds", i), "Must be within the rich menu")
		}
		switch a.Action.Type {
		case "postback":
			if n := len(a.Action.Data); n == 0 || n > 300 {
				d.add(fmt.Sprintf("areas[%d].action.data", i), "Length must be between 1 and 300")
			}
		case "message", "uri", "datetimepicker", "clipboard":
		default:
			d.add(fmt.Sprintf("areas[%d].action.type", i), "Must be one of the action types")
		}
	}
}

func (s *Server) uploadRichMenuImage(c *call, id string) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "image/png" && mt != "image/jpeg" {
		c.reject(http.StatusUnsupportedMediaType, "Content-Type must be image/jpeg or image/png")
		return
	}
	img, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxRichMenuImage))
	if err != nil {
		c.reject(http.StatusRequestEntityTooLarge, "The image must be 1 MB or less")
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil || "image/"+format != mt {
		c.reject(http.StatusBadRequest, "The image could not be read as "+mt)
		return
	}
	s.mu.Lock()
	m := s.richMenus[id]
	refusal := ""
	switch {
	case m == nil:
		s.mu.Unlock()
		c.reject(http.StatusNotFound, "richmenu not found")
		return
	case m.Image != nil:
		refusal = "An image has already been uploaded to the richmenu"
	case int64(cfg.Width) != m.Size.Width || int64(cfg.Height) != m.Size.Height:
		refusal = "The image size must match the rich menu size"
	default:
		m.Image, m.ImageType = img, mt
	}
	s.mu.Unlock()
	if refusal != "" {
		c.reject(http.StatusBadRequest, refusal)
		return
	}
	c.respond(http.StatusOK, struct{}{})
}

func (s *Server) setDefaultRichMenu(c *call, id string) {
	s.mu.Lock()
	m := s.richMenus[id]
	hasImage := m != nil && m.Image != nil
	if hasImage {
		s.defaultRichMenu = id
	}
	s.mu.Unlock()
	switch {
	case m == nil:
		c.reject(http.StatusNotFound, "richmenu not found")
	case !hasImage:
		c.reject(http.StatusBadRequest, "must upload richmenu image before applying it to user")
	default:
		c.respond(http.StatusOK, struct{}{})
	}
}
