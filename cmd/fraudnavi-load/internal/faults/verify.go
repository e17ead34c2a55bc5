package faults

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
)

// Counts is the outcome of a fault test.
type Counts struct {
	Test  string
	Users int

	Sent        int // events sent (distinct webhookEventIds)
	Applied     int // of those, found applied (in the user's applied set)
	Redelivered int // events sent more than once
	Resent      int // bodies sent again (redelivery attempts)
	Undelivered int // events never answered 2xx within the redelivery bound
	// Lost: events not applied. Per user the larger of "sent ids missing
	// from the applied set" and "events sent − stored version".
	Lost int
	// DupApplied: stored versions beyond the events applied (an event
	// applied twice).
	DupApplied int
	// Replies, per reply token at the fake LINE API.
	Replied         int // exactly one reply accepted
	RepliesMissing  int // none accepted
	RepliesDup      int // replies LINE accepted beyond the first for a token
	RepliesRetried  int // reply attempts refused as a used token: retried, delivered once
	RepliesStranger int // replies with tokens this run never issued
	// RepliesMissingCrash are the missing replies of events in flight when
	// the bot was SIGKILLed: the bot sends a reply at most once, taking the
	// outbox before replying, so a kill between the two loses that reply
	// (bot/processor.go, perform). Not counted as a failure; all others are.
	RepliesMissingCrash int
	Late                int // answered 2xx before their reply had arrived
	LateFirst           int // of them, answered 2xx at the first delivery
	PendingOutboxes     int // outboxes still stored at the end whose reply was not delivered
	PerformedOutboxes   int // outboxes still stored whose reply was delivered: left for the next apply

	ReminderTaps       int // taps on a reminder offer sent
	RemindersHeld      int // reminders in the final states
	RemindersScheduled int // tasks in asynq's scheduled set
	RemindersMissing   int // held but not scheduled
	RemindersStray     int // scheduled but not held (harmless: the push re-reads the state)
	RemindersOther     string
	Unreadable         int // stored states that do not decode: their reminders cannot be checked

	Elapsed time.Duration
	// Problems are details of what went wrong, the first few of each kind.
	Problems []string
}

// Duplicated is events applied twice plus replies sent twice.
func (c Counts) Duplicated() int { return c.DupApplied + c.RepliesDup + c.RepliesStranger }

// Failed reports whether the run broke a guarantee.
func (c Counts) Failed() bool {
	return c.Lost > 0 || c.Duplicated() > 0 || c.Undelivered > 0 ||
		c.RepliesMissing-c.RepliesMissingCrash > 0 || c.PendingOutboxes > 0 ||
		c.RemindersMissing > 0 || c.Unreadable > 0 || c.Applied != c.Sent
}

// Line is the one-line summary.
func (c Counts) Line() string {
	return fmt.Sprintf("FAULTS %s: users=%d sent=%d applied=%d redelivered=%d (bodies resent %d) lost=%d duplicated=%d | "+
		"replies once=%d missing=%d (crash window %d) dup=%d retried=%d late=%d/%d pending_outboxes=%d (performed, left for the next apply: %d) | "+
		"reminders taps=%d held=%d scheduled=%d missing=%d stray=%d | undelivered=%d elapsed=%.1fs",
		c.Test, c.Users, c.Sent, c.Applied, c.Redelivered, c.Resent, c.Lost, c.Duplicated(),
		c.Replied, c.RepliesMissing, c.RepliesMissingCrash, c.RepliesDup+c.RepliesStranger, c.RepliesRetried, c.Late, c.LateFirst, c.PendingOutboxes, c.PerformedOutboxes,
		c.ReminderTaps, c.RemindersHeld, c.RemindersScheduled, c.RemindersMissing, c.RemindersStray,
		c.Undelivered, c.Elapsed.Seconds())
}

const maxProblems = 10

func (c *Counts) problem(kind string, n *int, format string, args ...any) {
	(*n)++
	if *n <= maxProblems {
		c.Problems = append(c.Problems, kind+": "+fmt.Sprintf(format, args...))
	}
}

