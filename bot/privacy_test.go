package bot

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
	"github.com/redis/go-redis/v9"
)

// What a victim types in TestNothingTypedIsKept: their own name, phone and
// mail, card numbers, a one-time code, passwords. None of it may be stored,
// logged or sent back.
var (
	typed = []string{
		"山田花子です。携帯は090-1234-5678、メールはhanako.yamada@example.jp です",
		"カード番号は4111 1111 1111 1111です",
		"４１１１－１１１１－１１１１－１１１１",
		"5555-5555-5555-4444 12/27 737",
		"確認コードは839201でした",
		"パスワードはHanako#2024です",
		"Tanaka2024!",
		"どうしよう、さっき 3782 822463 10005 を入力してしまった",
	}
	// secretParts are the pieces of typed that must appear nowhere, in any
	// spelling the bot might have turned them into.
	secretParts = []string{
		"山田花子", "090-1234-5678", "09012345678", "hanako.yamada",
		"4111111111111111", "4111 1111", "5555555555554444", "378282246310005", "3782 822463",
		"839201", "Hanako#2024", "Tanaka2024",
	}
)

// TestNothingTypedIsKept runs a whole conversation through the real handler
// (the real flows, Redis, the strict LINE fake) in which the victim types
// their own details, card numbers and secrets, and LINE and Redis fail once
// each. After every event it dumps every Redis key and value, and at the
// end every log line (debug level), every reply sent and the metrics: none
// may hold a typed text, a raw user id, the channel secret or token, or
// anything that looks like a card number.
func TestNothingTypedIsKept(t *testing.T) {
	forEachDate(t, func(t *testing.T, when time.Time) {
		storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
			h := newHarness(t, b, loadFlows(t, ""), at(when))
			queue := storagetest.ReminderQueue(t, h.rdb, "test_privacy_")
			h.proc.Scheduler = h.realScheduler(queue)
			writes := recordCommands(h.rdb)
			user := storagetest.UserID()
			var dumps []string
			send := func(ev linefake.Event) {
				t.Helper()
				if code := h.post(ev); code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
				dumps = append(dumps, dumpRedis(t, h.rdb, b.Name == "embedded", user, queue)...)
			}

			send(h.follow(user))
			send(h.tap(user, "Amazonの乗っ取り・注文"))
			for i, s := range typed {
				ev := h.text(user, s)
				if i == 2 {
					// LINE refuses the reply: its error is logged.
					h.fake.FailNext(linefake.PathReply, http.StatusBadRequest, "", 1)
				}
				send(ev)
				if i != 0 && i != 2 {
					if rs := h.replyTo(ev); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "送信取消") {
						t.Fatalf("%q: reply %+v, want one asking to unsend the message (送信取消)", s, rs)
					}
				}
				if i == 4 {
					// LINE sends it again; it is acknowledged, not answered twice.
					send(ev.Redelivered())
					if rs := h.replyTo(ev); len(rs) != 1 {
						t.Fatalf("a redelivery was answered again: %d replies", len(rs))
					}
				}
			}
			send(h.text(user, "ｶｰﾄﾞ会社の電話"))
			send(h.tap(user, "番号がわかった・次へ"))
			send(linefake.StickerEvent(user, linefake.ReplyTokenFrom(h.fake)))
			send(h.text(user, "進捗"))
			send(h.text(user, "相談窓口"))
			send(h.tap(user, "かけた・次へ"))
			send(h.tap(user, "必要と言われた"))
			send(h.tap(user, "通知を受け取る")) // a reminder task in asynq
			// Requests refused before any processing, carrying a card number.
			card := linefake.Body("", h.text(user, typed[1]))
			if code := h.postBody(card, false); code != http.StatusBadRequest {
				t.Fatalf("unsigned: status %d", code)
			}
			if code := h.postBody(card[:len(card)-3], true); code != http.StatusBadRequest {
				t.Fatalf("malformed: status %d", code)
			}
			if st := h.state(user); st.Step != "amazon_police" || len(st.Reminders) != 1 {
				t.Fatalf("the conversation did not go on: at %q with reminders %v", st.Step, st.Reminders)
			}

			// Everything the bot kept or said.
			kept := map[string][]string{"redis": dumps, "redis commands": writes.lines(), "logs": strings.Split(h.logs.String(), "\n")}
			for _, r := range h.fake.Replies() {
				kept["replies"] = append(kept["replies"], string(r.Body))
			}
			// Our own metrics' names and labels; the Go runtime's hold nothing
			// of users, and long float values could pass for card numbers.
			for _, l := range strings.Split(scrape(t, h), "\n") {
				if name, _, ok := strings.Cut(l, " "); ok && strings.HasPrefix(l, "fraudnavi_") {
					kept["metrics"] = append(kept["metrics"], name) // with its labels, not its value
				}
			}
			if len(dumps) == 0 || !slices.ContainsFunc(dumps, func(s string) bool { return strings.Contains(s, storagetest.UserKeys().Key(user)) }) {
				t.Fatal("the Redis dump holds nothing of the user: the test is not looking")
			}
			if !slices.ContainsFunc(writes.lines(), func(s string) bool { return strings.Contains(s, "\"t\":") }) {
				t.Fatal("no outbox among the Redis commands: the test is not looking")
			}
			if !slices.ContainsFunc(dumps, func(s string) bool { return strings.HasPrefix(s, "asynq:{"+queue+"}:t:") }) {
				t.Fatal("no reminder task in the Redis dump: the test is not looking")
			}
			if !strings.Contains(h.logs.String(), "reply refused") {
				t.Fatal("no log line from the failed reply: the test is not looking")
			}
			assertNothingKept(t, kept, append(append(slices.Clone(typed), secretParts...), user, testSecret, h.fake.Token()))
		})
	})
}

