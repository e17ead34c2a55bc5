package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/flows"
)

// Reminder scheduling on asynq. A reminder is one asynq task:
//
//	queue    "reminders" (DefaultReminderQueue)
//	type     "reminder:push" (ReminderTaskType)
//	id       UserKeys.TaskID(userID, reminderID, due): "<user key>:<reminder id>:<due unix>"
//	payload  {"u": LINE user id, sealed, "r": reminder id, "d": due in Unix seconds}
//
// The deterministic id makes scheduling idempotent: enqueueing a reminder
// that is already waiting, running or recently completed conflicts with the
// existing task and counts as success.
//
// The payload carries the LINE user id, because the push needs it, sealed
// with AES-GCM under a key derived from the channel secret (WithPayloadKey),
// so Redis never holds a LINE user id in the clear: not in waiting tasks, nor
// in completed ones (ReminderRetention), nor in failed ones asynq archives.
const (
	DefaultReminderQueue = "reminders"
	ReminderTaskType     = "reminder:push"

	// ReminderMaxRetry bounds the attempts of one push (5xx, time-outs, a
	// used-up monthly quota). Waiting for 08:00 does not count.
	ReminderMaxRetry = 20

	// ReminderRetention is how long a completed task is kept, so that a
	// late re-enqueue of the same reminder (an outbox performed again after
	// the push) conflicts instead of pushing twice. It matches the 24 h for
	// which LINE remembers a retry key.
	ReminderRetention = 24 * time.Hour

	// reminderTimeout bounds one attempt; a push is one HTTP call.
	reminderTimeout = time.Minute
)

// ReminderTask is what a reminder task carries.
type ReminderTask struct {
	UserID     string    // the LINE user id to push to
	ReminderID string    // the reminder's id in the flow files
	Due        time.Time // when it is due, to the second
}

// taskPayload is the JSON form of ReminderTask; short keys, as there may be
// many of them.
type taskPayload struct {
	UserID     string `json:"u"`
	ReminderID string `json:"r"`
	Due        int64  `json:"d"`
	// Bound is set when the sealed user id is bound to the reminder and
	// due time (taskAD). Tasks scheduled before that have it unset and
	// open without; they are gone ReminderRetention after their due time.
	Bound bool `json:"b,omitempty"`
}

// taskAD is the additional data a task's sealed user id is bound to: the
// parts of its task id (TaskID) other than the user's pseudonym, which the
// id itself gives. So a sealed id copied into another task's payload does
// not open, and the worker checks the opened id against the task id.
func taskAD(reminderID string, due int64) []byte {
	return []byte(reminderID + "\x00" + strconv.FormatInt(due, 10))
}

// parse decodes a reminder task's payload, opening the user id with r's
// own payload key (WithPayloadKey).
func (r *Reminders) parse(payload []byte) (ReminderTask, error) {
	if r.err != nil {
		return ReminderTask{}, r.err
	}
	return parseReminderTask(payload, r.seal)
}

func parseReminderTask(payload []byte, s *sealer) (ReminderTask, error) {
	var p taskPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return ReminderTask{}, fmt.Errorf("storage: reminder payload: %w", err)
	}
	if p.UserID == "" || p.ReminderID == "" || p.Due <= 0 {
		return ReminderTask{}, errors.New("storage: reminder payload: missing user, reminder or due time")
	}
	var ad []byte
	if p.Bound {
		ad = taskAD(p.ReminderID, p.Due)
	}
	user, err := s.openFor(p.UserID, ad)
	if err != nil {
		return ReminderTask{}, err
	}
	return ReminderTask{UserID: user, ReminderID: p.ReminderID, Due: time.Unix(p.Due, 0)}, nil
}

// TaskID returns the asynq task id of a reminder. It names the user by
// their key (Key), so asynq's own logs and keys never show a LINE user id,
// and the due time in whole seconds, so a reminder moved to another time is
// another task.
func (k UserKeys) TaskID(userID, reminderID string, due time.Time) string {
	return taskID(k.Key(userID), reminderID, due)
}

