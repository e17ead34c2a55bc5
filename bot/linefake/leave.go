package linefake

import (
	"net/http"
	"strings"
	"time"
)

// Paths of the leave endpoints (messaging-api.yml): the bot leaves a group
// or a multi-person chat (room). Each takes the chat's id in place of {id}.
const (
	PathLeaveGroup = "/v2/bot/group/{id}/leave"
	PathLeaveRoom  = "/v2/bot/room/{id}/leave"
)

// Leave is an accepted leave request.
type Leave struct {
	RequestID string
	Kind      string // "group" or "room"
	ChatID    string
	Received  time.Time
}

// serveLeave answers POST /v2/bot/{group,room}/{id}/leave with 200 and an
// empty object, as LINE does; ok is false for other paths. A chat the bot
// already left is 404, as for a chat it never was in.
func (s *Server) serveLeave(c *call) (ok bool) {
	rest, found := strings.CutPrefix(c.r.URL.Path, "/v2/bot/")
	if !found {
		return false
	}
	kind, rest, _ := strings.Cut(rest, "/")
	id, tail, _ := strings.Cut(rest, "/")
	if (kind != "group" && kind != "room") || tail != "leave" {
		return false
	}
	if c.r.Method != http.MethodPost {
		c.reject(http.StatusMethodNotAllowed, "Method not allowed")
		return true
	}
	if id == "" {
		c.reject(http.StatusBadRequest, "The "+kind+" id is missing")
		return true
	}
	s.mu.Lock()
	for _, l := range s.leaves {
		if l.Kind == kind && l.ChatID == id {
			s.mu.Unlock()
			c.reject(http.StatusNotFound, "Not found")
			return true
		}
	}
	s.leaves = append(s.leaves, Leave{RequestID: c.id, Kind: kind, ChatID: id, Received: c.received})
	s.notifyLocked()
	s.mu.Unlock()
	c.respond(http.StatusOK, struct{}{})
	return true
}

// Leaves returns the accepted leave requests in the order they arrived.
func (s *Server) Leaves() []Leave {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Leave(nil), s.leaves...)
}
