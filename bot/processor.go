// Package bot is the service around the conversation engine: the LINE
// webhook, the per-event pipeline (apply → perform the outbox),
// reminder firing, health and metrics.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
)

// Event is one LINE event of a 1:1 user, in the engine's terms.
type Event struct {
	ID         string // webhookEventId: what makes a redelivery recognisable
	UserID     string
	ReplyToken string
	// Stamped is when the event happened, by LINE's clock; zero if unknown.
	// An event older than the ids the store remembers is refused as a replay.
	Stamped  time.Time
	Input    flows.Input
	Unfollow bool
	// Redelivered is LINE's mark on an event it sends again: most likely
	// applied before, so it is checked against the store before the engine
	// runs.
	Redelivered bool
}

// Replier sends replies. *line.Client is one; tests may count calls.
type Replier interface {
	Reply(token string, r flows.Reply) error
}

// Scheduler adds and removes reminders. Both calls must be idempotent: an
// outbox may be performed more than once after a crash.
type Scheduler interface {
	Schedule(ctx context.Context, userID string, c flows.ReminderChange) error
	Cancel(ctx context.Context, userID string, c flows.ReminderChange) error
}

// StateStore keeps each user's conversation state and pending outbox and
// applies each event to them once. *storage.StateStore is one (on Redis).
// Errors wrap storage's sentinels (storage.ErrVersionConflict,
// ErrAlreadyApplied, ErrReplay, ErrUnavailable, ErrBudgetSpent).
type StateStore interface {
	StateLoader
	// ApplyState stores st and outbox as the result of eventID applied on
	// top of base (from Load or Cached), once.
	ApplyState(ctx context.Context, userID, eventID string, stamped time.Time, base storage.Record, st flows.State, outbox []byte) (storage.Record, error)
	// Cached is the record of the user's last event applied here, once its
	// outbox was performed: the base of the next event, without a load.
	Cached(userID string) (storage.Record, bool)
	// OutboxPerformed says that the outbox of version is done and may stay
	// until the next apply replaces it; ClearOutbox removes it now.
	OutboxPerformed(userID string, version int64)
	ClearOutbox(ctx context.Context, userID string, version int64) (bool, error)
	ReplaceOutbox(ctx context.Context, userID string, version int64, outbox []byte) (bool, error)
	Delete(ctx context.Context, userID string) error
	// Stale reports whether an event stamped t is older than the ids the
	// store remembers: a replay.
	Stale(t time.Time) bool
}

// StateLoader reads a user's record and whether eventID was applied to it.
type StateLoader interface {
	Load(ctx context.Context, userID, eventID string) (rec storage.Record, seen bool, err error)
}

// Processor applies events to users' states exactly once and performs what
// they cause.
type Processor struct {
	Engine    *flows.Engine
	Store     StateStore
	LINE      Replier
	Scheduler Scheduler // nil: reminders are not scheduled
	Log       *slog.Logger
	Metrics   *Metrics
	Clock     flows.Clock // required: the time the engine runs at
	// Users names users in logs and retry keys; the store's UserKeys.
	Users storage.UserKeys
}

// outbox is what an applied event still has to do. It is stored with the
// state in the same atomic write, so a crash before it is done is repaired
// when LINE redelivers the event.
type outbox struct {
	ReplyToken string                 `json:"t,omitempty"`
	Reply      flows.Reply            `json:"r"`
	Reminders  []flows.ReminderChange `json:"m,omitempty"`
	Delete     bool                   `json:"d,omitempty"`
	// ReplyFailed records that a delivery gave up on the reply after
	// attempts LINE refused (5xx, 429, no answer): the reply did not reach
	// the user, so a redelivery that finds the token expired pushes it.
	ReplyFailed bool `json:"f,omitempty"`
	// Applied is when the event was applied (Unix seconds: a 13-digit
	// millisecond count could pass for a card number in a privacy check): a
	// later event that finds the outbox waits for its delivery only while
	// that may still be running.
	Applied int64 `json:"a,omitempty"`
}

// lazy reports whether the outbox, once performed, may stay in the store
// until the user's next apply replaces it: performing it again (another
// replica that loads it, a restart) must be harmless. A reply is: LINE
// refuses its spent token. Reminders, a deletion and a pushed reply are
// cleared at once.
func (ob *outbox) lazy() bool {
	return len(ob.Reminders) == 0 && !ob.Delete && !ob.ReplyFailed
}

