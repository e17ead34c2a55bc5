package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// brokenEngine is the mini flows with the first menu choice pointing at a
// step that is not there: tapping it panics inside the engine, as a bug
// would.
func brokenEngine(t *testing.T) *flows.Engine {
	t.Helper()
	eng := loadFlows(t, miniFlows)
	eng.Graph().Steps["menu"].Choices[0].Next = "no_such_step"
	return eng
}

// A poison event (one the engine panics on) is answered once with an
// apology, changes nothing, is counted, is not redelivered forever, and the
// process goes on serving.
func TestEnginePanicIsAnsweredOnceAndChangesNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, brokenEngine(t))
		user := storagetest.UserID()
		h.post(h.follow(user))
		before := h.state(user)
		poison := h.tap(user, "カードの請求")
		if code := h.post(poison); code != http.StatusOK {
			t.Fatalf("poison event: status %d, want 200 (a redelivery would hit the same bug)", code)
		}
		rs := h.replyTo(poison)
		if len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "不具合") {
			t.Fatalf("replies %+v, want the apology once", rs)
		}
		after := h.state(user)
		if after.Step != before.Step || after.Version != before.Version+1 {
			t.Fatalf("state %+v after the poison event, want %+v with the next version", after, before)
		}
		// LINE redelivers anyway: applied already, no second reply.
		if code := h.post(poison.Redelivered()); code != http.StatusOK {
			t.Fatalf("redelivery: status %d", code)
		}
		if rs := h.replyTo(poison); len(rs) != 1 {
			t.Fatalf("%d replies after the redelivery, want 1", len(rs))
		}
		// The user goes on.
		ev := h.text(user, "メニュー")
		if code := h.post(ev); code != http.StatusOK || len(h.replyTo(ev)) != 1 {
			t.Fatalf("next event: status %d, replies %d", code, len(h.replyTo(ev)))
		}
		if m := scrape(t, h); !strings.Contains(m, `fraudnavi_panics_total{where="engine"} 1`) {
			t.Errorf("panic not counted:\n%s", grepLines(m, "panics"))
		}
		logs := h.logs.String()
		if !strings.Contains(logs, "engine panicked") || strings.Contains(logs, user) {
			t.Errorf("logs: want the panic logged under the hashed user only:\n%s", logs)
		}
		h.noRejections()
	})
}

// panickingScheduler stands for a bug outside the engine.
type panickingScheduler struct{}

func (panickingScheduler) Schedule(context.Context, string, flows.ReminderChange) error {
	panic("scheduler bug")
}
func (panickingScheduler) Cancel(context.Context, string, flows.ReminderChange) error {
	panic("scheduler bug")
}

// A panic outside the engine is caught at the webhook, per event: logged,
// counted, answered, 200.
func TestPanicOutsideTheEngineIsCaughtPerEvent(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		h.proc.Scheduler = panickingScheduler{}
		user, other := storagetest.UserID(), storagetest.UserID()
		for _, u := range []string{user, other} {
			h.post(h.follow(u))
			h.post(h.tap(u, "カードの請求"))
			h.post(h.tap(u, "電話した"))
		}
		ev := h.tap(other, "通知を受け取る") // schedules a reminder: the scheduler panics
		if code := h.post(ev); code != http.StatusOK {
			t.Fatalf("status %d, want 200", code)
		}
		if rs := h.replyTo(ev); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "不具合") {
			t.Fatalf("replies %+v, want the apology", rs)
		}
		if m := scrape(t, h); !strings.Contains(m, `fraudnavi_panics_total{where="webhook"} 1`) {
			t.Errorf("panic not counted:\n%s", grepLines(m, "panics"))
		}
		// Other users are served.
		next := h.text(user, "メニュー")
		if code := h.post(next); code != http.StatusOK || len(h.replyTo(next)) != 1 {
			t.Fatalf("another user's event: status %d", code)
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