// StateKey and SeenKey are where the bot keeps a user's state hash and
// applied event ids (storage/state.go), under the user key of the bots it
// starts (load.UserKeys).
func StateKey(userID string) string { return "fraudnavi:{u:" + load.UserKeys().Key(userID) + "}:state" }
func SeenKey(userID string) string  { return "fraudnavi:{u:" + load.UserKeys().Key(userID) + "}:seen" }

// Verify counts what happened to every event of res, from Redis (rdb) and
// the fake LINE API. faults are the moments something was broken.
func Verify(ctx context.Context, test string, rdb *redis.Client, fake *load.Fake, res *Result, faults []Window) (Counts, error) {
	c := Counts{Test: test, Elapsed: res.Elapsed, Resent: res.Resent}
	for _, u := range res.Users {
		if len(u.Events) > 0 {
			c.Users++
		}
	}
	expected, left, err := c.checkEvents(ctx, rdb, res)
	if err != nil {
		return c, err
	}
	c.checkReplies(fake, res, faults)
	c.checkOutboxes(fake, left)
	c.checkLateReplies(fake, res, faults)
	if err := c.checkReminders(rdb, expected); err != nil {
		return c, err
	}
	return c, nil
}

// checkEvents compares each user's stored version and applied set with the
// events sent, and returns the reminder task ids the states hold.
func (c *Counts) checkEvents(ctx context.Context, rdb *redis.Client, res *Result) (map[string]bool, []leftOutbox, error) {
	var nLost, nDup, nUndeliv int
	type userCmds struct {
		hash *redis.SliceCmd
		seen *redis.StringSliceCmd
	}
	cmds := make([]userCmds, len(res.Users))
	pipe := rdb.Pipeline()
	for i, u := range res.Users {
		cmds[i] = userCmds{
			hash: pipe.HMGet(ctx, StateKey(u.ID), "version", "outbox", "outbox_event", "state"),
			seen: pipe.ZRange(ctx, SeenKey(u.ID), 0, -1),
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("read users' keys: %w", err)
	}
	expected := map[string]bool{} // reminder task ids the states hold
	var left []leftOutbox
	for i, u := range res.Users {
		if len(u.Events) == 0 {
			continue
		}
		h, err := cmds[i].hash.Result()
		if err != nil {
			return nil, nil, err
		}
		seen, err := cmds[i].seen.Result()
		if err != nil {
			return nil, nil, err
		}
		version := int64(0)
		if s, ok := h[0].(string); ok {
			fmt.Sscan(s, &version)
		}
		applied := map[string]bool{}
		for _, id := range seen {
			applied[id] = true
		}
		notSeen := 0
		for _, e := range u.Events {
			c.Sent++
			if e.Redelivered() {
				c.Redelivered++
			}
			if e.Kind == "accept" {
				c.ReminderTaps++
			}
			if e.Late {
				c.Late++
			}
			if !e.OK {
				c.problem("undelivered", &nUndeliv, "user %s event %s (%s) never answered 2xx: %s",
					load.UserKeys().Key(u.ID)[:8], e.Ev.WebhookEventID, e.Kind, statuses(e.Attempts))
			}
			if applied[e.Ev.WebhookEventID] {
				c.Applied++
			} else {
				notSeen++
				c.problem("lost", &nLost, "user %s event %s (%s, %d deliveries: %s) not in the applied set",
					load.UserKeys().Key(u.ID)[:8], e.Ev.WebhookEventID, e.Kind, len(e.Attempts), statuses(e.Attempts))
			}
		}
		c.Undelivered = nUndeliv
		sent := int64(len(u.Events))
		lost := max(int64(notSeen), sent-version)
		if lost > int64(notSeen) {
			c.Problems = append(c.Problems, fmt.Sprintf("lost: user %s has version %d after %d events", load.UserKeys().Key(u.ID)[:8], version, sent))
		}
		c.Lost += int(lost)
		if dup := version - (sent - int64(notSeen)); dup > 0 {
			c.DupApplied += int(dup)
			c.problem("duplicated", &nDup, "user %s has version %d after %d events, %d of them applied", load.UserKeys().Key(u.ID)[:8], version, sent, sent-int64(notSeen))
		}
		if ob, ok := h[1].(string); ok && ob != "" {
			evID, _ := h[2].(string)
			left = append(left, leftOutbox{u, evID})
		}
		if raw, ok := h[3].(string); ok && raw != "" {
			var st flows.State
			if err := json.Unmarshal([]byte(raw), &st); err != nil {
				c.Unreadable++
				c.Problems = append(c.Problems, fmt.Sprintf("reminders: state of user %s unreadable: %v", load.UserKeys().Key(u.ID)[:8], err))
				continue
			}
			for _, r := range st.Reminders {
				expected[load.UserKeys().TaskID(u.ID, r.ID, r.Due)] = true
			}
		}
	}
	return expected, left, nil

}

// A leftOutbox is an outbox still stored at the end. The bot leaves a
// performed reply's outbox for the user's next apply to replace (or a timer
// to clear), so one is fine if its reply reached LINE; anything else it may
// hold, reminders, is checked on its own (checkReminders).
type leftOutbox struct {
	user  *User
	event string
}

// checkOutboxes counts the outboxes left whose reply was delivered, and
// reports the others as pending.
func (c *Counts) checkOutboxes(fake *load.Fake, left []leftOutbox) {
	var nPend int
	for _, l := range left {
		i := slices.IndexFunc(l.user.Events, func(e *Event) bool { return e.Ev.WebhookEventID == l.event })
		if i >= 0 {
			if _, n := fake.Take(l.user.Events[i].Ev.ReplyToken); n == 1 {
				c.PerformedOutboxes++
				continue
			}
		}
		c.problem("pending outbox", &nPend, "user %s still has the outbox of event %s (%s), its reply not delivered",
			load.UserKeys().Key(l.user.ID)[:8], l.event, describeEvent(l.user, l.event))
	}
	c.PendingOutboxes = nPend
}

// checkReplies checks that every event's reply token was accepted once,
// and tells which faults the missing ones were in flight during.
func (c *Counts) checkReplies(fake *load.Fake, res *Result, faults []Window) {
	var nMiss int
	var tokens []string
	for _, e := range res.Events {
		tokens = append(tokens, e.Ev.ReplyToken)
	}
	rc := fake.Check(tokens, 3*time.Second)
	c.Replied, c.RepliesMissing, c.RepliesDup, c.RepliesStranger = rc.Replied, rc.Missing, rc.Duplicated, rc.Unexpected
	// A redelivery performs a pending outbox again and tries the reply
	// again; LINE refuses a used token, so the user still gets one. Only
	// other refusals, or a token accepted twice, break the guarantee.
	refused := 0
	for reason, n := range rc.Rejected {
		if !strings.Contains(reason, "Invalid reply token") {
			refused += n
		}
	}
	c.RepliesRetried = rc.Retried
	if rc.Duplicated > 0 || rc.Unexpected > 0 || refused > 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("replies: %d accepted twice, %d with unknown tokens; refused: %v", rc.Duplicated, rc.Unexpected, rc.Rejected))
	}
	if rc.Missing > 0 {
		for _, e := range res.Events {
			if _, n := fake.Take(e.Ev.ReplyToken); n > 0 {
				continue
			}
			during, excused := "", false
			for _, w := range faults {
				if e.During(w) {
					during, excused = w.What, w.Excuses
					break
				}
			}
			if excused {
				c.RepliesMissingCrash++
			}
			c.problem("reply missing", &nMiss, "user %s event %s (%s, #%d of the user's; deliveries %s; late=%v; in flight during: %s; excused: %v)",
				load.UserKeys().Key(e.User.ID)[:8], e.Ev.WebhookEventID, e.Kind, slices.Index(e.User.Events, e)+1, timeline(e.Attempts, faults), e.Late, cmp.Or(during, "no fault"), excused)
		}
	}

}