// legacyTaskID is the id of a reminder scheduled before user keys were
// keyed (legacyUserKey). Such a task keeps it until it fires: the worker
// accepts it, and Cancel deletes it too.
func legacyTaskID(userID, reminderID string, due time.Time) string {
	return taskID(legacyUserKey(userID), reminderID, due)
}

func taskID(user, reminderID string, due time.Time) string {
	return user + ":" + reminderID + ":" + strconv.FormatInt(due.Unix(), 10)
}

// Reminders schedules and cancels reminders as asynq tasks, on the same
// Redis client as the state. It is safe for concurrent use.
type Reminders struct {
	rdb    redis.UniversalClient
	client *asynq.Client
	insp   *asynq.Inspector
	queue  string
	clock  flows.Clock
	seal   *sealer
	users  UserKeys // names the user in task ids
	err    error    // a bad option, reported by Schedule
}

// A ReminderOption configures Reminders.
type ReminderOption func(*Reminders)

// WithReminderQueue puts the tasks on another asynq queue than "reminders",
// for example to keep tests sharing one Redis apart. The worker must serve
// the same queue.
func WithReminderQueue(name string) ReminderOption {
	return func(r *Reminders) {
		if name != "" {
			r.queue = name
		}
	}
}

// WithTaskUserKeys names users in task ids by k; it must be the UserKeys
// of the state store.
func WithTaskUserKeys(k UserKeys) ReminderOption {
	return func(r *Reminders) { r.users = k }
}

// WithPayloadKey seals the user id in every task with a key derived from
// secret (the channel secret). The worker must open them with the same.
func WithPayloadKey(secret []byte) ReminderOption {
	return func(r *Reminders) { r.seal, r.err = newSealer(purposeReminder, secret) }
}

