package bot_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// Reminder tests run against the strict fake LINE API and every configured
// Redis (always the embedded one; a real server with FRAUDNAVI_TEST_REDIS_URL).
// Time is made controllable without waiting for a real morning: the
// conversation runs on a frozen clock, and the scheduler and the worker on a
// clock that starts at a chosen Tokyo time and runs with real time, so a
// reminder picked for "in three seconds" fires three real seconds later.
// Nothing asserts how long anything takes; waits are bounded by contexts.

// wednesday10 is 10:00 on a Wednesday in Tokyo, a working morning.
var wednesday10 = time.Date(2026, 11, 25, 10, 0, 0, 0, flows.Tokyo)

// runningClock returns a clock that reads start now and runs with real time.
func runningClock(start time.Time) flows.Clock {
	offset := time.Until(start)
	return func() time.Time { return time.Now().Add(offset) }
}

// realTime maps a time of clock to real time.
func realTime(clock func() time.Time, t time.Time) time.Time {
	return time.Now().Add(t.Sub(clock()))
}

// remRig is one bot wired for reminders: a processor for conversations, a
// scheduler and as many workers as a test starts, all on one Redis, one
// fake LINE API and one asynq queue of the test's own.
type remRig struct {
	t       *testing.T
	rdb     redis.UniversalClient
	fake    *linefake.Server
	lc      *line.Client
	eng     *flows.Engine
	store   *storage.StateStore
	rem     *storage.Reminders
	insp    *asynq.Inspector
	queue   string
	clock   flows.Clock    // the processor, the scheduler and the workers
	proc    *bot.Processor // on a frozen clock: its reminders never lapse
	logs    *storagetest.LogBuffer
	log     *slog.Logger
	metrics *bot.Metrics
	tokens  map[string]string // user → reply token of their last event
}

func newRemRig(t *testing.T, rdb redis.UniversalClient, start time.Time, opts ...linefake.Option) *remRig {
	t.Helper()
	g, err := flows.Load(os.DirFS("../flows/testdata/mini"))
	if err != nil {
		t.Fatalf("load mini flows: %v", err)
	}
	fake := linefake.New(opts...)
	t.Cleanup(fake.Close)
	lc, err := line.NewClient(fake.Token(), fake.URL(), &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := &remRig{
		t:       t,
		rdb:     rdb,
		fake:    fake,
		lc:      lc,
		eng:     flows.NewEngine(g),
		insp:    asynq.NewInspectorFromRedisClient(rdb),
		queue:   storagetest.ReminderQueue(t, rdb, "test_reminders_"),
		clock:   runningClock(start),
		logs:    &storagetest.LogBuffer{},
		metrics: bot.NewMetrics(),
		tokens:  map[string]string{},
	}
	r.log = slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.store = storage.NewStateStore(rdb, r.clock, storage.WithUserKeys(storagetest.UserKeys()))
	r.rem = storage.NewReminders(rdb, r.clock, storage.WithTaskUserKeys(storagetest.UserKeys()), storage.WithReminderQueue(r.queue))
	r.proc = &bot.Processor{Users: storagetest.UserKeys(),
		Engine:    r.eng,
		Store:     r.store,
		LINE:      lc,
		Scheduler: bot.ReminderScheduler{Reminders: r.rem, Metrics: r.metrics},
		Log:       r.log,
		Metrics:   r.metrics,
		Clock:     r.clock,
	}
	return r
}

// worker starts a reminder worker on rdb (another client of the same Redis
// stands for another replica) and stops it when the test ends.
func (r *remRig) worker(rdb redis.UniversalClient, mods ...func(*bot.ReminderWorker)) *bot.ReminderWorker {
	r.t.Helper()
	w := &bot.ReminderWorker{Users: storagetest.UserKeys(),
		Engine:       r.eng,
		Store:        storage.NewStateStore(rdb, r.clock, storage.WithUserKeys(storagetest.UserKeys())),
		LINE:         r.lc,
		Log:          r.log,
		Metrics:      r.metrics,
		Clock:        r.clock,
		Backoff:      func(int) time.Duration { return 50 * time.Millisecond },
		PollInterval: 50 * time.Millisecond,
	}
	for _, m := range mods {
		m(w)
	}
	w.Queue = storage.NewReminders(rdb, r.clock, storage.WithTaskUserKeys(storagetest.UserKeys()), storage.WithReminderQueue(r.queue))
	if err := w.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = w.Shutdown(context.Background()) })
	return w
}

