package bot

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
	"github.com/redis/go-redis/v9"
)

const testSecret = "8c570fa6dd201bb328f1c1eac23a96d8"

// night is when the tests' users write: Tuesday 23:30 in Tokyo.
var night = time.Date(2026, 11, 24, 23, 30, 0, 0, flows.Tokyo)

// harness is a fraudnavi webhook on a Redis backend, replying to the strict
// fake LINE API, with every log line captured.
type harness struct {
	t       *testing.T
	fake    *linefake.Server
	rdb     redis.UniversalClient
	store   *storage.StateStore
	proc    *Processor
	handler http.Handler
	logs    *storagetest.LogBuffer
	proxy   *cutProxy
	clock   *flowstest.Clock // every component's clock; night unless at is given
	fakeOpt []linefake.Option
	// sealOutbox: see withSealedOutbox.
	sealOutbox bool
}

type harnessOption func(*harness)

// withProxy puts a TCP proxy between the bot and Redis that a test can cut,
// to take Redis away without stopping a shared server.
func withProxy() harnessOption { return func(h *harness) { h.proxy = &cutProxy{} } }

// withServedProxy is withProxy with the Redis client serve uses (made by
// storage.Open), for tests of its time-outs and retries.
func withServedProxy() harnessOption { return func(h *harness) { h.proxy = &cutProxy{asServed: true} } }

// withFake gives the fake LINE API options (strict tokens, a token TTL).
func withFake(opts ...linefake.Option) harnessOption {
	return func(h *harness) { h.fakeOpt = append(h.fakeOpt, opts...) }
}

// at runs the harness at t instead of night.
func at(t time.Time) harnessOption { return func(h *harness) { h.clock.Set(t) } }

// forEachDate runs f once at each of flowstest.Dates, as a subtest named
// after the date: what is tested must not depend on the day it runs.
func forEachDate(t *testing.T, f func(t *testing.T, at time.Time)) {
	t.Helper()
	for _, d := range flowstest.Dates {
		t.Run(d.Name, func(t *testing.T) { f(t, d.At) })
	}
}

// withSealedOutbox seals the outbox with the channel secret, as serve does.
func withSealedOutbox() harnessOption { return func(h *harness) { h.sealOutbox = true } }

func loadFlows(t testing.TB, dir string) *flows.Engine {
	t.Helper()
	var fsys = flows.Content()
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	g, err := flows.Load(fsys)
	if err != nil {
		t.Fatalf("load flows: %v", err)
	}
	return flows.NewEngine(g)
}

func newHarness(t *testing.T, b storagetest.Backend, eng *flows.Engine, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, rdb: b.Client, logs: &storagetest.LogBuffer{}, clock: flowstest.NewClock(night)}
	for _, o := range opts {
		o(h)
	}
	if h.proxy != nil {
		h.rdb = h.proxy.client(t, b.Client)
	}
	h.fake = linefake.New(h.fakeOpt...)
	t.Cleanup(h.fake.Close)
	lc, err := line.NewClient(h.fake.Token(), h.fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMetrics()
	lc.Observe = m.LINECall
	var storeOpts []storage.Option
	if h.sealOutbox {
		storeOpts = append(storeOpts, storage.WithOutboxSeal([]byte(testSecret)))
	}
	h.store = storage.NewStateStore(h.rdb, h.clock.Now, append(storeOpts, storage.WithUserKeys(storagetest.UserKeys()))...)
	h.proc = &Processor{Users: storagetest.UserKeys(), Engine: eng, Store: h.store, LINE: lc, Log: log, Metrics: m, Clock: h.clock.Now}
	wh := &Webhook{Secret: testSecret, Processor: h.proc, Log: log, Metrics: m}
	h.handler = NewServer("127.0.0.1:0", wh, func(ctx context.Context) error { return h.rdb.Ping(ctx).Err() }, m, log).Handler()
	return h
}

// post sends a signed webhook with the events through the echo handler,
// stamped at the harness clock as LINE stamps events when they happen (the
// bot refuses events older than its seen window as replays).
func (h *harness) post(events ...linefake.Event) int {
	h.t.Helper()
	return h.postBody(h.body(events...), true)
}

// body is the webhook body post sends.
func (h *harness) body(events ...linefake.Event) []byte {
	stamped := make([]linefake.Event, len(events))
	for i, ev := range events {
		ev.Timestamp = h.clock.Now()
		stamped[i] = ev
	}
	return linefake.Body("Ubot", stamped...)
}

func (h *harness) postBody(body []byte, sign bool) int {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, PathCallback, bytes.NewReader(body))
	if sign {
		req.Header.Set("x-line-signature", linefake.Sign(testSecret, body))
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec.Code
}

// deliver posts ev, fails the test unless the webhook answers 200, and
// returns the replies LINE received for it.
func (h *harness) deliver(ev linefake.Event) []linefake.Reply {
	h.t.Helper()
	if code := h.post(ev); code != http.StatusOK {
		h.t.Fatalf("webhook answered %d", code)
	}
	return h.replyTo(ev)
}

// event builds an event whose reply token the fake will accept once.
func (h *harness) text(user, text string) linefake.Event {
	return linefake.TextEvent(user, text, linefake.ReplyTokenFrom(h.fake))
}

