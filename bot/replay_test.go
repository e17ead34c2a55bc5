package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestReplayedSignedBodyIsRefused injects the replay of issue 11 item 6: a
// signed webhook body captured from the wire and posted again later. It
// used to be applied again once its id had left the seen set (500 newer
// events of the user, or a day). It must be answered 200, not applied,
// not answered to the user, and counted; the user's next event still
// applies.
func TestReplayedSignedBodyIsRefused(t *testing.T) {
	cases := []struct {
		name  string
		after func(h *harness, user string)
	}{
		{"after 501 newer events of the user", func(h *harness, user string) {
			const batch = 50
			for sent := 0; sent < storage.DefaultSeenMax+1; sent += batch {
				h.clock.Advance(time.Second)
				evs := make([]linefake.Event, min(batch, storage.DefaultSeenMax+1-sent))
				for i := range evs {
					evs[i] = h.text(user, "進捗")
				}
				if code := h.post(evs...); code != http.StatusOK {
					h.t.Fatalf("newer events: status %d", code)
				}
			}
		}},
		{"a seen window later", func(h *harness, user string) {
			h.clock.Advance(storage.DefaultSeenWindow + time.Minute)
			// Redis expires the seen set a window after the user's last
			// event, by its own clock, which the harness clock does not move.
			seen := "fraudnavi:{u:" + storagetest.UserKeys().Key(user) + "}:seen"
			if err := h.rdb.Del(context.Background(), seen).Err(); err != nil {
				h.t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
				h := newHarness(t, b, loadFlows(t, miniFlows), withFake(linefake.AcceptAnyReplyToken()))
				user := storagetest.UserID()
				h.post(h.follow(user))
				captured := h.body(h.text(user, "メニュー"))
				sig := linefake.Sign(testSecret, captured)
				if code := h.postSigned(captured, sig); code != http.StatusOK {
					t.Fatalf("first delivery: status %d", code)
				}
				c.after(h, user)
				before := h.state(user).Version
				replies := len(h.fake.Replies())
				h.clock.Advance(time.Second)
				if code := h.postSigned(captured, sig); code != http.StatusOK {
					t.Fatalf("replay: status %d, want 200 (refused, not redelivered)", code)
				}
				applied := h.state(user).Version - before
				t.Logf("replay %s: applied %d time(s), %d replies", c.name, applied, len(h.fake.Replies())-replies)
				if applied != 0 || len(h.fake.Replies()) != replies {
					t.Fatalf("replay applied %d time(s) and answered %d time(s); want 0, 0", applied, len(h.fake.Replies())-replies)
				}
				if m := scrape(t, h); !strings.Contains(m, `fraudnavi_events_total{result="replay_refused",type="any"} 1`) {
					t.Errorf("replay not counted:\n%s", grepLines(m, "replay"))
				}
				next := h.text(user, "メニュー")
				if code := h.post(next); code != http.StatusOK || h.state(user).Version != before+1 {
					t.Fatalf("the user's next event: status %d, version %d, want applied (%d)", code, h.state(user).Version, before+1)
				}
			})
		})
	}
}