// secondClient opens another client to the Redis rdb talks to.
func secondClient(t *testing.T, rdb redis.UniversalClient) redis.UniversalClient {
	t.Helper()
	var c redis.UniversalClient
	switch rdb := rdb.(type) {
	case *redis.Client:
		c = redis.NewClient(storagetest.ClientOptions(rdb))
	case *redis.ClusterClient:
		c = redis.NewClusterClient(storagetest.ClusterOptions(rdb))
	default:
		t.Fatalf("unexpected client %T", rdb)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// handle sends one event of user through the processor, with a fresh event
// id and reply token, and returns the reply.
func (r *remRig) handle(ctx context.Context, user string, in flows.Input) linefake.Reply {
	r.t.Helper()
	tok := r.fake.IssueReplyToken()
	r.tokens[user] = tok
	if err := r.proc.Handle(ctx, bot.Event{ID: newEventID(), UserID: user, ReplyToken: tok, Input: in}); err != nil {
		r.t.Fatalf("handle %v: %v", in, err)
	}
	replies := r.fake.RepliesFor(tok)
	if len(replies) != 1 {
		r.t.Fatalf("%d replies to %v, want 1 (rejected: %v)", len(replies), in, r.fake.Rejected())
	}
	return replies[0]
}

func (r *remRig) say(ctx context.Context, user, text string) linefake.Reply {
	r.t.Helper()
	return r.handle(ctx, user, flows.Input{Kind: flows.InputText, Text: text})
}

// pick taps the time-picker quick reply of the user's last reply and picks at.
func (r *remRig) pick(ctx context.Context, user string, at time.Time) linefake.Reply {
	r.t.Helper()
	replies := r.fake.RepliesFor(r.tokens[user])
	if len(replies) == 0 {
		r.t.Fatal("no reply to pick a time in")
	}
	msgs := replies[0].Messages
	qr := msgs[len(msgs)-1].QuickReply
	if qr != nil {
		for _, it := range qr.Items {
			if it.Action != nil && it.Action.Type == "datetimepicker" {
				return r.handle(ctx, user, flows.Input{Kind: flows.InputPostback, Data: it.Action.Data, Time: at})
			}
		}
	}
	r.t.Fatalf("no time picker in the last reply")
	return linefake.Reply{}
}

// start walks a new user to the card flow's first reminder offer.
func (r *remRig) start(ctx context.Context, user string) {
	r.t.Helper()
	r.handle(ctx, user, flows.Input{Kind: flows.InputFollow})
	r.say(ctx, user, "カードの請求")
	r.say(ctx, user, "電話した")
}

// state returns the stored conversation state of user.
func (r *remRig) state(ctx context.Context, user string) flows.State {
	r.t.Helper()
	rec, _, err := r.store.Load(ctx, user, "")
	if err != nil {
		r.t.Fatal(err)
	}
	st, _, err := rec.DecodeState()
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// seed stores a state holding the reminders and schedules them, as an
// accepted offer does, without the conversation.
func (r *remRig) seed(ctx context.Context, user string, rems ...flows.Reminder) {
	r.t.Helper()
	b, err := json.Marshal(flows.State{Flow: "card", Step: "card_kind", Reminders: rems})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.store.Apply(ctx, user, newEventID(), 0, b, nil); err != nil {
		r.t.Fatal(err)
	}
	for _, rm := range rems {
		if err := r.rem.Schedule(ctx, user, rm.ID, rm.Due); err != nil {
			r.t.Fatal(err)
		}
	}
}

// task returns the asynq task of a reminder, or nil once it is gone.
func (r *remRig) task(user, id string, due time.Time) *asynq.TaskInfo {
	info, err := r.insp.GetTaskInfo(r.queue, storagetest.UserKeys().TaskID(user, id, due))
	if err != nil {
		return nil
	}
	return info
}

// waitTask waits until the reminder's task is in state.
func (r *remRig) waitTask(ctx context.Context, user, id string, due time.Time, state asynq.TaskState) *asynq.TaskInfo {
	r.t.Helper()
	var info *asynq.TaskInfo
	storagetest.WaitFor(r.t, ctx, fmt.Sprintf("task %s %v", id, state), func() bool {
		info = r.task(user, id, due)
		return info != nil && info.State == state
	})
	return info
}

// waitDrained waits until no reminder is waiting, due, running or to be
// retried: everything scheduled has been pushed, found stale, or given up.
func (r *remRig) waitDrained(ctx context.Context) {
	r.t.Helper()
	storagetest.WaitFor(r.t, ctx, "the reminder queue to drain", func() bool {
		info, err := r.insp.GetQueueInfo(r.queue)
		return err == nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0
	})
}

// checkLogs fails if the logs reveal a LINE user id or a message text.
func (r *remRig) checkLogs(users []string, texts ...string) {
	r.t.Helper()
	logs := r.logs.String()
	for _, s := range append(users, texts...) {
		if strings.Contains(logs, s) {
			r.t.Errorf("logs contain %q:\n%s", s, logs)
		}
	}
}

// counter returns the value of a counter of the rig's metrics.
func (r *remRig) counter(name, result string) float64 {
	r.t.Helper()
	mfs, err := r.metrics.Registry.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := result == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					match = true
				}
			}
			if match {
				if g := m.GetGauge(); g != nil {
					return g.GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func (r *remRig) reminders(result string) float64 {
	return r.counter("fraudnavi_reminders_total", result)
}

var eventSeq atomic.Int64

func newEventID() string { return fmt.Sprintf("01TESTEVENT%015d", eventSeq.Add(1)) }

func remCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// The mini flows' check_mail reminder and the step it continues from.
const (
	checkMailText = "返金メールを確認しましょう。"
	bankVisitText = "銀行で再発行の手続きをしましょう。"
)

func TestReminderAcceptedInConversationIsPushedOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		r.worker(b.Client)
		user := storagetest.UserID()

		r.start(ctx, user)
		// The user picks a time three seconds ahead with the time picker.
		picked := r.clock().Add(3 * time.Second).Truncate(time.Second)
		reply := r.pick(ctx, user, picked)
		if got := strings.Join(reply.Texts(), "\n"); !strings.Contains(got, "お知らせします") {
			t.Fatalf("reply to the pick: %q, want a confirmation", got)
		}
		st := r.state(ctx, user)
		if len(st.Reminders) != 1 || st.Reminders[0].ID != "check_mail" || !st.Reminders[0].Due.Equal(picked) {
			t.Fatalf("state reminders %+v, want check_mail at %v", st.Reminders, picked)
		}
		due := st.Reminders[0].Due
		realDue := realTime(r.clock, due)

		if err := r.fake.WaitPushes(ctx, 1); err != nil {
			t.Fatal(err)
		}
		r.waitTask(ctx, user, "check_mail", due, asynq.TaskStateCompleted)

		pushes := r.fake.Pushes()
		if len(pushes) != 1 {
			t.Fatalf("%d pushes, want 1", len(pushes))
		}
		p := pushes[0]
		if p.To != user {
			t.Errorf("pushed to %q, want %q", p.To, user)
		}
		if want := bot.RetryKey(storagetest.UserKeys().TaskID(user, "check_mail", due)); p.RetryKey != want {
			t.Errorf("retry key %q, want %q", p.RetryKey, want)
		}
		// Not before it was due (asynq counts whole seconds; the scheduler
		// rounds up, so this holds to the millisecond).
		if p.Received.Before(realDue.Add(-10 * time.Millisecond)) {
			t.Errorf("pushed at %v, before it was due at %v", p.Received, realDue)
		}
		if got := p.Texts(); len(got) != 1 || got[0] != checkMailText {
			t.Errorf("pushed texts %q, want [%q]", got, checkMailText)
		}
		// The quick replies continue from the reminder's step (card_done).
		qr := p.Messages[len(p.Messages)-1].QuickReply
		if qr == nil || len(qr.Items) != 1 {
			t.Fatalf("quick replies %+v, want the one choice of card_done", qr)
		}
		it := qr.Items[0]
		if it.Type != "action" || it.Action == nil || it.Action.Type != "postback" || it.Action.Label != "メニューへ" {
			t.Fatalf("quick reply %+v %+v, want a postback メニューへ continuing from card_done", it, it.Action)
		}
		if rej := r.fake.Rejected(); len(rej) != 0 {
			t.Errorf("the fake LINE API rejected: %v", rej)
		}
		if n := r.reminders("sent"); n != 1 {
			t.Errorf("sent = %v, want 1", n)
		}
		if n := r.reminders("scheduled"); n != 1 {
			t.Errorf("scheduled = %v, want 1", n)
		}

		// Tapping the pushed quick reply continues the conversation.
		got := r.handle(ctx, user, flows.Input{Kind: flows.InputPostback, Data: it.Action.Data})
		if texts := strings.Join(got.Texts(), "\n"); !strings.Contains(texts, "どうしましたか") {
			t.Errorf("after tapping the reminder's quick reply: %q, want the menu", texts)
		}
		r.checkLogs([]string{user}, checkMailText)
	})
}

// A push LINE accepted whose answer was lost is retried with the same retry
// key; LINE answers 409 and the user gets it once.
func TestReminderRetryAfterLostAnswerPushesOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		user := storagetest.UserID()
		due := r.clock().Truncate(time.Second)
		r.seed(ctx, user, flows.Reminder{ID: "check_mail", Due: due})
		r.fake.DropResponseAfterAccept(1)
		r.worker(b.Client)

		info := r.waitTask(ctx, user, "check_mail", due, asynq.TaskStateCompleted)
		st := r.fake.Stats()
		if st.Pushes != 1 || st.Dropped != 1 || st.Conflicts != 1 {
			t.Errorf("fake stats %+v, want 1 push, 1 dropped answer, 1 conflict", st)
		}
		if info.Retried != 1 {
			t.Errorf("retried %d times, want 1", info.Retried)
		}
		if n := r.reminders("sent"); n != 1 {
			t.Errorf("sent = %v, want 1", n)
		}
		r.checkLogs([]string{user}, checkMailText)
	})
}

