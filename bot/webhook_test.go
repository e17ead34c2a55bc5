package bot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

const miniFlows = "../flows/testdata/mini"

// userKeys lists what Redis holds for a user (tests may SCAN).
func userKeys(t *testing.T, h *harness, user string) []string {
	t.Helper()
	return storagetest.ScanKeys(t, h.rdb, "fraudnavi:{u:"+storagetest.UserKeys().Key(user)+"}*")
}

func TestConversationThroughTheWebhook(t *testing.T) {
	forEachDate(t, func(t *testing.T, when time.Time) {
		storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
			h := newHarness(t, b, loadFlows(t, miniFlows), at(when))
			user := storagetest.UserID()
			steps := []struct {
				ev   func() linefake.Event
				want string // in the reply
				step string
			}{
				{func() linefake.Event { return h.follow(user) }, "ようこそ", "menu"},
				{func() linefake.Event { return h.tap(user, "カードの請求") }, "カード裏面の番号に電話しましょう", "card_start"},
				{func() linefake.Event { return h.text(user, "電話しました") }, "カードの種類", "card_kind"},
				{func() linefake.Event { return linefake.StickerEvent(user, linefake.ReplyTokenFrom(h.fake)) }, "ボタンから選んでください", "card_kind"},
				{func() linefake.Event { return h.tap(user, "普通のカード") }, "おつかれさまでした", "card_done"},
			}
			for i, s := range steps {
				ev := s.ev()
				if code := h.post(ev); code != http.StatusOK {
					t.Fatalf("step %d: status %d", i, code)
				}
				rs := h.replyTo(ev)
				if len(rs) != 1 {
					t.Fatalf("step %d: %d replies, want 1", i, len(rs))
				}
				if got := strings.Join(rs[0].Texts(), "\n"); !strings.Contains(got, s.want) {
					t.Fatalf("step %d: reply %q, want %q", i, got, s.want)
				}
				if st := h.state(user); st.Step != s.step || st.Version != int64(i+1) {
					t.Fatalf("step %d: state step %q version %d, want %q %d", i, st.Step, st.Version, s.step, i+1)
				}
			}
			h.noRejections()
		})
	})
}

func TestBadRequestsChangeNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		good := linefake.Body("Ubot", h.text(user, "請求"))
		huge := linefake.Body("Ubot", h.text(user, strings.Repeat("あ", MaxBody/3+10)))
		tests := []struct {
			name string
			body []byte
			sign bool
			sig  string
			want int
		}{
			{"no signature", good, false, "", http.StatusBadRequest},
			{"signature of another body", good, false, linefake.Sign(testSecret, []byte(`{"events":[]}`)), http.StatusBadRequest},
			{"signed with another secret", good, false, linefake.Sign("other", good), http.StatusBadRequest},
			{"over 1 MiB", huge, true, "", http.StatusRequestEntityTooLarge},
			{"malformed JSON", []byte(`{"events":[`), true, "", http.StatusBadRequest},
			{"connectivity check", []byte(`{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}`), true, "", http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var code int
				if tt.sig != "" {
					code = h.postSigned(tt.body, tt.sig)
				} else {
					code = h.postBody(tt.body, tt.sign)
				}
				if code != tt.want {
					t.Fatalf("status %d, want %d", code, tt.want)
				}
				if keys := userKeys(t, h, user); len(keys) != 0 {
					t.Fatalf("a rejected request wrote %v", keys)
				}
				if n := len(h.fake.Replies()); n != 0 {
					t.Fatalf("a rejected request was answered %d times", n)
				}
			})
		}
	})
}

func TestEventsThatNeedNoState(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		group := linefake.GroupTextEvent("Cgroup", user, "助けて", linefake.ReplyTokenFrom(h.fake))
		standby := linefake.TextEvent(user, "請求", linefake.ReplyTokenFrom(h.fake), linefake.Standby())
		unknown := linefake.UnknownEvent("somethingNew")
		if code := h.post(group, standby, unknown); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if rs := h.replyTo(group); len(rs) != 1 || !strings.Contains(rs[0].Texts()[0], "1対1") {
			t.Fatalf("group reply = %+v, want one polite line", rs)
		}
		if rs := h.replyTo(standby); len(rs) != 0 {
			t.Fatalf("a standby event was answered: %+v", rs)
		}
		if keys := userKeys(t, h, user); len(keys) != 0 {
			t.Fatalf("state stored for a group, standby or unknown event: %v", keys)
		}
		h.noRejections()
	})
}

