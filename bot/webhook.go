package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
)

// MaxBody is the largest webhook body accepted. LINE's are far smaller; a
// larger one is not from LINE.
const MaxBody = 1 << 20

// Bodies being read at once are bounded. A body is read whole before its
// signature can be checked (line.ParseWebhook), so without a bound
// anyone could make the bot hold MaxBody per connection they open: 400
// bogus 1 MiB posts took it to 832 MB. LINE's bodies are small (a few KiB)
// and arrive fast, so they have slots of their own: a body that declares a
// Content-Length of at most SmallBody reads in one of MaxReadingSmall
// slots, any other in one of MaxReadingLarge. A flood of large bodies then
// cannot crowd out LINE's, and the two pools hold at most 16 MiB each. A
// post that finds no slot within readWait is answered 503 with Retry-After,
// which LINE redelivers.
const (
	SmallBody       = 64 << 10
	MaxReadingSmall = 256
	MaxReadingLarge = 16
	readWait        = 500 * time.Millisecond
)

// badSignatureLogEvery rate-limits the log line about bad signatures: a
// flood of forged posts must not flood the log. The metric counts them all.
const badSignatureLogEvery = 10 * time.Second

// maxParallelUsers bounds how many users of one webhook are handled at once.
const maxParallelUsers = 8

// Webhook receives LINE's webhook requests. It is a plain http.Handler, so
// the HTTP framework around it stays a detail of Server.
type Webhook struct {
	Secret    string
	Processor *Processor
	Log       *slog.Logger
	Metrics   *Metrics
	// Limit is the per-user rate limit; nil for none. See ratelimit.go
	// for what happens to an event over it.
	Limit *RateLimiter

	// readingSmall and readingLarge hold a slot per body being read; see
	// SmallBody.
	readingSmall, readingLarge readSlots
	badSigLog                  logEvery
}

// logEvery lets a log line through at most once per period, saying how many
// were held back since.
type logEvery struct {
	mu      sync.Mutex
	last    time.Time
	dropped int
}

// allow reports whether to log now, and how many were dropped before.
func (l *logEvery) allow(period time.Duration) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); l.last.IsZero() || now.Sub(l.last) >= period {
		n := l.dropped
		l.last, l.dropped = now, 0
		return true, n
	}
	l.dropped++
	return false, 0
}

// readSlots is a pool of slots for reading bodies.
type readSlots struct {
	once  sync.Once
	slots chan struct{}
}

func (p *readSlots) pool(n int) chan struct{} {
	p.once.Do(func() { p.slots = make(chan struct{}, n) })
	return p.slots
}

// acquireRead takes a slot for reading r's body, waiting at most readWait,
// and returns its release and the most the body may hold; ok is false when
// no slot came free.
func (h *Webhook) acquireRead(r *http.Request) (release func(), limit int64, ok bool) {
	slots, limit := h.readingLarge.pool(MaxReadingLarge), int64(MaxBody)
	if r.ContentLength >= 0 && r.ContentLength <= SmallBody {
		slots, limit = h.readingSmall.pool(MaxReadingSmall), SmallBody
	}
	release = func() { <-slots }
	select {
	case slots <- struct{}{}:
		return release, limit, true
	default:
	}
	t := time.NewTimer(readWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return release, limit, true
	case <-t.C:
	case <-r.Context().Done():
	}
	return nil, 0, false
}