// ErrReplyUndelivered reports an event applied whose reply LINE did not take
// within replyBudget: the outbox is kept and the webhook answers 500, so
// that LINE redelivers the event and the reply is sent then.
var ErrReplyUndelivered = errors.New("reply not delivered")

// errReplyTokenExpired is a reply token that expired while LINE refused the
// attempts to use it.
var errReplyTokenExpired = errors.New("the reply token expired during LINE's refusals")

// replyBudget bounds the attempts at one reply within one delivery; the
// detached webhook handling allows webhookTimeout in all.
const (
	replyBudget     = 5 * time.Second
	replyFirstRetry = 100 * time.Millisecond
	replyMaxRetry   = time.Second
)

// An event that finds an earlier event's outbox pending, applied less than
// earlierOutboxFresh ago, waits up to earlierOutboxWait, looking every
// earlierOutboxPoll, for that event's delivery to finish it, before
// performing it itself. An older one was performed and left for the next
// apply to replace (see outbox.lazy), or its delivery died or gave up: it
// is performed at once.
const (
	earlierOutboxFresh = 2 * time.Second
	earlierOutboxWait  = 250 * time.Millisecond
	earlierOutboxPoll  = 10 * time.Millisecond
)

// maxConflicts bounds retries when other events of the same user keep
// winning the version race.
const maxConflicts = 10

// Handle applies one event. An error means the event may not have been
// applied, and the webhook must answer non-2xx so LINE redelivers it;
// errors.Is(err, storage.ErrUnavailable) tells Redis is down.
func (p *Processor) Handle(ctx context.Context, ev Event) error {
	if ev.Unfollow {
		if p.Store.Stale(ev.Stamped) {
			p.refuseReplay(ev, "older than the seen window")
			return nil
		}
		return p.forget(ctx, ev.UserID)
	}
	version, ob, err := p.apply(ctx, ev)
	if err != nil || ob == nil {
		return err
	}
	return p.performOutbox(ctx, ev.UserID, version, ob)
}