func (h *harness) follow(user string) linefake.Event {
	return linefake.FollowEvent(user, linefake.ReplyTokenFrom(h.fake))
}

func (h *harness) postback(user, data string) linefake.Event {
	return linefake.PostbackEvent(user, data, nil, linefake.ReplyTokenFrom(h.fake))
}

// state is the user's stored state, as the engine sees it.
func (h *harness) state(user string) flows.State {
	h.t.Helper()
	rec, _, err := h.store.Load(context.Background(), user, "")
	if err != nil {
		h.t.Fatalf("load state: %v", err)
	}
	st, _, err := rec.DecodeState()
	if err != nil {
		h.t.Fatalf("decode state: %v", err)
	}
	st.Version = rec.Version
	return st
}

// lastReply is the last reply the fake accepted for the token of ev.
func (h *harness) replyTo(ev linefake.Event) []linefake.Reply {
	return h.fake.RepliesFor(ev.ReplyToken)
}

// tap finds the quick reply labelled label in the last reply and returns its
// postback event.
func (h *harness) tap(user, label string) linefake.Event {
	h.t.Helper()
	rs := h.fake.Replies()
	if len(rs) == 0 {
		h.t.Fatal("no reply yet")
	}
	last := rs[len(rs)-1]
	for _, m := range last.Messages {
		if m.QuickReply == nil {
			continue
		}
		for _, it := range m.QuickReply.Items {
			if it.Action != nil && it.Action.Label == label {
				return h.postback(user, it.Action.Data)
			}
		}
	}
	h.t.Fatalf("no quick reply %q in the last reply %v", label, last.Texts())
	return linefake.Event{}
}

func (h *harness) noRejections() {
	h.t.Helper()
	if r := h.fake.Rejected(); len(r) > 0 {
		h.t.Fatalf("the fake LINE API rejected requests: %v", r)
	}
}

// cutProxy forwards TCP to Redis until cut: then it refuses and drops every
// connection, which is what a client sees when Redis dies.
type cutProxy struct {
	mu     sync.Mutex
	cut    bool
	thawed chan struct{} // non-nil while frozen; closed on Thaw
	// asServed: the bot's client is made by storage.Open, with serve's
	// options, instead of with fast-failing test options.
	asServed bool
	conns    []net.Conn
	target   string
}

func (p *cutProxy) client(t *testing.T, rdb redis.UniversalClient) redis.UniversalClient {
	t.Helper()
	c, ok := rdb.(*redis.Client)
	if !ok {
		t.Skip("the cut proxy needs a single-node Redis")
	}
	p.target = c.Options().Addr
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				in.Close()
				continue
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				p.mu.Unlock()
				in.Close()
				continue
			}
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go p.pump(out, in)
			go p.pump(in, out)
		}
	}()
	opt := storagetest.ClientOptions(c)
	opt.Addr = ln.Addr().String()
	if p.asServed {
		u := &url.URL{Scheme: "redis", Host: opt.Addr, Path: "/" + strconv.Itoa(opt.DB)}
		if opt.Password != "" {
			u.User = url.UserPassword(opt.Username, opt.Password)
		}
		cl, err := storage.Open(context.Background(), u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	opt.MaxRetries = 0
	opt.DialTimeout = 500 * time.Millisecond
	cl := redis.NewClient(opt)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// pump copies src to dst until either closes, holding the bytes while the
// proxy is frozen.
func (p *cutProxy) pump(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			thawed := p.thawed
			p.mu.Unlock()
			if thawed != nil {
				<-thawed
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Freeze holds every byte between the bot and Redis, as a Redis that hangs
// (a long fork, a stalled disk, a paused VM) does: connections stay open
// and nothing comes back. Thaw lets the bytes through again.
func (p *cutProxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thawed == nil {
		p.thawed = make(chan struct{})
	}
}

func (p *cutProxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thawed != nil {
		close(p.thawed)
		p.thawed = nil
	}
}

// Cut takes Redis away; Restore brings it back.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// onlyRacingReplies fails the test if the fake LINE API refused anything but
// a reply with a used token. Deliveries racing each other may each try a
// reply (a redelivery, or a user's next event performing the outbox an
// earlier event left pending); LINE's single-use token lets one through.
func (h *harness) onlyRacingReplies() {
	h.t.Helper()
	for reason := range h.fake.Rejected() {
		if reason != "Invalid reply token" {
			h.t.Fatalf("the fake LINE API rejected requests: %v", h.fake.Rejected())
		}
	}
}

type flowsChange = flows.ReminderChange

func (h *harness) postSigned(body []byte, sig string) int {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, PathCallback, bytes.NewReader(body))
	req.Header.Set("x-line-signature", sig)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec.Code
}

// actions lists the button actions of a reply's flex messages.
func actions(r linefake.Reply) []*linefake.Action {
	var as []*linefake.Action
	var walk func(c *linefake.FlexComponent)
	walk = func(c *linefake.FlexComponent) {
		if c == nil {
			return
		}
		if c.Action != nil {
			as = append(as, c.Action)
		}
		for i := range c.Contents {
			walk(&c.Contents[i])
		}
	}
	for _, m := range r.Messages {
		if m.Contents != nil {
			walk(m.Contents.Body)
			walk(m.Contents.Footer)
		}
	}
	return as
}