// delivery is an event as delivered: LINE marks the ones it sends again.
type delivery struct {
	Event
	redelivered bool
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { h.Metrics.observeLatency(time.Since(start).Seconds()) }()

	if r.ContentLength > MaxBody {
		h.Metrics.eventOf("request", "too_large")
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	release, limit, ok := h.acquireRead(r)
	if !ok {
		h.Metrics.eventOf("request", "busy_reading")
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	// ParseWebhook checks the signature on the raw bytes before decoding.
	events, err := line.ParseWebhook(h.Secret, r)
	release()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.Metrics.eventOf("request", "too_large")
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, line.ErrInvalidSignature):
		h.Metrics.eventOf("request", "bad_signature")
		if ok, dropped := h.badSigLog.allow(badSignatureLogEvery); ok {
			h.Log.Warn("webhook with a bad or missing signature (logged at most once per period; all are counted)",
				"period", badSignatureLogEvery.String(), "not_logged_since", dropped)
		}
		http.Error(w, "invalid signature", http.StatusBadRequest)
		return
	case err != nil:
		// The SDK's error quotes the body: never log it.
		h.Metrics.eventOf("request", "malformed")
		h.Log.Warn("malformed webhook body")
		http.Error(w, "malformed body", http.StatusBadRequest)
		return
	}

	if err := h.handle(r.Context(), events); err != nil {
		switch {
		case errors.Is(err, storage.ErrUnavailable):
			h.Metrics.eventOf("request", "redis_unavailable")
			h.Log.Error("redis unavailable: asking LINE to redeliver", "err", err)
			http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
			return
		case errors.Is(err, storage.ErrBudgetSpent):
			// The request's time went elsewhere (a slow LINE, most often):
			// Redis is not to blame, and an operator must not look there.
			h.Metrics.eventOf("request", "budget_spent")
			h.Log.Error("webhook time budget spent before its work was done: asking LINE to redeliver", "err", err)
			http.Error(w, "out of time", http.StatusServiceUnavailable)
			return
		}
		h.Log.Error("webhook failed: asking LINE to redeliver", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
}

// handle processes the events of one webhook: each user's in order, users in
// parallel. It returns the first error, after every user has been tried.
func (h *Webhook) handle(ctx context.Context, events []line.Event) error {
	var order []string
	byUser := map[string][]delivery{}
	for _, raw := range events {
		d, ok := h.convert(raw)
		if !ok {
			continue
		}
		if _, seen := byUser[d.UserID]; !seen {
			order = append(order, d.UserID)
		}
		byUser[d.UserID] = append(byUser[d.UserID], d)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, maxParallelUsers)
		held     []heldReply // answers to limited events, sent at the end
	)
	for _, u := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(ds []delivery) {
			defer func() { <-sem; wg.Done() }()
			for _, d := range ds {
				if limited, r := h.limited(d); limited {
					if r != nil {
						mu.Lock()
						held = append(held, *r)
						mu.Unlock()
					}
					continue
				}
				if err := h.handleEvent(ctx, d.Event); err != nil {
					mu.Lock()
					if firstErr == nil || errors.Is(err, storage.ErrUnavailable) {
						firstErr = err
					}
					mu.Unlock()
					// Later events of this user wait for the redelivery, in order.
					return
				}
			}
		}(byUser[u])
	}
	wg.Wait()
	// The answers to limited events use their reply tokens, which a
	// redelivery of this body would need: LINE redelivers every event of a
	// failed webhook, marked as redelivered and so not limited, and the
	// reply of each would then fail on a spent token. So they are sent only
	// when the webhook succeeds; otherwise the redelivery answers them.
	if firstErr != nil {
		for range held {
			h.Metrics.event("held_reply_withheld")
		}
		return firstErr
	}
	for _, r := range held {
		if err := h.Processor.LINE.Reply(r.token, r.reply); err != nil {
			h.Processor.logLINE("reply failed", r.userID, err)
		}
	}
	return nil
}

// heldReply is the answer to an event over the rate limit.
type heldReply struct {
	userID, token string
	reply         flows.Reply
}

// handleEvent hands one event to the processor. A panic outside the engine
// (which the processor catches itself) is caught here, per event: it is
// logged without the event's content, counted, answered with an apology, and
// the webhook answers 200 so that LINE does not redeliver it into the same
// bug on every replica.
func (h *Webhook) handleEvent(ctx context.Context, ev Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			h.Metrics.panicked("webhook")
			h.Log.Error("event handling panicked: answered with an apology, not redelivered",
				"user", h.Processor.Users.Key(ev.UserID), "input", ev.Input.Kind, "panic", panicSummary(v), "stack", string(debug.Stack()))
			if ev.ReplyToken != "" {
				if rerr := h.Processor.LINE.Reply(ev.ReplyToken, h.Processor.Engine.Apology(ev.Input)); rerr != nil {
					h.Processor.logLINE("reply failed", ev.UserID, rerr)
				}
			}
			err = nil
		}
	}()
	return h.Processor.Handle(ctx, ev)
}

