// Package preview serves a local web page that shows the conversation as
// LINE shows it, for content editors: the engine answers as it does behind
// the webhook, bot/line renders the very message JSON the webhook would
// send, and a small embedded page draws that JSON as speech bubbles, Flex
// bubbles, quick-reply chips and the rich menu. The state is kept in memory
// like the terminal chat's; nothing is stored and nothing is sent to LINE.
package preview

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/terminal"
	"github.com/fraudnavi/fraudnavi/flows"
)

//go:embed static
var static embed.FS

// clockLayout is how the page's clock control and LINE's date-time picker
// write a time: Japan time without a zone, as `chat --now` takes it.
const clockLayout = "2006-01-02T15:04"

// Server is one preview conversation.
type Server struct {
	Engine *flows.Engine
	// Clock is the time shown when the page opens; the page's clock
	// control then fixes the time each event runs at.
	Clock flows.Clock
	// RichMenu and RichMenuImage are drawn under the chat; nil: none.
	RichMenu      *flows.RichMenu
	RichMenuImage []byte

	mu      sync.Mutex
	session terminal.Session
	quotes  int // quote tokens handed out, so a warning can quote its message
}

// Handler serves the page, its assets and its API. Requests naming a host
// other than a loopback one are refused: a web page elsewhere cannot reach
// the preview through a DNS name rebound to 127.0.0.1.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	assets, _ := fs.Sub(static, "static") // a constant path that go:embed checked
	mux.Handle("GET /", http.FileServerFS(assets))
	mux.HandleFunc("GET /api/config", s.config)
	mux.HandleFunc("GET /richmenu.png", s.richMenuImage)
	mux.HandleFunc("POST /api/event", s.event)
	return loopbackOnly(mux)
}

// config tells the page the clock's starting time and the rich menu as
// LINE's CreateRichMenu receives it.
func (s *Server) config(w http.ResponseWriter, _ *http.Request) {
	cfg := struct {
		Now      string `json:"now"`
		RichMenu any    `json:"richMenu,omitempty"`
	}{Now: s.Clock().In(flows.Tokyo).Format(clockLayout)}
	if s.RichMenu != nil && len(s.RichMenuImage) > 0 {
		cfg.RichMenu = line.RichMenuRequest(s.RichMenu, s.RichMenuImage)
	}
	writeJSON(w, cfg)
}

func (s *Server) richMenuImage(w http.ResponseWriter, _ *http.Request) {
	if len(s.RichMenuImage) == 0 {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(s.RichMenuImage))
	_, _ = w.Write(s.RichMenuImage)
}

// Event is what the page sends: an event of the kinds the webhook turns
// into the engine's inputs, and the clock's time.
type Event struct {
	// Type is "follow", "message" (Text) or "postback" (Data, and Datetime
	// from a date-time picker); "restart" forgets the conversation and
	// follows again.
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Data     string `json:"data,omitempty"`
	Datetime string `json:"datetime,omitempty"`
	// Now is the clock control's time (2026-11-24T23:30, Japan time).
	Now string `json:"now"`
}

// Answer is the bot's reply to an event: the messages as the webhook's
// reply request carries them.
type Answer struct {
	Messages json.RawMessage `json:"messages"`
	// QuoteToken is the one LINE would give the user's text message.
	QuoteToken string     `json:"quoteToken,omitempty"`
	Reminders  []Reminder `json:"reminders,omitempty"`
}

// Reminder is a reminder the reply scheduled or cancelled.
type Reminder struct {
	Op  string `json:"op"` // "schedule" or "cancel"
	Due string `json:"due"`
}

var errBadEvent = errors.New("bad event")

func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	var ev Event
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&ev); err != nil {
		http.Error(w, "bad event: "+err.Error(), http.StatusBadRequest)
		return
	}
	ans, err := s.apply(ev)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, ans)
}

// apply runs the event through the engine at the clock's time and renders
// the reply as the webhook would.
func (s *Server) apply(ev Event) (Answer, error) {
	now, err := time.ParseInLocation(clockLayout, ev.Now, flows.Tokyo)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: now %q: want 2026-11-24T23:30", errBadEvent, ev.Now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ans Answer
	in := flows.Input{Kind: flows.InputFollow}
	switch ev.Type {
	case "restart":
		s.session.Reset()
	case "follow":
	case "message":
		s.quotes++
		ans.QuoteToken = "preview-quote-" + strconv.Itoa(s.quotes)
		in = flows.Input{Kind: flows.InputText, Text: ev.Text, QuoteToken: ans.QuoteToken}
	case "postback":
		in = flows.Input{Kind: flows.InputPostback, Data: ev.Data}
		if ev.Datetime != "" {
			if in.Time, err = time.ParseInLocation(clockLayout, ev.Datetime, flows.Tokyo); err != nil {
				return Answer{}, fmt.Errorf("%w: datetime %q", errBadEvent, ev.Datetime)
			}
		}
	default:
		return Answer{}, fmt.Errorf("%w: type %q", errBadEvent, ev.Type)
	}
	res := s.session.Next(s.Engine, in, now)
	if ans.Messages, err = line.MessagesJSON(res.Reply); err != nil {
		return Answer{}, err
	}
	for _, rc := range res.Reminders {
		op := "schedule"
		if rc.Op == flows.ReminderCancel {
			op = "cancel"
		}
		ans.Reminders = append(ans.Reminders, Reminder{Op: op, Due: rc.Due.In(flows.Tokyo).Format(clockLayout)})
	}
	return ans, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// loopbackOnly refuses requests whose Host is not a loopback address or
// localhost.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !isLoopback(host) {
			http.Error(w, "the preview answers on loopback only", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrNotLoopback is an address the preview refuses to listen on: it shows
// a conversation to whoever can reach it.
var ErrNotLoopback = errors.New("the preview listens on a loopback address only (127.0.0.1, ::1, localhost)")

// Listen listens on addr ("127.0.0.1:8090"), which must name a loopback
// host: an empty host (every interface) is refused too.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("preview address %q: %w", addr, err)
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("preview address %q: %w", addr, ErrNotLoopback)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return ln, nil
}
