package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestFaultRedisAnswerLost is the deterministic form of what
// TestFaultRedisRestart finds by chance: Redis executes one of the bot's
// scripts, and the answer never reaches the bot (Redis went down right after
// executing it, or the connection broke). go-redis then retries the command
// on a new connection, or the bot gets an error and answers 503, and LINE
// redelivers. Either way the event must still be replied to exactly once.
//
// A proxy between the bot's Redis client and redis-server passes every
// command, but for the one it is armed for it forwards the command, lets
// Redis execute it, and closes both connections instead of passing the
// answer back. The processor is wired as `fraudnavi serve` wires it, with a
// client from storage.Open (go-redis defaults: 3 retries).
func TestFaultRedisAnswerLost(t *testing.T) {
	h := setup(t, false)
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	eng := flows.NewEngine(g)
	p, err := startDropProxy(h.redis.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)

	for _, tc := range []struct {
		name string
		// match is how the armed command starts on the wire: go-redis sends
		// EVALSHA <sha> <numkeys> <keys...> <args...>; the clear script has
		// 1 key and 1 argument (5 elements), the apply script 2 keys and 11
		// arguments (16).
		match string
		// remind: the event accepts a reminder offer (its outbox schedules
		// it), else it is a typed ヘルプ.
		remind bool
	}{
		// A reply alone leaves its outbox for the next apply; an outbox with
		// reminders is cleared at once, so the clear's lost answer is tried
		// on a reminder acceptance.
		{"clear outbox", "*5\r\n$7\r\nevalsha\r\n", true},
		{"apply", "*16\r\n$7\r\nevalsha\r\n", false},
		{"apply of a reminder acceptance", "*16\r\n$7\r\nevalsha\r\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, err := storage.Open(h.ctx, "redis://"+p.addr()+"/0")
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			rep := &countingReplier{}
			proc := &bot.Processor{Users: storagetest.UserKeys(),
				Engine: eng,
				Store:  storage.NewStateStore(rdb, clock, storage.WithUserKeys(storagetest.UserKeys())),
				LINE:   rep,
				Scheduler: bot.ReminderScheduler{
					Reminders: storage.NewReminders(rdb, clock, storage.WithTaskUserKeys(storagetest.UserKeys()), storage.WithPayloadKey([]byte(load.DefaultSecret))),
				},
				Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
				Metrics: bot.NewMetrics(),
				Clock:   clock,
			}
			user := linefake.NewUserID()
			n := 0
			send := func(in flows.Input) (bot.Event, error) {
				n++
				ev := bot.Event{ID: fmt.Sprintf("01EV%d%s", n, user), UserID: user, ReplyToken: fmt.Sprintf("token-%d", n), Input: in}
				return ev, proc.Handle(h.ctx, ev)
			}
			ev, err := send(flows.Input{Kind: flows.InputFollow})
			if err != nil {
				t.Fatal(err)
			}
			in := flows.Input{Kind: flows.InputText, Text: "ヘルプ"}
			if tc.remind {
				// Walk the flow to a step that offers a reminder; the
				// acceptance is the event whose answer gets lost.
				path := pathToOffer(eng.Graph())
				if path == nil {
					t.Fatal("no step offers a reminder")
				}
				for _, i := range path {
					data, ok := rep.quick(ev.ReplyToken, fmt.Sprintf("c=%d&", i))
					if !ok {
						t.Fatalf("reply to %s offers no choice %d", ev.ReplyToken, i)
					}
					if ev, err = send(flows.Input{Kind: flows.InputPostback, Data: data}); err != nil {
						t.Fatal(err)
					}
				}
				data, ok := rep.quick(ev.ReplyToken, "r=a&")
				if !ok {
					t.Fatalf("the offer step's reply has no accept button")
				}
				in = flows.Input{Kind: flows.InputPostback, Data: data}
			}

			p.arm(tc.match)
			n++
			ev = bot.Event{ID: fmt.Sprintf("01EV%d%s", n, user), UserID: user, ReplyToken: fmt.Sprintf("token-%d", n), Input: in}
			err = proc.Handle(h.ctx, ev)
			if !p.fired() {
				t.Fatalf("the proxy never saw the %s command", tc.name)
			}
			deliveries := 1
			t.Logf("delivery 1: Handle returned %v (the webhook answers %s)", err, answer(err))
			// LINE redelivers what was not answered 2xx, a few times.
			for err != nil && deliveries < 5 {
				deliveries++
				err = proc.Handle(h.ctx, ev)
				t.Logf("delivery %d (redelivery): Handle returned %v (%s)", deliveries, err, answer(err))
			}
			rec, seen, lerr := proc.Store.Load(h.ctx, user, ev.ID)
			if lerr != nil {
				t.Fatal(lerr)
			}
			t.Logf("after %d deliveries: applied=%v version=%d outbox pending=%v (of event %q); replies to its token: %d",
				deliveries, seen, rec.Version, rec.Outbox != nil, rec.OutboxEvent, rep.count(ev.ReplyToken))
			if !seen || rec.Version != int64(n) {
				t.Errorf("event applied=%v, version %d, want applied once (version %d)", seen, rec.Version, n)
			}
			if tc.remind {
				var st flows.State
				if err := json.Unmarshal(rec.State, &st); err != nil {
					t.Fatal(err)
				}
				scheduled, _, err := reminderTasks(h.rdb)
				if err != nil {
					t.Fatal(err)
				}
				if len(st.Reminders) == 0 {
					t.Errorf("the state holds no reminder after the acceptance")
				}
				for _, r := range st.Reminders {
					id := storagetest.UserKeys().TaskID(user, r.ID, r.Due)
					t.Logf("reminder %s held by the state; scheduled: %v", r.ID, scheduled[id])
					if !scheduled[id] {
						t.Errorf("reminder lost: the state holds %s (due %v) but no task is scheduled, and the event was answered 2xx", r.ID, r.Due)
					}
				}
			}
			if got := rep.count(ev.ReplyToken); got != 1 {
				t.Errorf("the event was answered 2xx after %d deliveries, so LINE sends it no more, but its reply was sent %d times, want 1", deliveries, got)
				if rec.Outbox != nil {
					// Show where the outbox went: the user's next event performs it.
					if _, err := send(flows.Input{Kind: flows.InputText, Text: "進捗"}); err == nil {
						t.Logf("the user's next event performed it: now %d replies to its token (late: a real reply token may have expired)", rep.count(ev.ReplyToken))
					}
				}
			}
		})
	}
}