// convert turns a LINE event into ours. Events that need no state (standby
// mode, groups, types we do not handle) are answered or ignored here.
func (h *Webhook) convert(e line.Event) (delivery, bool) {
	typ := e.Type
	switch typ {
	case line.EventMessage, line.EventPostback, line.EventFollow, line.EventUnfollow:
	case line.EventJoin:
		// Added to a group or room: say once that the bot works 1:1, and
		// leave.
		if !e.Standby {
			h.Processor.ReplyOnly(e.ReplyToken, h.Processor.Engine.Graph().Texts.Group)
			h.leave("join", e)
		}
		h.Metrics.eventOf("join", "group")
		return delivery{}, false
	default:
		h.Metrics.eventOf("other", "ignored")
		return delivery{}, false
	}
	if e.Standby {
		// Another channel owns the chat: LINE forbids replying.
		h.Metrics.eventOf(typ, "standby")
		return delivery{}, false
	}
	if e.Source != "user" {
		if typ == line.EventMessage || typ == line.EventPostback {
			// A group or room the bot is still in (it leaves on joining,
			// but that may have failed): say once that it works 1:1, and
			// leave, rather than answer every message there.
			h.Processor.ReplyOnly(e.ReplyToken, h.Processor.Engine.Graph().Texts.Group)
			h.leave(typ, e)
		}
		h.Metrics.eventOf(typ, "group")
		return delivery{}, false
	}
	ev := Event{ID: e.ID, UserID: e.UserID, Stamped: e.Stamped, Redelivered: e.Redelivered}
	if typ == line.EventUnfollow {
		ev.Unfollow = true
	} else {
		ev.ReplyToken, ev.Input = e.ReplyToken, e.Input
	}
	if ev.UserID == "" || ev.ID == "" {
		h.Metrics.eventOf(typ, "ignored")
		return delivery{}, false
	}
	h.Metrics.eventOf(typ, "received")
	return delivery{Event: ev, redelivered: e.Redelivered}, true
}

// limited reports whether d is over its user's rate limit; if so it is not
// applied, and r is its answer, as ratelimit.go explains (nil for none): the
// warning about a card number or secret it holds, or the notice for the
// first of a burst. A データ削除 (asked for or confirmed) is never limited.
func (h *Webhook) limited(d delivery) (limited bool, r *heldReply) {
	if h.Limit == nil || d.redelivered || d.Unfollow || h.Processor.Engine.AboutDeletion(d.Input) {
		return false, nil
	}
	ok, notify := h.Limit.Allow(d.UserID)
	if ok {
		return false, nil
	}
	h.Metrics.event("rate_limited")
	notice := ""
	if notify {
		notice = h.Processor.Engine.Graph().Texts.SlowDown
		h.Log.Warn("user over the rate limit: events not applied until it refills", "user", h.Processor.Users.Key(d.UserID))
	}
	if reply, ok := h.Processor.Engine.Held(d.Input, notice); ok && d.ReplyToken != "" {
		return true, &heldReply{userID: d.UserID, token: d.ReplyToken, reply: reply}
	}
	return true, nil
}

// Leaver makes the bot leave a group or room. *line.Client is one.
type Leaver interface {
	Leave(kind, id string) error
}

// leave makes the bot leave the group or room e comes from, if it names
// one. The chat's id is not logged: it says who talks with whom.
func (h *Webhook) leave(typ string, e line.Event) {
	kind, id := e.Source, e.ChatID
	lv, ok := h.Processor.LINE.(Leaver)
	if id == "" || !ok {
		return
	}
	if err := lv.Leave(kind, id); err != nil {
		h.Processor.logLINE("leaving a "+kind+" failed: the bot answers its next message and tries again", "", err)
		return
	}
	h.Metrics.eventOf(typ, "left_"+kind)
}