// TestNothingTypedIsKeptWhenRedisFails: a card number sent while Redis is
// down is answered 503, the error logged, and applied on the redelivery;
// neither the log nor Redis holds it.
func TestNothingTypedIsKeptWhenRedisFails(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, ""), withProxy())
		writes := recordCommands(h.rdb)
		user := storagetest.UserID()
		h.post(h.follow(user))
		ev := h.text(user, typed[1])
		h.proxy.Cut()
		if code := h.post(ev); code != http.StatusServiceUnavailable {
			t.Fatalf("Redis down: status %d, want 503", code)
		}
		h.proxy.Restore()
		if code := h.post(ev.Redelivered()); code != http.StatusOK {
			t.Fatalf("redelivery: status %d", code)
		}
		if !strings.Contains(h.logs.String(), "redis unavailable") {
			t.Fatal("no log line from the outage: the test is not looking")
		}
		kept := map[string][]string{
			"redis":          dumpRedis(t, h.rdb, b.Name == "embedded", user, ""),
			"redis commands": writes.lines(),
			"logs":           strings.Split(h.logs.String(), "\n"),
		}
		assertNothingKept(t, kept, append(append(slices.Clone(typed), secretParts...), user, testSecret, h.fake.Token()))
	})
}

// randomIDs are reply tokens, hashed user keys, event ids and LINE's request
// ids (UUIDs): random hex or base32 runs of 24 characters or more, or
// hyphenated hex groups, whose digits can by chance pass for a card number
// (a UUID's "1350-8176-4246-8268" did). A card number typed by a user is
// 13–19 digits.
var randomIDs = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{24,}|[0-9A-HJKMNP-TV-Z]{26}`)

// assertNothingKept fails for every line of kept that holds one of never,
// in any width or grouping, or a card number.
func assertNothingKept(t *testing.T, kept map[string][]string, never []string) {
	t.Helper()
	for where, lines := range kept {
		for _, line := range lines {
			folded := flows.Normalize(line)
			for _, s := range never {
				if strings.Contains(line, s) || strings.Contains(folded, flows.Normalize(s)) {
					t.Errorf("%s holds %q: %.300s", where, s, line)
				}
			}
			if flows.ContainsCardNumber(randomIDs.ReplaceAllString(line, "<id>")) {
				t.Errorf("%s holds a card number: %.300s", where, line)
			}
		}
	}
}

// dumpRedis returns every key of a private Redis, or on a shared one (other
// tests write there at the same time) the user's keys, any key whose name
// holds their id and the keys of the asynq queue, with its type and each of its values, one string per
// value: "key type field value". Sorted-set scores are left out (they are
// times).
func dumpRedis(t *testing.T, rdb redis.UniversalClient, private bool, user, queue string) []string {
	t.Helper()
	ctx := context.Background()
	keys := storagetest.ScanKeys(t, rdb, "*")
	if !private {
		patterns := []string{"fraudnavi:{u:" + storagetest.UserKeys().Key(user) + "}*", "*" + user + "*"}
		if queue != "" {
			patterns = append(patterns, "asynq:{"+queue+"}*")
		}
		keys = storagetest.ScanKeys(t, rdb, patterns...)
	}
	var out []string
	for _, k := range keys {
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			t.Fatalf("type %s: %v", k, err)
		}
		line := func(parts ...string) { out = append(out, k+" "+typ+" "+strings.Join(parts, " ")) }
		n := len(out)
		switch typ {
		case "none": // gone since the scan
		case "string":
			v, _ := rdb.Get(ctx, k).Result()
			line(v)
		case "hash":
			m, _ := rdb.HGetAll(ctx, k).Result()
			for f, v := range m {
				line(f, v)
			}
		case "zset":
			ms, _ := rdb.ZRange(ctx, k, 0, -1).Result()
			for _, m := range ms {
				line(m)
			}
		case "list":
			vs, _ := rdb.LRange(ctx, k, 0, -1).Result()
			line(vs...)
		case "set":
			vs, _ := rdb.SMembers(ctx, k).Result()
			line(vs...)
		case "stream":
			xs, _ := rdb.XRange(ctx, k, "-", "+").Result()
			for _, x := range xs {
				line(x.ID, fmt.Sprint(x.Values))
			}
		default:
			t.Fatalf("key %s of unexpected type %s", k, typ)
		}
		if typ != "none" && len(out) == n {
			line() // the key name alone
		}
	}
	return out
}

// realScheduler schedules reminders in asynq as serve does, the user id
// sealed with the channel secret, on the harness's clock.
func (h *harness) realScheduler(queue string) Scheduler {
	rem := storage.NewReminders(h.rdb, h.clock.Now, storage.WithTaskUserKeys(storagetest.UserKeys()), storage.WithReminderQueue(queue), storage.WithPayloadKey([]byte(testSecret)))
	return ReminderScheduler{Reminders: rem}
}

// recordingScheduler passes reminder changes on and remembers them.
type recordingScheduler struct {
	Scheduler
	mu   sync.Mutex
	done []string
}

func (s *recordingScheduler) Schedule(ctx context.Context, userID string, c flows.ReminderChange) error {
	s.record("schedule " + c.ID)
	return s.Scheduler.Schedule(ctx, userID, c)
}

func (s *recordingScheduler) Cancel(ctx context.Context, userID string, c flows.ReminderChange) error {
	s.record("cancel " + c.ID)
	return s.Scheduler.Cancel(ctx, userID, c)
}

func (s *recordingScheduler) record(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = append(s.done, call)
}

func (s *recordingScheduler) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.done)
}

// commandRecorder is a go-redis hook keeping the arguments of every command
// sent: it sees what is written even when it is gone by the time a test
// could look (an outbox, cleared before the webhook is answered).
type commandRecorder struct {
	mu   sync.Mutex
	cmds []string
}

// ours are the commands the tests themselves send to look at Redis.
var ours = map[string]bool{
	"scan": true, "type": true, "get": true, "hgetall": true, "zrange": true, "lrange": true,
	"smembers": true, "xrange": true, "cluster": true, "ping": true, "hello": true, "client": true,
}

func recordCommands(rdb redis.UniversalClient) *commandRecorder {
	r := &commandRecorder{}
	rdb.AddHook(r)
	return r
}

func (r *commandRecorder) record(cmds ...redis.Cmder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cmds {
		if ours[c.Name()] {
			continue
		}
		var args []string
		for _, a := range c.Args() {
			switch v := a.(type) {
			case []byte:
				args = append(args, string(v)) // not a list of numbers
			case int, int64, float64:
				// Versions, times in milliseconds, TTLs: numbers the bot
				// computes, which could pass for card numbers.
				args = append(args, "#")
			default:
				args = append(args, fmt.Sprint(v))
			}
		}
		r.cmds = append(r.cmds, strings.Join(args, " | "))
	}
}

func (r *commandRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.cmds)
}

func (r *commandRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *commandRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.record(cmd)
		return next(ctx, cmd)
	}
}

func (r *commandRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.record(cmds...)
		return next(ctx, cmds)
	}
}

func scrape(t *testing.T, h *harness) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathMetrics, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "fraudnavi_events_total") {
		t.Fatalf("metrics: %d %.200s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// TestDataDeletionForgetsEverything: データ削除 then 削除する, and an
// unfollow, each leave no key of the user and no trace of their id in Redis,
// and cancel the reminders they had.
func TestDataDeletionForgetsEverything(t *testing.T) {
	forEachDate(t, func(t *testing.T, when time.Time) {
		for _, how := range []string{"データ削除", "unfollow"} {
			t.Run(how, func(t *testing.T) {
				storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
					h := newHarness(t, b, loadFlows(t, miniFlows), at(when))
					queue := storagetest.ReminderQueue(t, h.rdb, "test_privacy_")
					sched := &recordingScheduler{Scheduler: h.realScheduler(queue)}
					h.proc.Scheduler = sched
					user, other := storagetest.UserID(), storagetest.UserID()
					hash := storagetest.UserKeys().Key(user)
					tasks := func() []string { return storagetest.ScanKeys(t, h.rdb, "asynq:{"+queue+"}:t:"+hash+"*") }
					for _, u := range []string{other, user} {
						h.post(h.follow(u))
						h.post(h.tap(u, "カードの請求"))
						h.post(h.tap(u, "電話した"))
						h.post(h.tap(u, "通知を受け取る"))
					}
					mine := "fraudnavi:{u:" + storagetest.UserKeys().Key(user) + "}*"
					if keys := storagetest.ScanKeys(t, h.rdb, mine); len(keys) != 2 || len(h.state(user).Reminders) != 1 || len(tasks()) != 1 {
						t.Fatalf("setup: keys %v, tasks %v, state %+v", keys, tasks(), h.state(user))
					}

					if how == "unfollow" {
						if code := h.post(linefake.UnfollowEvent(user)); code != http.StatusOK {
							t.Fatalf("unfollow: status %d", code)
						}
					} else {
						h.post(h.text(user, "データ削除"))
						last := h.tap(user, "削除する")
						if code := h.post(last); code != http.StatusOK {
							t.Fatalf("delete: status %d", code)
						}
						if rs := h.replyTo(last); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "削除しました") {
							t.Fatalf("delete reply %+v", rs)
						}
					}

					if keys := storagetest.ScanKeys(t, h.rdb, mine); len(keys) != 0 {
						t.Fatalf("after %s Redis still holds %v", how, keys)
					}
					if ts := tasks(); len(ts) != 0 {
						t.Fatalf("after %s the reminder task is still queued: %v", how, ts)
					}
					for _, line := range dumpRedis(t, h.rdb, b.Name == "embedded", user, queue) {
						if strings.Contains(line, hash) || strings.Contains(line, user) {
							t.Fatalf("after %s Redis still holds %.200s", how, line)
						}
					}
					if !slices.Contains(sched.calls(), "cancel check_mail") {
						t.Fatalf("reminder calls %v: the reminder was not cancelled", sched.calls())
					}
					// Everyone else is untouched.
					if st := h.state(other); st.Step != "card_kind" || len(st.Reminders) != 1 {
						t.Fatalf("the other user lost their state: %+v", st)
					}
					if ts := storagetest.ScanKeys(t, h.rdb, "asynq:{"+queue+"}:t:"+storagetest.UserKeys().Key(other)+"*"); len(ts) != 1 {
						t.Fatalf("the other user's reminder is gone: %v", ts)
					}
					h.noRejections()
				})
			})
		}
	})
}

// TestDeletionIsConfirmedOnlyOnceDone: when Redis fails just as the data is
// to be deleted, the user is not told 削除しました, LINE is asked to
// redeliver, and the redelivery deletes and then confirms, once.
func TestDeletionIsConfirmedOnlyOnceDone(t *testing.T) {
	forEachDate(t, func(t *testing.T, when time.Time) {
		storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
			h := newHarness(t, b, loadFlows(t, miniFlows), at(when))
			h.proc.Scheduler = h.realScheduler(storagetest.ReminderQueue(t, h.rdb, "test_privacy_"))
			user := storagetest.UserID()
			mine := "fraudnavi:{u:" + storagetest.UserKeys().Key(user) + "}*"
			h.post(h.follow(user))
			h.post(h.tap(user, "カードの請求"))
			h.post(h.text(user, "データ削除"))
			ev := h.tap(user, "削除する")

			fail := &failOnce{name: "del"}
			h.rdb.AddHook(fail)
			if code := h.post(ev); code != http.StatusServiceUnavailable {
				t.Fatalf("deletion failed: status %d, want 503 so that LINE redelivers", code)
			}
			if rs := h.replyTo(ev); len(rs) != 0 {
				t.Fatalf("told %q while the data is still there", rs[0].Texts())
			}
			if code := h.post(ev.Redelivered()); code != http.StatusOK {
				t.Fatalf("redelivery: status %d", code)
			}
			if keys := storagetest.ScanKeys(t, h.rdb, mine); len(keys) != 0 {
				t.Fatalf("after the redelivery Redis still holds %v", keys)
			}
			if rs := h.replyTo(ev); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "削除しました") {
				t.Fatalf("replies %+v, want 削除しました once", rs)
			}
			h.noRejections()
		})
	})
}

// failOnce is a go-redis hook failing the first command called name as if
// the connection broke.
type failOnce struct {
	name string
	done atomic.Bool
}

func (f *failOnce) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *failOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == f.name && f.done.CompareAndSwap(false, true) {
			err := &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (f *failOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