// apply applies ev to its user's state, once, and returns the outbox still
// to perform: the one ev left, or, for an event applied before, its own
// outbox if that is still pending (nil when there is nothing to do). A bot
// that dies after apply and before performing the outbox leaves it pending.
func (p *Processor) apply(ctx context.Context, ev Event) (version int64, ob *outbox, err error) {
	if p.Store.Stale(ev.Stamped) {
		p.refuseReplay(ev, "older than the seen window")
		return 0, nil, nil
	}
	waited := time.Duration(0) // for an earlier event's outbox to clear
	for conflicts := 0; conflicts < maxConflicts; {
		// The state this replica left after the user's last event is the
		// common base, with no round trip; the apply's version check
		// catches a state changed elsewhere, and then it is loaded.
		rec, cached := storage.Record{}, false
		if !ev.Redelivered {
			rec, cached = p.Store.Cached(ev.UserID)
		}
		seen := false
		if !cached {
			var err error
			if rec, seen, err = p.Store.Load(ctx, ev.UserID, ev.ID); err != nil {
				return 0, nil, fmt.Errorf("load state: %w", err)
			}
		}
		if seen {
			// A redelivery: finish what the first delivery left undone, if anything.
			p.Metrics.event("duplicate")
			ob, err := p.pendingOutbox(ctx, ev.UserID, rec.Version, rec.OutboxFor(ev.ID))
			return rec.Version, ob, err
		}
		if rec.Outbox != nil && waited < earlierOutboxWait && p.fresh(rec.Outbox) {
			// An earlier event's outbox is pending, most often because its
			// delivery is replying right now: give it a moment to finish,
			// rather than race it for its reply token (a wasted LINE call).
			select {
			case <-ctx.Done():
				return 0, nil, fmt.Errorf("wait for an earlier event's outbox: %w", ctx.Err())
			case <-time.After(earlierOutboxPoll):
			}
			waited += earlierOutboxPoll
			continue
		}
		if rec.Outbox != nil {
			// Still pending: the earlier event's delivery is retrying a
			// reply, failed and waits for LINE's redelivery, or died after
			// its apply. This event's write would replace that outbox and,
			// in the last case, its reply would never be sent: perform it
			// first. Its handler, if alive, races for
			// the same single-use reply token, so the user gets it once; a
			// reply recorded as failed is pushed with the retry key of that
			// outbox's version, as its own redelivery would push it.
			p.Metrics.event("earlier_outbox_performed")
			if err := p.perform(ctx, ev.UserID, rec.Version, rec.Outbox); err != nil {
				return 0, nil, fmt.Errorf("perform the pending outbox of an earlier event: %w", err)
			}
			// Apply on the version loaded: the outbox is gone from it now,
			// and if anything else changed it, the apply is a conflict.
		}
		st, _, err := rec.DecodeState()
		if err != nil {
			// A state we cannot read must not trap the user: start afresh.
			p.Log.Warn("unreadable state, starting over", "user", p.Users.Key(ev.UserID), "err", err)
		}
		st.Version = rec.Version
		res := p.next(ev, st)
		ob := outbox{ReplyToken: ev.ReplyToken, Reply: res.Reply, Reminders: res.Reminders, Delete: res.Delete, Applied: p.Clock().Unix()}
		obBytes, err := json.Marshal(ob)
		if err != nil {
			return 0, nil, fmt.Errorf("encode outbox: %w", err)
		}
		applied, err := p.Store.ApplyState(ctx, ev.UserID, ev.ID, ev.Stamped, rec, res.State, obBytes)
		switch {
		case errors.Is(err, storage.ErrReplay):
			p.refuseReplay(ev, "no newer than an applied event whose id was trimmed")
			return 0, nil, nil
		case errors.Is(err, storage.ErrVersionConflict):
			p.Metrics.conflict()
			conflicts++
			continue
		case errors.Is(err, storage.ErrAlreadyApplied):
			// Applied already: by a delivery racing with this one, or by this
			// very call, whose answer was lost and which the Redis client
			// retried. Perform its outbox if still pending: LINE's
			// single-use token keeps a racing duplicate from replying twice.
			p.Metrics.event("duplicate")
			ob, err := p.pendingOutbox(ctx, ev.UserID, applied.Version, applied.OutboxFor(ev.ID))
			return applied.Version, ob, err
		case err != nil:
			return 0, nil, fmt.Errorf("apply event: %w", err)
		}
		p.Metrics.event("applied")
		p.Metrics.conversation(p.Engine.Graph(), st, res)
		// The outbox is at hand: perform it without decoding what was just encoded.
		return applied.Version, &ob, nil
	}
	return 0, nil, fmt.Errorf("apply event: %w after %d attempts", storage.ErrVersionConflict, maxConflicts)
}

// refuseReplay counts and logs an event refused as a replay. It is answered
// 200 and not applied: a signed body captured and posted again, or a
// redelivery later than LINE makes them, whose id the store may have
// forgotten after applying it.
func (p *Processor) refuseReplay(ev Event, why string) {
	p.Metrics.event("replay_refused")
	p.Log.Warn("event refused as a replay: not applied", "user", p.Users.Key(ev.UserID), "why", why,
		"stamped", ev.Stamped.UTC().Format(time.RFC3339))
}

// perform does an outbox's work: reminders first (idempotent, so safe to
// repeat), then the reply, then it clears the outbox (or, for a reply
// alone, leaves it for the next apply to replace: see outbox.lazy). Every step may run
// again after a crash; LINE's single-use reply token is what keeps a reply
// from reaching the user twice. A deletion deletes instead of clearing.
func (p *Processor) perform(ctx context.Context, userID string, version int64, raw []byte) error {
	ob, err := p.pendingOutbox(ctx, userID, version, raw)
	if err != nil || ob == nil {
		return err
	}
	return p.performOutbox(ctx, userID, version, ob)
}

// pendingOutbox decodes a stored outbox; nil for none. One that cannot be
// read is dropped, so that it does not block the user's later events.
func (p *Processor) pendingOutbox(ctx context.Context, userID string, version int64, raw []byte) (*outbox, error) {
	if raw == nil {
		return nil, nil
	}
	var ob outbox
	if err := json.Unmarshal(raw, &ob); err != nil {
		p.Log.Error("unreadable outbox dropped", "user", p.Users.Key(userID), "err", err)
		_, err := p.Store.ClearOutbox(ctx, userID, version)
		return nil, err
	}
	return &ob, nil
}