// stuckPusher stands for a worker process that dies in the middle of a
// push: the push reaches LINE, then the worker never gets any further.
type stuckPusher struct {
	inner   bot.Pusher
	pushed  chan struct{} // closed after the first push reached LINE
	release chan struct{} // lets the abandoned push return at the end
	once    sync.Once
}

func (p *stuckPusher) Push(to, key string, r flows.Reply) error {
	err := p.inner.Push(to, key, r)
	p.once.Do(func() { close(p.pushed) })
	<-p.release
	return err
}

// A worker stopped while a push it sent is in flight (LINE accepted it, the
// answer never came): shutting down puts the task back, another worker runs
// it again with the same retry key, LINE answers 409, and the user receives
// the reminder once. TestReminderWorkerProcessKilledMidPush does the same
// with a process killed by SIGKILL.
func TestReminderWorkerStoppedMidPush(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		user := storagetest.UserID()
		due := r.clock().Truncate(time.Second)
		r.seed(ctx, user, flows.Reminder{ID: "check_mail", Due: due})
		r.fake.DropResponseAfterAccept(1)

		stuck := &stuckPusher{inner: r.lc, pushed: make(chan struct{}), release: make(chan struct{})}
		defer close(stuck.release)
		first := r.worker(b.Client, func(w *bot.ReminderWorker) {
			w.LINE = stuck
			w.ShutdownTimeout = 100 * time.Millisecond
		})
		select {
		case <-stuck.pushed:
		case <-ctx.Done():
			t.Fatal("the first worker never pushed")
		}
		if err := first.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if info := r.task(user, "check_mail", due); info == nil || info.State != asynq.TaskStatePending {
			t.Fatalf("after the shutdown the task is %+v, want it back in pending", info)
		}

		r.worker(secondClient(t, b.Client))
		r.waitTask(ctx, user, "check_mail", due, asynq.TaskStateCompleted)
		st := r.fake.Stats()
		if st.Pushes != 1 || st.Conflicts != 1 {
			t.Errorf("fake stats %+v, want 1 push and 1 conflict (409)", st)
		}
		if got := r.fake.PushesTo(user); len(got) != 1 {
			t.Errorf("user received %d pushes, want 1", len(got))
		}
	})
}

