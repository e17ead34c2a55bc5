package bot

import (
	"context"
	"net/http"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// crashAfterApply does what a bot that dies between an event's apply and
// its reply did: the state and outbox are written, nothing is sent.
func (h *harness) crashAfterApply(user, text string, ev linefake.Event) {
	h.t.Helper()
	_, _, err := h.proc.apply(context.Background(), Event{
		ID: ev.WebhookEventID, UserID: user, ReplyToken: ev.ReplyToken,
		Input: flows.Input{Kind: flows.InputText, Text: text},
	})
	if err != nil {
		h.t.Fatalf("apply before the crash: %v", err)
	}
}

// TestCrashAfterApplyThenNextEventLosesNoReply injects the fault of issue 11
// item 7: the bot dies after applying event A and before replying, and the
// user's next event B arrives before LINE's redelivery of A. B's apply used
// to replace A's pending outbox, so A's reply was never sent. Every event
// must be answered exactly once, and applied once.
func TestCrashAfterApplyThenNextEventLosesNoReply(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		if code := h.post(h.follow(user)); code != http.StatusOK {
			t.Fatalf("follow: status %d", code)
		}
		a := h.text(user, "メニュー")
		h.crashAfterApply(user, "メニュー", a)
		next := h.text(user, "進捗")
		if code := h.post(next); code != http.StatusOK {
			t.Fatalf("B: status %d", code)
		}
		if code := h.post(a.Redelivered()); code != http.StatusOK {
			t.Fatalf("A redelivered: status %d", code)
		}
		missing, twice := 0, 0
		for _, ev := range []linefake.Event{a, next} {
			switch n := len(h.replyTo(ev)); {
			case n == 0:
				missing++
			case n > 1:
				twice++
			}
		}
		pushes := len(h.fake.PushesTo(user))
		t.Logf("A (applied, bot died) then B, then A redelivered: replies missing %d, twice %d, pushes %d", missing, twice, pushes)
		if missing != 0 || twice != 0 || pushes != 0 {
			t.Errorf("replies missing %d, twice %d, pushes %d; want 0, 0, 0", missing, twice, pushes)
		}
		if v := h.state(user).Version; v != 3 {
			t.Errorf("state version %d, want 3 (follow, A, B each applied once)", v)
		}
	})
}