// performOutbox is perform on a decoded outbox.
func (p *Processor) performOutbox(ctx context.Context, userID string, version int64, ob *outbox) error {
	for _, c := range ob.Reminders {
		if err := p.remind(ctx, userID, c); err != nil {
			return err
		}
	}
	if ob.Delete {
		// データ削除: delete first, outbox included, and only then say so.
		// If the delete fails the outbox stays, and LINE's redelivery
		// deletes again; the user is never told 削除しました while the data
		// is still there.
		if err := p.Store.Delete(ctx, userID); err != nil {
			return fmt.Errorf("delete user data: %w", err)
		}
	}
	// Reply, then clear. A crash or a lost Redis answer after the reply
	// leaves the outbox pending, and the redelivery's reply with the same
	// token is refused by LINE: a reply token works once. Clearing first
	// would lose the reply instead, whenever the bot died during the reply
	// call or Redis's answer to the clear never arrived.
	if ob.ReplyToken != "" && len(ob.Reply.Messages) > 0 {
		if err := p.deliverReply(ctx, userID, version, ob); err != nil {
			p.logLINE("reply not delivered: kept for LINE's redelivery", userID, err)
			if !ob.ReplyFailed {
				failed := *ob
				failed.ReplyFailed = true
				raw, merr := json.Marshal(failed)
				if merr != nil {
					return fmt.Errorf("encode outbox: %w", merr)
				}
				if _, rerr := p.Store.ReplaceOutbox(ctx, userID, version, raw); rerr != nil {
					return fmt.Errorf("%w (%w), and recording it failed: %w", ErrReplyUndelivered, err, rerr)
				}
			}
			return fmt.Errorf("%w: %w", ErrReplyUndelivered, err)
		}
	}
	switch {
	case ob.Delete:
	case ob.lazy():
		p.Store.OutboxPerformed(userID, version)
	default:
		if _, err := p.Store.ClearOutbox(ctx, userID, version); err != nil {
			return fmt.Errorf("clear outbox: %w", err)
		}
	}
	return nil
}

// fresh reports whether a pending outbox was applied so recently that its
// own delivery may still be performing it. One that cannot be read, or
// from before outboxes said when, is not.
func (p *Processor) fresh(raw []byte) bool {
	var at struct {
		Applied int64 `json:"a"`
	}
	if json.Unmarshal(raw, &at) != nil || at.Applied == 0 {
		return false
	}
	return p.Clock().Sub(time.Unix(at.Applied, 0)) < earlierOutboxFresh
}

func (p *Processor) remind(ctx context.Context, userID string, c flows.ReminderChange) error {
	if p.Scheduler == nil {
		return nil
	}
	// Bounded like the state store's calls, so a hung Redis gives the
	// webhook's 503 in time.
	ctx, cancel := context.WithTimeout(ctx, storage.DefaultCallTimeout)
	defer cancel()
	var err error
	if c.Op == flows.ReminderSchedule {
		err = p.Scheduler.Schedule(ctx, userID, c)
	} else {
		err = p.Scheduler.Cancel(ctx, userID, c)
	}
	if err != nil {
		return fmt.Errorf("reminder %s: %w", c.ID, err)
	}
	return nil
}

// deliverReply sends an outbox's reply. What LINE may take on a second try
// (429, 5xx, no answer) is tried again with backoff within replyBudget. A
// reply token LINE refuses was used by an earlier attempt or a racing
// delivery, so the reply reached the user, unless an earlier delivery
// recorded that it failed: then the token expired unused, and the reply is
// pushed instead (a push costs quota), with a retry key so that it is pushed
// once. Any other refusal is logged and not retried: trying again cannot
// change it.
func (p *Processor) deliverReply(ctx context.Context, userID string, version int64, ob *outbox) error {
	start := time.Now()
	wait := replyFirstRetry
	refused := false // LINE answered an attempt of this call with 429 or 5xx
	for {
		err := p.LINE.Reply(ob.ReplyToken, ob.Reply)
		ae, isAPI := errors.AsType[*line.APIError](err)
		switch {
		case err == nil:
			return nil
		case isAPI && ae.TokenUsed() && ob.ReplyFailed:
			return p.pushReply(userID, version, ob.Reply)
		case isAPI && ae.TokenUsed() && refused:
			// It expired while LINE refused our attempts (or a racing
			// delivery used it, and clears the outbox): not delivered here.
			return errReplyTokenExpired
		case isAPI && ae.TokenUsed():
			return nil
		case isAPI && ae.Permanent():
			p.logLINE("reply refused", userID, err)
			return nil
		case time.Since(start)+wait > replyBudget:
			return err
		}
		refused = refused || isAPI
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, replyMaxRetry)
	}
}

