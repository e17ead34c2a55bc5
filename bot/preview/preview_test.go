package preview

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestListenRefusesNonLoopback: the preview shows a conversation to whoever
// reaches it, so it listens on loopback only; every interface is refused.
func TestListenRefusesNonLoopback(t *testing.T) {
	tests := []struct {
		addr    string
		refused bool
	}{
		{"127.0.0.1:0", false},
		{"localhost:0", false},
		{":0", true},
		{"0.0.0.0:0", true},
		{"192.0.2.1:0", true},
		{"example.com:0", true},
	}
	for _, tt := range tests {
		ln, err := Listen(tt.addr)
		if ln != nil {
			ln.Close()
		}
		if got := errors.Is(err, ErrNotLoopback); got != tt.refused {
			t.Errorf("Listen(%q): err %v, refused %v, want refused %v", tt.addr, err, got, tt.refused)
		}
		if !tt.refused && err != nil {
			t.Errorf("Listen(%q): %v", tt.addr, err)
		}
	}
}

// TestHandlerRefusesOtherHosts: a page elsewhere whose name was rebound to
// 127.0.0.1 sends its own Host, and gets nothing.
func TestHandlerRefusesOtherHosts(t *testing.T) {
	h := (&Server{}).Handler()
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:8090", http.StatusOK},
		{"localhost:8090", http.StatusOK},
		{"[::1]:8090", http.StatusOK},
		{"attacker.example:8090", http.StatusForbidden},
		{"192.0.2.1", http.StatusForbidden},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = tt.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("Host %s: status %d, want %d", tt.host, rec.Code, tt.want)
		}
	}
}