// Two workers (two replicas, each with its own Redis client) push each of
// 1,000 reminders due at once exactly once; 200 on the embedded Redis.
func TestTwoWorkersPushEachReminderOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		n := 1000
		if b.Name == "embedded" {
			// miniredis runs every Lua script in a fresh interpreter: 1,000
			// reminders take 15 s there and minutes under -race. Fewer show
			// the same on it; a real Redis takes the thousand.
			n = 200
		}
		ctx := remCtx(t, 5*time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		due := r.clock().Truncate(time.Second)
		users := remSeedMany(t, ctx, r, n, due)

		r.worker(b.Client)
		r.worker(secondClient(t, b.Client)) // a second replica, same Metrics
		if err := r.fake.WaitPushes(ctx, n); err != nil {
			t.Fatal(err)
		}
		r.waitDrained(ctx)

		st := r.fake.Stats()
		if st.Pushes != n || st.Conflicts != 0 || st.Rejected != 0 {
			t.Errorf("fake stats %+v, want %d pushes, no conflicts, nothing rejected", st, n)
		}
		seen := map[string]int{}
		for _, p := range r.fake.Pushes() {
			seen[p.To]++
			if want := bot.RetryKey(storagetest.UserKeys().TaskID(p.To, "check_mail", due)); p.RetryKey != want {
				t.Errorf("push to %s with retry key %s, want %s", p.To, p.RetryKey, want)
			}
		}
		for _, u := range users {
			if seen[u] != 1 {
				t.Errorf("user %s received %d pushes, want 1", u, seen[u])
			}
		}
		if got := r.reminders("sent"); got != float64(n) {
			t.Errorf("sent = %v, want %d", got, n)
		}
	})
}

// remSeedMany gives n new users one check_mail reminder due at due.
func remSeedMany(t *testing.T, ctx context.Context, r *remRig, n int, due time.Time) []string {
	t.Helper()
	users := make([]string, n)
	for i := range users {
		users[i] = storagetest.UserID()
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for _, u := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b, _ := json.Marshal(flows.State{Flow: "card", Step: "card_kind", Reminders: []flows.Reminder{{ID: "check_mail", Due: due}}})
			if _, err := r.store.Apply(ctx, u, newEventID(), 0, b, nil); err != nil {
				errs <- err
				return
			}
			if err := r.rem.Schedule(ctx, u, "check_mail", due); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return users
}

// Reminders that no longer apply push nothing: cancelled, completed,
// deleted by unfollow or データ削除, or whose state is gone while the task
// was left behind.
func TestReminderNoLongerApplyingPushesNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		soon := r.clock().Add(2 * time.Second).Truncate(time.Second)

		// Cancelled with リマインド停止: the task is deleted.
		cancelled := storagetest.UserID()
		r.start(ctx, cancelled)
		r.pick(ctx, cancelled, soon)
		r.say(ctx, cancelled, "リマインド停止")

		// Completed: the bank visit is done before the reminder fires; the
		// task stays and the worker finds it stale.
		completed := storagetest.UserID()
		r.start(ctx, completed)
		r.say(ctx, completed, "銀行のカード")
		r.pick(ctx, completed, soon)
		r.say(ctx, completed, "行った")
		if st := r.state(ctx, completed); len(st.Reminders) != 1 || st.Reminders[0].ID != "bank_visit" {
			t.Fatalf("completed user's reminders %+v, want bank_visit still listed", st.Reminders)
		}

		// Unfollowed: reminders cancelled, state deleted.
		unfollowed := storagetest.UserID()
		r.start(ctx, unfollowed)
		r.pick(ctx, unfollowed, soon)
		if err := r.proc.Handle(ctx, bot.Event{ID: newEventID(), UserID: unfollowed, Unfollow: true}); err != nil {
			t.Fatal(err)
		}

		// データ削除: reminders cancelled, state deleted.
		erased := storagetest.UserID()
		r.start(ctx, erased)
		r.pick(ctx, erased, soon)
		r.say(ctx, erased, "データ削除")
		r.say(ctx, erased, "削除する")

		// The state vanished but the task was left behind (a cancel that
		// raced with the firing): the worker finds it stale.
		orphaned := storagetest.UserID()
		r.seed(ctx, orphaned, flows.Reminder{ID: "check_mail", Due: soon})
		if err := r.store.Delete(ctx, orphaned); err != nil {
			t.Fatal(err)
		}

		// Rescheduled: the task of the old time finds the state holding
		// another time. (Scheduled directly: the engine cancels the old task.)
		moved := storagetest.UserID()
		r.seed(ctx, moved, flows.Reminder{ID: "check_mail", Due: soon.Add(time.Hour)})
		if err := r.rem.Schedule(ctx, moved, "check_mail", soon); err != nil {
			t.Fatal(err)
		}

		// And one that still applies, to see the worker at work.
		kept := storagetest.UserID()
		r.start(ctx, kept)
		r.pick(ctx, kept, soon)

		// Pushes stay reserved for the kept reminder until everything due ran.
		r.worker(b.Client)
		storagetest.WaitFor(t, ctx, "the due reminders to run", func() bool {
			info, err := r.insp.GetQueueInfo(r.queue)
			return err == nil && info.Pending+info.Active+info.Retry == 0 && info.Scheduled <= 1 && info.Completed >= 4
		})

		pushes := r.fake.Pushes()
		if len(pushes) != 1 || pushes[0].To != kept {
			var to []string
			for _, p := range pushes {
				to = append(to, p.To)
			}
			t.Errorf("pushed to %v, want only the kept reminder's user %s", to, kept)
		}
		if got := r.reminders("stale"); got != 3 {
			t.Errorf("stale = %v, want 3 (completed, orphaned, moved)", got)
		}
		for _, u := range []string{cancelled, unfollowed, erased} {
			if info := r.task(u, "check_mail", soon); info != nil {
				t.Errorf("a cancelled reminder's task is still there: %+v", info)
			}
		}
		if got := r.reminders("failed"); got != 0 {
			t.Errorf("failed = %v, want 0", got)
		}
		r.checkLogs([]string{cancelled, completed, unfollowed, erased, orphaned, moved, kept}, checkMailText, bankVisitText)
	})
}