// NewReminders returns Reminders on rdb, which may be a single server, a
// Sentinel-managed failover client or a Cluster client (a queue's keys share
// one hash tag). rdb stays the caller's to close. Due times are measured
// against clock: a task is handed to asynq as due in due−now, so a test can
// run a conversation at 10:00 on a Wednesday whatever the real time is.
func NewReminders(rdb redis.UniversalClient, clock flows.Clock, opts ...ReminderOption) *Reminders {
	r := &Reminders{
		rdb:    rdb,
		clock:  clock,
		client: asynq.NewClientFromRedisClient(rdb),
		insp:   asynq.NewInspectorFromRedisClient(rdb),
		queue:  DefaultReminderQueue,
	}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// Queue is the asynq queue the tasks go to.
func (r *Reminders) Queue() string { return r.queue }

// Schedule enqueues a reminder for userID, due at due. Scheduling a reminder
// that is already scheduled, running or was pushed within ReminderRetention
// does nothing and returns nil, so an outbox can be performed again safely.
// A due time further back than ReminderRetention is dropped: its task may
// be gone, so it could not be told from one never pushed, and a follow-up
// that late helps nobody.
func (r *Reminders) Schedule(ctx context.Context, userID, reminderID string, due time.Time) error {
	if err := checkReminder(userID, reminderID, due); err != nil {
		return fmt.Errorf("storage: schedule reminder: %w", err)
	}
	now := r.clock()
	if due.Before(now.Add(-ReminderRetention)) {
		return nil
	}
	if r.err != nil {
		return r.err
	}
	sealed, err := r.seal.sealFor(userID, taskAD(reminderID, due.Unix()))
	if err != nil {
		return err
	}
	payload, err := json.Marshal(taskPayload{UserID: sealed, ReminderID: reminderID, Due: due.Unix(), Bound: r.seal != nil})
	if err != nil {
		return fmt.Errorf("storage: schedule reminder: %w", err)
	}
	// The same reminder scheduled under the legacy task id (before user
	// keys were keyed) is that reminder: scheduling it again would push twice.
	if _, err := r.insp.GetTaskInfo(r.queue, legacyTaskID(userID, reminderID, due)); err == nil {
		return nil
	}
	task := asynq.NewTask(ReminderTaskType, payload,
		asynq.TaskID(r.users.TaskID(userID, reminderID, due)),
		asynq.Queue(r.queue),
		asynq.ProcessIn(processIn(due, now)),
		asynq.MaxRetry(ReminderMaxRetry),
		asynq.Timeout(reminderTimeout),
		asynq.Retention(ReminderRetention),
	)
	_, err = r.client.EnqueueContext(ctx, task)
	if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return r.wrap(ctx, "schedule reminder", err)
}

// processIn is how long after now a task due at due is handed to asynq,
// which adds it to its own clock and keeps whole seconds, truncating: one
// second more keeps a reminder from firing early.
func processIn(due, now time.Time) time.Duration {
	return max(due.Sub(now)+time.Second, 0)
}

// Cancel removes a scheduled reminder. A reminder that is not scheduled
// (never was, already cancelled, or pushed and forgotten) is not an error.
// One being pushed right now cannot be removed and is left alone: the push
// re-reads the user's state, which no longer holds the reminder.
//
// asynq's Inspector takes no context: ctx only bounds the Redis check made
// when it fails, and go-redis's time-outs bound the rest.
func (r *Reminders) Cancel(ctx context.Context, userID, reminderID string, due time.Time) error {
	if err := checkReminder(userID, reminderID, due); err != nil {
		return fmt.Errorf("storage: cancel reminder: %w", err)
	}
	for _, id := range []string{r.users.TaskID(userID, reminderID, due), legacyTaskID(userID, reminderID, due)} {
		if err := r.deleteTask(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// deleteTask deletes one task, if it is there and not running.
func (r *Reminders) deleteTask(ctx context.Context, id string) error {
	err := r.insp.DeleteTask(r.queue, id)
	switch {
	case err == nil,
		errors.Is(err, asynq.ErrTaskNotFound),
		errors.Is(err, asynq.ErrQueueNotFound): // nothing was ever scheduled
		return nil
	case strings.Contains(err.Error(), "active state"):
		// asynq reports this as an unexported code; its message is stable
		// ("cannot delete task in active state").
		return nil
	}
	return r.wrap(ctx, "cancel reminder", err)
}

// Backlog returns how many reminders wait to be pushed: scheduled for later,
// due now, or waiting to be retried. Its cost does not grow with the queue:
// an SMEMBERS and two scripts (asynq's queue statistics, which also sample
// the size of up to 20 tasks per state with MEMORY USAGE).
func (r *Reminders) Backlog(ctx context.Context) (int, error) {
	queues, err := r.insp.Queues()
	if err != nil {
		return 0, r.wrap(ctx, "reminder backlog", err)
	}
	if !slices.Contains(queues, r.queue) {
		return 0, nil // nothing was ever scheduled
	}
	info, err := r.insp.GetQueueInfo(r.queue)
	if err != nil {
		return 0, r.wrap(ctx, "reminder backlog", err)
	}
	return info.Pending + info.Scheduled + info.Retry, nil
}

// wrap adds context to an asynq error and marks it ErrUnavailable when Redis
// is down. asynq turns most Redis errors into strings, so whether Redis
// answers is asked again with a PING.
func (r *Reminders) wrap(ctx context.Context, op string, err error) error {
	if unavailable(err) {
		return wrapErr(op, err)
	}
	if perr := r.rdb.Ping(ctx).Err(); unavailable(perr) {
		return fmt.Errorf("storage: %s: %w: %w", op, ErrUnavailable, err)
	}
	return wrapErr(op, err)
}

func checkReminder(userID, reminderID string, due time.Time) error {
	switch {
	case userID == "":
		return errors.New("empty user id")
	case reminderID == "":
		return errors.New("empty reminder id")
	case due.Unix() <= 0:
		return errors.New("no due time")
	}
	return nil
}
