package bot

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

func TestRateLimiterBucket(t *testing.T) {
	clock := flowstest.NewClock(night)
	l := NewRateLimiter(clock.Now, 0.5, 3, 0)
	type want struct{ ok, notify bool }
	steps := []struct {
		name    string
		advance time.Duration
		user    string
		want    want
	}{
		{"burst 1", 0, "A", want{true, false}},
		{"burst 2", 0, "A", want{true, false}},
		{"burst 3", 0, "A", want{true, false}},
		{"over: told once", 0, "A", want{false, true}},
		{"over: not told again", 0, "A", want{false, false}},
		{"another user is not limited", 0, "B", want{true, false}},
		{"one second refills half an event", time.Second, "A", want{false, false}},
		{"two seconds refill one", time.Second, "A", want{true, false}},
		{"empty again: told again", 0, "A", want{false, true}},
		{"a long pause refills the burst, no more", time.Hour, "A", want{true, false}},
		{"burst 2 after the pause", 0, "A", want{true, false}},
		{"burst 3 after the pause", 0, "A", want{true, false}},
		{"over after the pause", 0, "A", want{false, true}},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		ok, notify := l.Allow(s.user)
		if (want{ok, notify}) != s.want {
			t.Fatalf("%s: Allow = %v, %v; want %v, %v", s.name, ok, notify, s.want.ok, s.want.notify)
		}
	}
}

func TestRateLimiterStaysBounded(t *testing.T) {
	clock := flowstest.NewClock(night)
	l := NewRateLimiter(clock.Now, 0.5, 2, 100)
	for i := range 1000 {
		l.Allow(fmt.Sprintf("U%d", i))
	}
	if n := l.Users(); n != 100 {
		t.Fatalf("%d buckets kept, want at most 100", n)
	}
	// A user evicted comes back with a full bucket: eviction never limits.
	if ok, _ := l.Allow("U0"); !ok {
		t.Fatal("an evicted user was refused")
	}
	// Once every bucket has filled up again, none needs keeping.
	clock.Advance(time.Minute)
	l.Allow("U1")
	if n := l.Users(); n != 1 {
		t.Fatalf("%d buckets kept after a quiet minute, want 1", n)
	}
}

// TestRateLimitThroughTheWebhook: a user sending much faster than a person
// can is told once to wait, and their extra events touch nothing; a card
// number is still warned about; LINE's redeliveries and unfollows pass; other
// users are not affected; and the user goes on where they were.
func TestRateLimitThroughTheWebhook(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		clock := flowstest.NewClock(night)
		lim := NewRateLimiter(clock.Now, 0.5, 3, 0)
		wh := &Webhook{Secret: testSecret, Processor: h.proc, Log: h.proc.Log, Metrics: h.proc.Metrics, Limit: lim}
		h.handler = NewServer("127.0.0.1:0", wh, nil, h.proc.Metrics, h.proc.Log).Handler()
		user, calm := storagetest.UserID(), storagetest.UserID()

		post := func(ev linefake.Event) []string {
			t.Helper()
			if code := h.post(ev); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			var texts []string
			for _, r := range h.replyTo(ev) {
				texts = append(texts, strings.Join(r.Texts(), "\n"))
			}
			return texts
		}
		post(h.follow(user))
		post(h.tap(user, "カードの請求"))
		post(h.tap(user, "電話した")) // the burst of 3 is used: at card_kind, v3

		cmds := recordCommands(h.rdb)
		over := h.text(user, "普通のカード")
		got := post(over)
		if len(got) != 1 || !strings.Contains(got[0], "少し時間をおいて") {
			t.Fatalf("first event over the limit answered %q, want the notice", got)
		}
		notice := h.replyTo(over)[0]
		if quickLabels(notice) != "続きから" {
			t.Fatalf("the notice offers %q, want 続きから", quickLabels(notice))
		}
		quiet := h.text(user, "普通のカード")
		if got := post(quiet); len(got) != 0 {
			t.Fatalf("second event over the limit answered %q, want silence", got)
		}
		if got := post(h.text(user, "4111 1111 1111 1111")); len(got) != 1 || !strings.Contains(got[0], "カード番号") {
			t.Fatalf("a card number over the limit answered %q, want the warning", got)
		}
		if n := len(cmds.lines()); n != 0 {
			t.Fatalf("events over the limit sent %d commands to Redis: %v", n, cmds.lines())
		}
		if st := h.state(user); st.Step != "card_kind" || st.Version != 3 {
			t.Fatalf("events over the limit were applied: at %q v%d", st.Step, st.Version)
		}

		// Others in the same webhook are not limited.
		if code := h.post(h.follow(calm), h.text(user, "戻る")); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if st := h.state(calm); st.Version != 1 {
			t.Fatalf("another user was limited: v%d", st.Version)
		}

		// LINE's redelivery of an event is never limited.
		if got := post(quiet.Redelivered()); len(got) != 1 || !strings.Contains(got[0], "おつかれさまでした") {
			t.Fatalf("redelivery answered %q, want the next step", got)
		}
		if st := h.state(user); st.Step != "card_done" || st.Version != 4 {
			t.Fatalf("the redelivery was not applied: at %q v%d", st.Step, st.Version)
		}

		// A little later the user picks up with the notice's 続きから.
		clock.Advance(2 * time.Second)
		resume := notice.Messages[len(notice.Messages)-1].QuickReply.Items[0].Action.Data
		if got := post(h.postback(user, resume)); len(got) != 1 || !strings.Contains(got[0], "おつかれさまでした") {
			t.Fatalf("続きから answered %q, want the current step", got)
		}

		// An unfollow is never limited: the data goes at once.
		post(h.text(user, "進捗"))
		if code := h.post(linefake.UnfollowEvent(user)); code != http.StatusOK {
			t.Fatalf("unfollow: status %d", code)
		}
		if keys := scanKeysMatching(t, h.rdb, "fraudnavi:{u:"+storage.UserKey(user)+"}*"); len(keys) != 0 {
			t.Fatalf("after the unfollow Redis holds %v", keys)
		}
		h.noRejections()
	})
}

// quickLabels lists the quick replies of a reply's last message.
func quickLabels(r linefake.Reply) string {
	var ls []string
	for _, m := range r.Messages {
		if m.QuickReply == nil {
			continue
		}
		for _, it := range m.QuickReply.Items {
			if it.Action != nil {
				ls = append(ls, it.Action.Label)
			}
		}
	}
	return strings.Join(ls, ",")
}