// A task that comes up at night (a retry, a backlog) waits for 08:00,
// without using up a retry.
func TestReminderAtNightWaitsForTheMorning(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		night := time.Date(2026, 11, 25, 23, 0, 0, 0, flows.Tokyo)
		r := newRemRig(t, b.Client, night)
		user := storagetest.UserID()
		due := r.clock().Truncate(time.Second)
		r.seed(ctx, user, flows.Reminder{ID: "check_mail", Due: due})
		r.worker(b.Client)

		info := r.waitTask(ctx, user, "check_mail", due, asynq.TaskStateRetry)
		morning := time.Date(2026, 11, 26, 8, 0, 0, 0, flows.Tokyo)
		want := realTime(r.clock, morning)
		if d := info.NextProcessAt.Sub(want); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("retry at %v, want about %v (08:00 Tokyo on the worker's clock)", info.NextProcessAt, want)
		}
		if info.Retried != 0 {
			t.Errorf("retried = %d, want 0: waiting for the morning is no failure", info.Retried)
		}
		if st := r.fake.Stats(); st.Pushes != 0 || r.fake.Attempts(linefake.PathPush) != 0 {
			t.Errorf("pushed at night: %+v", st)
		}
		if got := r.reminders("failed"); got != 0 {
			t.Errorf("failed = %v, want 0", got)
		}
	})
}

// A used-up monthly quota is counted, logged once an hour, and retried an
// hour later, not in a loop.
func TestReminderMonthlyQuota(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10, linefake.WithMonthlyQuota(0))
		due := r.clock().Truncate(time.Second)
		users := []string{storagetest.UserID(), storagetest.UserID(), storagetest.UserID()}
		for _, u := range users {
			r.seed(ctx, u, flows.Reminder{ID: "check_mail", Due: due})
		}
		r.worker(b.Client)

		for _, u := range users {
			info := r.waitTask(ctx, u, "check_mail", due, asynq.TaskStateRetry)
			if earliest := time.Now().Add(55 * time.Minute); info.NextProcessAt.Before(earliest) {
				t.Errorf("retry at %v, want an hour later or more", info.NextProcessAt)
			}
		}
		if got := r.counter("fraudnavi_push_quota_exceeded_total", ""); got != float64(len(users)) {
			t.Errorf("quota hits = %v, want %d", got, len(users))
		}
		if got := strings.Count(r.logs.String(), "monthly push quota"); got != 1 {
			t.Errorf("quota logged %d times, want once:\n%s", got, r.logs.String())
		}
		if got := r.fake.Attempts(linefake.PathPush); got != len(users) {
			t.Errorf("%d push attempts, want %d", got, len(users))
		}
		if got := r.reminders("failed"); got != 0 {
			t.Errorf("failed = %v, want 0 while retries remain", got)
		}
	})
}