// pathToOffer returns the choice indices from the start step to the
// nearest step that offers a reminder.
func pathToOffer(g *flows.Graph) []int {
	type node struct {
		id   string
		path []int
	}
	seen := map[string]bool{g.Start: true}
	queue := []node{{id: g.Start}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		st := g.Steps[n.id]
		if st.Offer != "" && n.id != g.Start {
			return n.path
		}
		for i, c := range st.Choices {
			if !seen[c.Next] {
				seen[c.Next] = true
				queue = append(queue, node{id: c.Next, path: append(append([]int(nil), n.path...), i)})
			}
		}
	}
	return nil
}

func answer(err error) string {
	if err == nil {
		return "200"
	}
	return "503/500"
}

// countingReplier records replies by token.
type countingReplier struct {
	mu   sync.Mutex
	n    map[string]int
	last map[string]flows.Reply
}

func (r *countingReplier) Reply(token string, rp flows.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n, r.last = map[string]int{}, map[string]flows.Reply{}
	}
	r.n[token]++
	r.last[token] = rp
	return nil
}

// quick returns the data of the quick reply to token whose data starts
// with prefix.
func (r *countingReplier) quick(token, prefix string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.last[token].QuickReplies {
		if strings.HasPrefix(q.Data, prefix) {
			return q.Data, true
		}
	}
	return "", false
}

func (r *countingReplier) count(token string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[token]
}

// dropProxy forwards TCP to Redis. Armed with a prefix, it lets the next
// command starting with it reach Redis, waits for Redis to execute it, and
// closes both connections without passing the answer on.
type dropProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Pointer[string]
	hits   atomic.Int32
	wg     sync.WaitGroup
}

func startDropProxy(target string) (*dropProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &dropProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	return p, nil
}

func (p *dropProxy) addr() string { return p.ln.Addr().String() }

func (p *dropProxy) arm(prefix string) { p.armed.Store(&prefix) }

func (p *dropProxy) fired() bool { return p.hits.Load() > 0 }

func (p *dropProxy) close() { p.ln.Close(); p.wg.Wait() }

func (p *dropProxy) pipe(c net.Conn) {
	s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	var blackhole atomic.Bool
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := s.Read(buf)
			if n > 0 && !blackhole.Load() {
				if _, werr := c.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		c.Close()
	}()
	buf := make([]byte, 64<<10)
	for {
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		n, err := c.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if m := p.armed.Load(); m != nil && bytes.HasPrefix(bytes.ToLower(chunk), []byte(*m)) && p.armed.CompareAndSwap(m, nil) {
				blackhole.Store(true)
				_, _ = s.Write(chunk)
				time.Sleep(100 * time.Millisecond) // Redis executes and answers into the void
				p.hits.Add(1)
				s.Close()
				c.Close()
				return
			}
			if _, werr := s.Write(chunk); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	s.Close()
	c.Close()
}

// clock is the time the bot runs at in these tests: a Tuesday night in Tokyo.
var clock = flowstest.NewClock(flowstest.JST(2026, 11, 24, 23, 30)).Clock()