// pushReply sends a reply whose token expired as a push, once: the retry key
// names the user and the outbox's version.
func (p *Processor) pushReply(userID string, version int64, r flows.Reply) error {
	pusher, ok := p.LINE.(Pusher)
	if !ok {
		return errors.New("the reply token expired and LINE client cannot push")
	}
	err := pusher.Push(userID, RetryKey("reply:"+p.Users.Key(userID)+":"+strconv.FormatInt(version, 10)), r)
	if err == nil || errors.Is(err, line.ErrAlreadyAccepted) {
		p.Metrics.event("reply_pushed")
		return nil
	}
	return err
}

// forget handles an unfollow: the user's reminders are cancelled, then
// everything stored about them is deleted. Both are idempotent, so a
// redelivered unfollow is harmless.
func (p *Processor) forget(ctx context.Context, userID string) error {
	rec, _, err := p.Store.Load(ctx, userID, "")
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	st, _, _ := rec.DecodeState() // unreadable: no reminders to cancel
	for _, r := range st.Reminders {
		if err := p.remind(ctx, userID, flows.ReminderChange{Op: flows.ReminderCancel, ID: r.ID, Due: r.Due}); err != nil {
			return err
		}
	}
	if err := p.Store.Delete(ctx, userID); err != nil {
		return fmt.Errorf("delete user data: %w", err)
	}
	p.Metrics.event("forgotten")
	return nil
}

// next runs the engine on one event. A panic there (a bug that flow files or
// a stored state trigger) must neither take the process down nor come back
// with every redelivery: the event is applied as one that changes nothing
// and answers with an apology, exactly once like any other.
func (p *Processor) next(ev Event, st flows.State) (res flows.Result) {
	defer func() {
		if v := recover(); v != nil {
			p.Metrics.panicked("engine")
			p.Log.Error("engine panicked: the event changes nothing and is answered with an apology",
				"user", p.Users.Key(ev.UserID), "step", st.Step, "input", ev.Input.Kind, "panic", panicSummary(v), "stack", string(debug.Stack()))
			st.Version++
			res = flows.Result{State: st, Reply: p.Engine.Apology(ev.Input)}
		}
	}()
	return p.Engine.Next(st, ev.Input, p.Clock())
}

// panicSummary describes a recovered panic without its value, which could
// hold a user's text: a runtime error's own message, or the value's type.
func panicSummary(v any) string {
	if err, ok := v.(runtime.Error); ok {
		return err.Error()
	}
	return fmt.Sprintf("panic(%T)", v)
}

// ReplyOnly answers without touching any state (a group or room).
func (p *Processor) ReplyOnly(token, text string) {
	if token == "" {
		return
	}
	if err := p.LINE.Reply(token, flows.Reply{Messages: []flows.Message{{Text: text}}}); err != nil {
		p.logLINE("reply failed", "", err)
	}
}

func (p *Processor) logLINE(msg, userID string, err error) {
	attrs := []any{"err", err}
	if userID != "" {
		attrs = append(attrs, "user", p.Users.Key(userID))
	}
	var ae *line.APIError
	if errors.As(err, &ae) {
		attrs = append(attrs, "status", ae.Status, "line_request_id", ae.RequestID)
		if ae.TokenUsed() {
			// A duplicate delivery performing an outbox already replied to:
			// expected, and LINE made sure the user got one answer.
			p.Log.Info("reply token already used", attrs...)
			return
		}
	}
	p.Log.Error(msg, attrs...)
}