// What LINE answers decides between retrying and giving up.
func TestReminderPushErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		times     int
		attempts  int  // push requests in all
		delivered bool // finally pushed
	}{
		{"server error then success", http.StatusInternalServerError, "", 2, 3, true},
		{"rate limited then success", http.StatusTooManyRequests, `{"message":"Too many requests"}`, 1, 2, true},
		{"gateway time-out then success", http.StatusGatewayTimeout, "", 1, 2, true},
		{"blocked or unknown user", http.StatusBadRequest, `{"message":"Failed to send messages"}`, 1, 1, false},
		{"forbidden", http.StatusForbidden, "", 1, 1, false},
		// The access token is being rotated: retried with backoff, not
		// archived, and counted as unauthorized (an alert).
		{"access token refused", http.StatusUnauthorized, `{"message":"Authentication failed. Confirm that the access token in the authorization header is valid."}`, 2, 3, true},
	}
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := remCtx(t, time.Minute)
				r := newRemRig(t, b.Client, wednesday10)
				user := storagetest.UserID()
				due := r.clock().Truncate(time.Second)
				r.seed(ctx, user, flows.Reminder{ID: "check_mail", Due: due})
				r.fake.FailNext(linefake.PathPush, tt.status, tt.body, tt.times)
				r.worker(b.Client)

				state := asynq.TaskStateArchived
				if tt.delivered {
					state = asynq.TaskStateCompleted
				}
				r.waitTask(ctx, user, "check_mail", due, state)
				if got := r.fake.Attempts(linefake.PathPush); got != tt.attempts {
					t.Errorf("%d push attempts, want %d", got, tt.attempts)
				}
				wantPushes, wantFailed := 0, 1.0
				if tt.delivered {
					wantPushes, wantFailed = 1, 0
				}
				if got := r.fake.Stats().Pushes; got != wantPushes {
					t.Errorf("%d pushes, want %d", got, wantPushes)
				}
				if got := r.reminders("failed"); got != wantFailed {
					t.Errorf("failed = %v, want %v", got, wantFailed)
				}
				if got := r.counter("fraudnavi_push_quota_exceeded_total", ""); got != 0 {
					t.Errorf("quota hits = %v, want 0", got)
				}
				wantUnauthorized := 0.0
				if tt.status == http.StatusUnauthorized {
					wantUnauthorized = float64(tt.times)
				}
				if got := r.reminders("unauthorized"); got != wantUnauthorized {
					t.Errorf("unauthorized = %v, want %v", got, wantUnauthorized)
				}
				if !tt.delivered && !strings.Contains(r.logs.String(), `"line_request_id"`) {
					t.Errorf("the failure log lacks LINE's request id:\n%s", r.logs.String())
				}
				r.checkLogs([]string{user}, checkMailText)
			})
		}
	})
}

// The queue size gauge counts what waits, and two workers sharing one
// Metrics register it once.
func TestReminderQueueSizeMetric(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		later := r.clock().Add(time.Hour)
		for range 3 {
			r.seed(ctx, storagetest.UserID(), flows.Reminder{ID: "check_mail", Due: later})
		}
		r.worker(b.Client)
		r.worker(secondClient(t, b.Client))
		if got := r.counter("fraudnavi_reminder_queue_size", ""); got != 3 {
			t.Errorf("queue size = %v, want 3", got)
		}
	})
}

// A scrape reads the cached queue size: /metrics answers, with the last
// size read, while Redis hangs (it used to wait 5 s and say NaN).
func TestReminderQueueSizeMetricWhileRedisHangs(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		later := r.clock().Add(time.Hour)
		for range 2 {
			r.seed(ctx, storagetest.UserID(), flows.Reminder{ID: "check_mail", Due: later})
		}
		c := secondClient(t, b.Client)
		h := newHangingRedis()
		c.AddHook(h)
		r.worker(c)
		h.hang()
		t.Cleanup(h.release) // before the worker's shutdown
		if got := r.counter("fraudnavi_reminder_queue_size", ""); got != 2 {
			t.Errorf("queue size while Redis hangs = %v, want 2", got)
		}
	})
}

// hangingRedis is a go-redis hook that, once hang is called, holds every
// command until its context ends or release is called, as a frozen Redis
// does until it thaws. Release lets commands without a deadline (asynq's
// on a Cluster) finish, so the worker can shut down.
type hangingRedis struct {
	hanging  atomic.Bool
	released chan struct{}
}

func newHangingRedis() *hangingRedis { return &hangingRedis{released: make(chan struct{})} }

func (h *hangingRedis) hang()    { h.hanging.Store(true) }
func (h *hangingRedis) release() { h.hanging.Store(false); close(h.released) }

func (h *hangingRedis) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-h.released:
		return nil
	}
}

func (h *hangingRedis) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *hangingRedis) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.hanging.Load() {
			if err := h.wait(ctx); err != nil {
				return err
			}
		}
		return next(ctx, cmd)
	}
}

func (h *hangingRedis) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.hanging.Load() {
			if err := h.wait(ctx); err != nil {
				return err
			}
		}
		return next(ctx, cmds)
	}
}