func TestRedeliveryIsAppliedOnceAndRepliedOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		h.post(h.follow(user))
		ev := h.text(user, "請求")
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := ev
				if i > 0 {
					e = ev.Redelivered()
				}
				codes[i] = h.post(e)
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != http.StatusOK {
				t.Fatalf("delivery %d: status %d", i, c)
			}
		}
		if st := h.state(user); st.Version != 2 || st.Step != "card_start" {
			t.Fatalf("state = step %q version %d, want card_start 2 (applied once)", st.Step, st.Version)
		}
		if rs := h.replyTo(ev); len(rs) != 1 {
			t.Fatalf("%d replies to one event, want 1", len(rs))
		}
		h.onlyRacingReplies()
	})
}

func TestConcurrentEventsOfOneUserAreAllApplied(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		h.post(h.follow(user))
		const n = 10
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := h.post(h.text(user, fmt.Sprintf("ヘルプ%d", i))); code != http.StatusOK {
					t.Errorf("event %d: status %d", i, code)
				}
			}()
		}
		wg.Wait()
		if st := h.state(user); st.Version != n+1 {
			t.Fatalf("version %d after %d events, want %d: an event was lost or applied twice", st.Version, n+1, n+1)
		}
		if got := len(h.fake.Replies()); got != n+1 {
			t.Fatalf("%d replies, want %d", got, n+1)
		}
		h.onlyRacingReplies()
	})
}

func TestRedisDownAnswers503ThenRedeliveryApplies(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows), withProxy())
		user := storagetest.UserID()
		h.post(h.follow(user))
		ev := h.text(user, "請求")
		h.proxy.Cut()
		if code := h.post(ev); code != http.StatusServiceUnavailable {
			t.Fatalf("with Redis down: status %d, want 503", code)
		}
		if rs := h.replyTo(ev); len(rs) != 0 {
			t.Fatalf("replied while Redis was down: %+v", rs)
		}
		h.proxy.Restore()
		for i := range 2 {
			if code := h.post(ev.Redelivered()); code != http.StatusOK {
				t.Fatalf("redelivery %d: status %d", i, code)
			}
		}
		if st := h.state(user); st.Step != "card_start" || st.Version != 2 {
			t.Fatalf("after redelivery: step %q version %d, want card_start 2", st.Step, st.Version)
		}
		if rs := h.replyTo(ev); len(rs) != 1 {
			t.Fatalf("%d replies after redelivery, want 1", len(rs))
		}
		h.post(h.tap(user, "電話した"))
		if st := h.state(user); st.Step != "card_kind" {
			t.Fatalf("conversation did not go on: step %q", st.Step)
		}
		h.noRejections()
	})
}

// failingScheduler fails its first n calls, like Redis going away between
// the state write and the reminder enqueue.
type failingScheduler struct {
	mu    sync.Mutex
	fails int
	done  []string
}

func (f *failingScheduler) call(op, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return fmt.Errorf("enqueue: %w", storage.ErrUnavailable)
	}
	f.done = append(f.done, op+" "+id)
	return nil
}

func TestPendingOutboxIsPerformedOnRedelivery(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		sched := &failingScheduler{fails: 1}
		h.proc.Scheduler = schedulerFunc(sched)
		user := storagetest.UserID()
		h.post(h.follow(user))
		h.post(h.tap(user, "カードの請求"))
		h.post(h.tap(user, "電話した"))
		ev := h.tap(user, "通知を受け取る")
		if code := h.post(ev); code != http.StatusServiceUnavailable {
			t.Fatalf("scheduling failed after the state was saved: status %d, want 503", code)
		}
		if rs := h.replyTo(ev); len(rs) != 0 {
			t.Fatal("replied before the outbox was performed")
		}
		if code := h.post(ev.Redelivered()); code != http.StatusOK {
			t.Fatalf("redelivery: status %d", code)
		}
		if rs := h.replyTo(ev); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "お知らせします") {
			t.Fatalf("replies after redelivery = %+v, want the acknowledgement once", rs)
		}
		if len(sched.done) != 1 || sched.done[0] != "schedule check_mail" {
			t.Fatalf("scheduled = %v, want the reminder once", sched.done)
		}
		if st := h.state(user); len(st.Reminders) != 1 {
			t.Fatalf("state reminders = %+v", st.Reminders)
		}
		h.noRejections()
	})
}