// checkLateReplies looks at the events answered 2xx before their reply
// reached the fake LINE API. After a redelivery that is the original
// delivery still at work (LINE's time-out passed, the bot carries on); after
// a first delivery nobody else should be sending it.
func (c *Counts) checkLateReplies(fake *load.Fake, res *Result, faults []Window) {
	var nLate int
	for _, e := range res.Events {
		if !e.Late {
			continue
		}
		_, n := fake.Take(e.Ev.ReplyToken)
		if len(e.Attempts) == 1 {
			c.LateFirst++
		}
		if n > 0 {
			c.problem("late reply (arrived later)", &nLate, "user %s event %s (%s, #%d of %d; deliveries %s)",
				load.UserKeys().Key(e.User.ID)[:8], e.Ev.WebhookEventID, e.Kind, slices.Index(e.User.Events, e)+1, len(e.User.Events), timeline(e.Attempts, faults))
		}
	}

}

// checkReminders compares the scheduled reminder tasks with those the states
// hold (expected).
func (c *Counts) checkReminders(rdb *redis.Client, expected map[string]bool) error {
	var nRem int
	scheduled, other, err := reminderTasks(rdb)
	if err != nil {
		return err
	}
	c.RemindersOther = other
	c.RemindersHeld = len(expected)
	c.RemindersScheduled = len(scheduled)
	for id := range expected {
		if !scheduled[id] {
			c.problem("reminder lost", &nRem, "task %s is held in a state but not scheduled", id)
			c.RemindersMissing++
		}
	}
	for _, id := range slices.Sorted(maps.Keys(scheduled)) {
		if !expected[id] {
			c.RemindersStray++
			if c.RemindersStray <= 3 {
				c.Problems = append(c.Problems, "stray reminder (not held by any state): "+id)
			}
		}
	}
	return nil
}