func TestReminderWorkerStartErrors(t *testing.T) {
	emb := storagetest.Embedded(t)
	incomplete := &bot.ReminderWorker{Users: storagetest.UserKeys(), Queue: storage.NewReminders(emb.Client(), nil, storage.WithTaskUserKeys(storagetest.UserKeys()))}
	if err := incomplete.Start(context.Background()); err == nil {
		t.Error("Start without Engine, Store and LINE = nil, want an error")
	}
	r := newRemRig(t, emb.Client(), wednesday10)
	w := r.worker(emb.Client())
	w.Queue = storage.NewReminders(emb.Client(), r.clock, storage.WithTaskUserKeys(storagetest.UserKeys()))
	if err := w.Start(context.Background()); err == nil {
		t.Error("second Start = nil, want an error")
	}
}

func TestRetryKey(t *testing.T) {
	a := bot.RetryKey("k:check_mail:1")
	if a != bot.RetryKey("k:check_mail:1") {
		t.Error("RetryKey is not deterministic")
	}
	if a == bot.RetryKey("k:check_mail:2") {
		t.Error("RetryKey does not tell tasks apart")
	}
	if len(a) != 36 || strings.Count(a, "-") != 4 {
		t.Errorf("RetryKey = %q, want a UUID", a)
	}
}

// TestReminderScale measures how long 10,000 reminders due at the same moment
// take to reach the fake LINE API with two workers, and checks that none is
// pushed twice. It runs only when FRAUDNAVI_REMINDER_SCALE is set (to 1, or
// to another number of reminders):
//
//	FRAUDNAVI_REMINDER_SCALE=1 FRAUDNAVI_TEST_REDIS_URL=redis://127.0.0.1:6379/14 \
//		go test ./bot -run TestReminderScale -v
func TestReminderScale(t *testing.T) {
	env := os.Getenv("FRAUDNAVI_REMINDER_SCALE")
	if env == "" {
		t.Skip("set FRAUDNAVI_REMINDER_SCALE=1 to push 10,000 reminders")
	}
	n := 10000
	if v, err := strconv.Atoi(env); err == nil && v > 1 {
		n = v
	}
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, 10*time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		r.log = slog.New(slog.DiscardHandler)
		// Seed ahead of the moment, so that all are waiting when it comes.
		due := r.clock().Add(20 * time.Second).Truncate(time.Second)
		seedStart := time.Now()
		remSeedMany(t, ctx, r, n, due)
		t.Logf("seeded %d users and reminders in %v", n, time.Since(seedStart).Round(time.Millisecond))
		moment := realTime(r.clock, due)
		if time.Now().After(moment) {
			t.Logf("seeding overran the due moment by %v", time.Since(moment))
		}
		defaults := func(w *bot.ReminderWorker) { w.PollInterval = 0; w.Backoff = nil; w.Log = r.log } // as in production
		r.worker(b.Client, defaults)
		r.worker(secondClient(t, b.Client), defaults)

		if err := r.fake.WaitPushes(ctx, n); err != nil {
			t.Fatal(err)
		}
		took := time.Since(moment)
		r.waitDrained(ctx)
		st := r.fake.Stats()
		seen := map[string]bool{}
		dups := 0
		for _, p := range r.fake.Pushes() {
			if seen[p.To] {
				dups++
			}
			seen[p.To] = true
		}
		t.Logf("%s: %d reminders due at one moment reached the fake LINE API %v after it (two workers, concurrency %d each); pushes %d, 409s %d, duplicates %d, rejected %d",
			b.Name, n, took.Round(time.Millisecond), bot.DefaultReminderConcurrency, st.Pushes, st.Conflicts, dups, st.Rejected)
		if st.Pushes != n || dups != 0 || len(seen) != n || st.Rejected != 0 {
			t.Errorf("pushes %d to %d users, %d duplicates, %d rejected; want %d once each", st.Pushes, len(seen), dups, st.Rejected, n)
		}
	})
}

// Killing a worker process with SIGKILL mid-push. The child process is this
// test binary running TestReminderWorkerChild.
const (
	envKill      = "FRAUDNAVI_REMINDER_KILL"
	envKillChild = "FRAUDNAVI_REMINDER_KILL_CHILD"
)

// remChildConfig is what the child worker process needs.
type remChildConfig struct {
	RedisURL string
	LineURL  string
	Token    string
	Queue    string
	Offset   time.Duration // of the worker clock from real time
}