func TestUnfollowForgetsTheUser(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		sched := &failingScheduler{}
		h.proc.Scheduler = schedulerFunc(sched)
		user := storagetest.UserID()
		h.post(h.follow(user))
		h.post(h.tap(user, "カードの請求"))
		h.post(h.tap(user, "電話した"))
		h.post(h.tap(user, "通知を受け取る"))
		if code := h.post(linefake.UnfollowEvent(user)); code != http.StatusOK {
			t.Fatalf("unfollow: status %d", code)
		}
		if keys := userKeys(t, h, user); len(keys) != 0 {
			t.Fatalf("after unfollow Redis still holds %v", keys)
		}
		if last := sched.done[len(sched.done)-1]; last != "cancel check_mail" {
			t.Fatalf("reminder calls = %v, want the reminder cancelled", sched.done)
		}
		// Back again: a fresh start, not a resume.
		ev := h.follow(user)
		h.post(ev)
		if rs := h.replyTo(ev); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "ようこそ") {
			t.Fatalf("refollow reply = %+v", rs)
		}
	})
}

func TestStaleTapGetsTheCurrentStep(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		h.post(h.follow(user))
		old := h.tap(user, "カードの請求")
		h.post(old)
		h.post(h.tap(user, "電話した"))
		again := h.postback(user, old.Postback.Data)
		h.post(again)
		if st := h.state(user); st.Step != "card_kind" {
			t.Fatalf("an old tap moved the user to %q", st.Step)
		}
		if rs := h.replyTo(again); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "カードの種類") {
			t.Fatalf("stale tap reply = %+v", rs)
		}
	})
}

type schedFunc struct{ f *failingScheduler }

func schedulerFunc(f *failingScheduler) Scheduler { return schedFunc{f} }

func (s schedFunc) Schedule(_ context.Context, _ string, c flowsChange) error {
	return s.f.call("schedule", c.ID)
}

func (s schedFunc) Cancel(_ context.Context, _ string, c flowsChange) error {
	return s.f.call("cancel", c.ID)
}

// A reply LINE fails with a 5xx is tried again and delivered once; one it
// refuses for good (a 4xx) is logged once and not retried: trying again
// cannot change it.
func TestFailedReplyIsRetriedOnlyWhenItCanSucceed(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		attempts int
		replies  int
		log      string
	}{
		{"500 is retried", http.StatusInternalServerError, 2, 1, ""},
		{"429 is retried", http.StatusTooManyRequests, 2, 1, ""},
		{"400 is not", http.StatusBadRequest, 1, 0, `"msg":"reply refused"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
				h := newHarness(t, b, loadFlows(t, miniFlows))
				user := storagetest.UserID()
				h.fake.FailNext(linefake.PathReply, tt.status, `{"message":"boom"}`, 1)
				ev := h.follow(user)
				if code := h.post(ev); code != http.StatusOK {
					t.Fatalf("status %d, want 200", code)
				}
				if n := h.fake.Attempts(linefake.PathReply); n != tt.attempts {
					t.Fatalf("%d reply attempts, want %d", n, tt.attempts)
				}
				if n := len(h.replyTo(ev)); n != tt.replies {
					t.Fatalf("%d replies delivered, want %d", n, tt.replies)
				}
				logs := h.logs.String()
				if tt.log != "" && (!strings.Contains(logs, tt.log) || !strings.Contains(logs, `"line_request_id":"`)) {
					t.Fatalf("the failure is not logged with LINE's request id:\n%s", logs)
				}
				if strings.Contains(logs, user) {
					t.Fatalf("the log holds the raw user id:\n%s", logs)
				}
				if st := h.state(user); st.Version != 1 {
					t.Fatalf("version %d, want 1", st.Version)
				}
			})
		})
	}
}