// reminderTasks lists the task ids in the reminders queue's scheduled set,
// and describes what else the queue holds.
func reminderTasks(rdb *redis.Client) (map[string]bool, string, error) {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	queue := storage.DefaultReminderQueue
	out := map[string]bool{}
	const pageSize = 500
	for page := 1; page <= 200; page++ {
		ts, err := insp.ListScheduledTasks(queue, asynq.PageSize(pageSize), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return out, "queue never used", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("list scheduled reminders: %w", err)
		}
		for _, t := range ts {
			if out[t.ID] {
				return nil, "", fmt.Errorf("task %s listed twice", t.ID)
			}
			out[t.ID] = true
		}
		if len(ts) < pageSize {
			break
		}
	}
	info, err := insp.GetQueueInfo(queue)
	if err != nil {
		return out, "queue info: " + err.Error(), nil
	}
	return out, fmt.Sprintf("pending=%d active=%d retry=%d archived=%d completed=%d",
		info.Pending, info.Active, info.Retry, info.Archived, info.Completed), nil
}

func statuses(as []Attempt) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.Status
	}
	return strings.Join(s, ",")
}

// timeline writes the deliveries with their times relative to the first
// fault's start.
func timeline(as []Attempt, faults []Window) string {
	if len(faults) == 0 {
		return statuses(as)
	}
	var near Window
	for _, w := range faults {
		near = w
		if !as[0].Start.After(w.To) {
			break
		}
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = fmt.Sprintf("%s [%+dms..%+dms]", a.Status, a.Start.Sub(near.From).Milliseconds(), a.End.Sub(near.From).Milliseconds())
	}
	return strings.Join(s, ", ") + " relative to " + near.What + fmt.Sprintf(" (lasting %dms)", near.To.Sub(near.From).Milliseconds())
}

func describeEvent(u *User, id string) string {
	for i, e := range u.Events {
		if e.Ev.WebhookEventID == id {
			return fmt.Sprintf("%s, #%d of %d, deliveries %s, late=%v", e.Kind, i+1, len(u.Events), statuses(e.Attempts), e.Late)
		}
	}
	return "not an event of this run"
}

// StatusSummary writes a status map in a stable order.
func StatusSummary(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