// TestReminderWorkerProcessKilledMidPush kills a worker process right after
// LINE accepted its push (the answer never reached it). asynq gives the
// dead worker's task to another worker once its lease has run out (30 s,
// plus 30 s of grace, checked every minute), which pushes it again with the
// same retry key: LINE answers 409 and the user receives it once. It takes
// one to two minutes, so it runs only when FRAUDNAVI_REMINDER_KILL is set.
func TestReminderWorkerProcessKilledMidPush(t *testing.T) {
	if os.Getenv(envKill) == "" {
		t.Skip("set " + envKill + "=1 to kill a worker process mid-push (takes 1-2 minutes)")
	}
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		var url string
		switch b.Name {
		case "embedded":
			url = "redis://" + b.Client.(*redis.Client).Options().Addr
		case "redis":
			url = os.Getenv(storagetest.EnvRedisURL)
		default:
			t.Skip("the child process runs on a single server")
		}
		ctx := remCtx(t, 4*time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		user := storagetest.UserID()
		due := r.clock().Truncate(time.Second)
		r.seed(ctx, user, flows.Reminder{ID: "check_mail", Due: due})
		r.fake.DropResponseAfterAccept(1)

		cfg, _ := json.Marshal(remChildConfig{
			RedisURL: url, LineURL: r.fake.URL(), Token: r.fake.Token(), Queue: r.queue,
			Offset: time.Until(r.clock()),
		})
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReminderWorkerChild$", "-test.v")
		cmd.Env = append(os.Environ(), envKillChild+"="+string(cfg))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pushed := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "PUSHED" {
					close(pushed)
				}
			}
		}()
		select {
		case <-pushed:
		case <-ctx.Done():
			cmd.Process.Kill()
			t.Fatal("the child worker never pushed")
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if info := r.task(user, "check_mail", due); info == nil || info.State != asynq.TaskStateActive {
			t.Fatalf("after the kill the task is %+v, want it still active", info)
		}
		if st := r.fake.Stats(); st.Pushes != 1 || st.Dropped != 1 {
			t.Fatalf("fake stats %+v, want the push accepted and its answer dropped", st)
		}

		r.worker(secondClient(t, b.Client))
		r.waitTask(ctx, user, "check_mail", due, asynq.TaskStateCompleted)
		st := r.fake.Stats()
		if st.Pushes != 1 || st.Conflicts != 1 {
			t.Errorf("fake stats %+v, want 1 push and 1 conflict (409)", st)
		}
		if got := r.fake.PushesTo(user); len(got) != 1 {
			t.Errorf("user received %d pushes, want 1", len(got))
		}
		// The dead worker's entries in asynq's server lists have expired;
		// asynq prunes such entries lazily, this does it now.
		now := strconv.FormatInt(time.Now().Unix(), 10)
		b.Client.ZRemRangeByScore(ctx, "asynq:servers", "-inf", now)
		b.Client.ZRemRangeByScore(ctx, "asynq:workers", "-inf", now)
	})
}

// TestReminderWorkerChild is the worker process that
// TestReminderWorkerProcessKilledMidPush kills.
func TestReminderWorkerChild(t *testing.T) {
	raw := os.Getenv(envKillChild)
	if raw == "" {
		t.Skip("the child process of TestReminderWorkerProcessKilledMidPush")
	}
	var cfg remChildConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb, err := storage.Open(ctx, cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	g, err := flows.Load(os.DirFS("../flows/testdata/mini"))
	if err != nil {
		t.Fatal(err)
	}
	lc, err := line.NewClient(cfg.Token, cfg.LineURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := flows.Clock(func() time.Time { return time.Now().Add(cfg.Offset) })
	w := &bot.ReminderWorker{Users: storagetest.UserKeys(),
		Engine: flows.NewEngine(g),
		Store:  storage.NewStateStore(rdb, clock, storage.WithUserKeys(storagetest.UserKeys())),
		LINE:   pushThenHang{lc},
		Clock:  clock,
		Queue:  storage.NewReminders(rdb, clock, storage.WithTaskUserKeys(storagetest.UserKeys()), storage.WithReminderQueue(cfg.Queue)),
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

// pushThenHang pushes, tells the parent, and never returns.
type pushThenHang struct{ inner bot.Pusher }

func (p pushThenHang) Push(to, key string, r flows.Reply) error {
	p.inner.Push(to, key, r)
	fmt.Println("PUSHED")
	select {}
}

// TestLegacyReminderTaskIsPushed: a reminder scheduled by a release before
// keyed user keys has a task id named by the unsalted hash of the user id.
// After the upgrade it still reaches the user, once, when due.
func TestLegacyReminderTaskIsPushed(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := remCtx(t, time.Minute)
		r := newRemRig(t, b.Client, wednesday10)
		user := storagetest.UserID()
		r.start(ctx, user)
		due := r.clock().Add(3 * time.Second).Truncate(time.Second)
		r.pick(ctx, user, due)
		// Put the task back under the id the older release gave it.
		task := r.task(user, "check_mail", due)
		if task == nil {
			t.Fatal("the picked reminder was not scheduled")
		}
		if err := r.insp.DeleteTask(r.queue, task.ID); err != nil {
			t.Fatal(err)
		}
		legacyID := storagetest.LegacyUserKey(user) + ":check_mail:" + strconv.FormatInt(due.Unix(), 10)
		if _, err := asynq.NewClientFromRedisClient(b.Client).EnqueueContext(ctx, asynq.NewTask(storage.ReminderTaskType, task.Payload,
			asynq.TaskID(legacyID), asynq.Queue(r.queue), asynq.ProcessAt(realTime(r.clock, due).Add(time.Second)),
			asynq.Retention(storage.ReminderRetention))); err != nil {
			t.Fatal(err)
		}
		r.worker(b.Client)
		if err := r.fake.WaitPushes(ctx, 1); err != nil {
			t.Fatal(err)
		}
		storagetest.WaitFor(t, ctx, "the legacy task to complete", func() bool {
			info, err := r.insp.GetTaskInfo(r.queue, legacyID)
			return err == nil && info.State == asynq.TaskStateCompleted
		})
		if pushes := r.fake.Pushes(); len(pushes) != 1 || pushes[0].To != user || !slices.Equal(pushes[0].Texts(), []string{checkMailText}) {
			t.Fatalf("pushes %+v, want the check_mail reminder to the user, once", pushes)
		}
	})
}
