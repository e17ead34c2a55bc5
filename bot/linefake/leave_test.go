package linefake

import (
	"net/http"
	"testing"
)

// The leave endpoints answer as LINE's spec says: 200 for a chat the bot is
// in, 404 once it left, 405 for another method.
func TestLeave(t *testing.T) {
	s := New()
	defer s.Close()
	call := func(method, path string) int {
		t.Helper()
		req, err := http.NewRequest(method, s.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.Token())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	steps := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/v2/bot/group/Cabc/leave", http.StatusOK},
		{http.MethodPost, "/v2/bot/group/Cabc/leave", http.StatusNotFound},
		{http.MethodPost, "/v2/bot/room/Rxyz/leave", http.StatusOK},
		{http.MethodGet, "/v2/bot/room/Rother/leave", http.StatusMethodNotAllowed},
	}
	for _, st := range steps {
		if got := call(st.method, st.path); got != st.want {
			t.Errorf("%s %s = %d, want %d", st.method, st.path, got, st.want)
		}
	}
	if ls := s.Leaves(); len(ls) != 2 || ls[0].Kind != "group" || ls[0].ChatID != "Cabc" || ls[1].Kind != "room" || ls[1].ChatID != "Rxyz" {
		t.Errorf("leaves %+v, want group Cabc then room Rxyz", ls)
	}
}
