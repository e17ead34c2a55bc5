package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
	"github.com/redis/go-redis/v9"
)

func TestRateLimiterBucket(t *testing.T) {
	clock := flowstest.NewClock(night)
	l := NewRateLimiter(storagetest.UserKeys(), clock.Now, 0.5, 3, 0)
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
	l := NewRateLimiter(storagetest.UserKeys(), clock.Now, 0.5, 2, 100)
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
		lim := NewRateLimiter(storagetest.UserKeys(), clock.Now, 0.5, 3, 0)
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
		if keys := storagetest.ScanKeys(t, h.rdb, "fraudnavi:{u:"+storagetest.UserKeys().Key(user)+"}*"); len(keys) != 0 {
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

// limitedHarness is a harness whose webhook limits each user to a burst of
// three events, on a clock that does not move.
func limitedHarness(t *testing.T, b storagetest.Backend) *harness {
	h := newHarness(t, b, loadFlows(t, miniFlows))
	lim := NewRateLimiter(storagetest.UserKeys(), flowstest.NewClock(night).Now, 0.5, 3, 0)
	wh := &Webhook{Secret: testSecret, Processor: h.proc, Log: h.proc.Log, Metrics: h.proc.Metrics, Limit: lim}
	h.handler = NewServer("127.0.0.1:0", wh, nil, h.proc.Metrics, h.proc.Log).Handler()
	return h
}

// A user over the rate limit who asks for データ削除, and confirms it, has
// their data deleted and is told so: it used to be dropped, silently once
// the burst's notice had been given.
func TestRateLimitNeverDropsDeletion(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := limitedHarness(t, b)
		user := storagetest.UserID()
		for _, ev := range []linefake.Event{h.follow(user), h.text(user, "進捗"), h.text(user, "進捗"), h.text(user, "進捗"), h.text(user, "進捗")} {
			h.post(ev) // the burst, then the notice, then silence
		}
		ask := h.text(user, "データ削除")
		if code := h.post(ask); code != http.StatusOK || len(h.replyTo(ask)) != 1 || !strings.Contains(strings.Join(h.replyTo(ask)[0].Texts(), ""), "削除しますか") {
			t.Fatalf("データ削除 over the limit: status %d, replies %v; want the confirmation", code, h.replyTo(ask))
		}
		yes := h.tap(user, "削除する")
		if code := h.post(yes); code != http.StatusOK || len(h.replyTo(yes)) != 1 || !strings.Contains(strings.Join(h.replyTo(yes)[0].Texts(), ""), "削除しました") {
			t.Fatalf("削除する over the limit: status %d, replies %v; want 削除しました", code, h.replyTo(yes))
		}
		if keys := storagetest.ScanKeys(t, h.rdb, "fraudnavi:{u:"+storagetest.UserKeys().Key(user)+"}*"); len(keys) != 0 {
			t.Fatalf("after the deletion Redis holds %v", keys)
		}
	})
}

// An event over the limit shares a webhook with one that fails, so LINE
// redelivers both. The notice must not have spent the limited event's
// reply token: the redelivery applies it (redeliveries are not limited)
// and its reply needs that token. It used to get the notice and then no
// answer, the redelivery's reply refused as "Invalid reply token".
func TestRateLimitNoticeLeavesTheTokenForTheRedelivery(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := limitedHarness(t, b)
		user, other := storagetest.UserID(), storagetest.UserID()
		h.post(h.follow(other))
		for _, ev := range []linefake.Event{h.follow(user), h.text(user, "進捗"), h.text(user, "進捗")} {
			h.post(ev) // the burst is used
		}
		fail := failRedisFor(t, h.rdb, storagetest.UserKeys().Key(other))
		over, failing := h.text(user, "メニュー"), h.text(other, "メニュー")
		if code := h.post(over, failing); code == http.StatusOK {
			t.Fatalf("status 200 with an event whose Redis call failed")
		}
		fail.Store(false)
		if code := h.post(over.Redelivered(), failing.Redelivered()); code != http.StatusOK {
			t.Fatalf("redelivery: status %d", code)
		}
		replies := h.replyTo(over)
		t.Logf("the limited event's token: %d replies accepted, refused %v", len(replies), h.fake.Rejected())
		var texts []string
		for _, r := range replies {
			texts = append(texts, strings.Join(r.Texts(), "\n"))
		}
		if len(replies) != 1 || strings.Contains(texts[0], "少し時間をおいて") {
			t.Fatalf("replies to the limited event %q; want its real answer once, not the notice", texts)
		}
		if len(h.replyTo(failing)) != 1 {
			t.Fatalf("the failed event got %d replies after its redelivery, want 1", len(h.replyTo(failing)))
		}
		h.noRejections()
	})
}

// failRedisFor makes every command on rdb naming key fail while the
// returned switch is on (it starts on), as a Redis refusing that user would.
func failRedisFor(t *testing.T, rdb redis.UniversalClient, key string) *atomic.Bool {
	t.Helper()
	on := &atomic.Bool{}
	on.Store(true)
	rdb.AddHook(failingHook{on: on, key: key})
	return on
}

type failingHook struct {
	on  *atomic.Bool
	key string
}

func (f failingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f failingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.on.Load() && strings.Contains(fmt.Sprint(cmd.Args()...), f.key) {
			err := errors.New("injected: this user's Redis call fails")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (f failingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
