package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
)

// ReminderScheduler is the Scheduler of the webhook: it turns the engine's
// reminder changes into asynq tasks. Both methods are idempotent.
type ReminderScheduler struct {
	Reminders *storage.Reminders
	// Metrics, if set, counts scheduled and cancelled reminders. An outbox
	// performed again after a crash counts again.
	Metrics *Metrics
}

// Schedule adds the reminder c.ID due at c.Due.
func (s ReminderScheduler) Schedule(ctx context.Context, userID string, c flows.ReminderChange) error {
	if err := s.Reminders.Schedule(ctx, userID, c.ID, c.Due); err != nil {
		return err
	}
	s.Metrics.reminder("scheduled")
	return nil
}

// Cancel removes the reminder c.ID due at c.Due.
func (s ReminderScheduler) Cancel(ctx context.Context, userID string, c flows.ReminderChange) error {
	if err := s.Reminders.Cancel(ctx, userID, c.ID, c.Due); err != nil {
		return err
	}
	s.Metrics.reminder("cancelled")
	return nil
}

// Pusher sends push messages. *line.Client is one; its Push returns
// line.ErrAlreadyAccepted on a 409 and *line.APIError on other non-2xx
// answers.
type Pusher interface {
	Push(to, retryKey string, r flows.Reply) error
}

// Defaults of ReminderWorker.
const (
	DefaultReminderConcurrency = 10
	defaultPollInterval        = time.Second
	defaultShutdownTimeout     = 8 * time.Second

	// Transient failures (5xx, 429, time-outs) back off from 10 s, doubling
	// up to 30 min; ReminderMaxRetry attempts span about six hours.
	minBackoff = 10 * time.Second
	maxBackoff = 30 * time.Minute

	// quotaRetry is the wait after LINE said the month's pushes are used
	// up: the quota does not come back within minutes, so do not hammer it.
	quotaRetry = time.Hour
	// quotaLogEvery bounds how often a used-up quota is logged.
	quotaLogEvery = time.Hour
)

// ReminderQueue is where a ReminderWorker takes its reminders from.
// *storage.Reminders is one (an asynq queue on Redis).
type ReminderQueue interface {
	// Serve hands every task that comes due to h until stop is called.
	Serve(h storage.ReminderHandler) (stop func(), err error)
	// Backlog is how many reminders wait: scheduled, due or to be retried.
	Backlog(ctx context.Context) (int, error)
}

// ReminderWorker pushes reminders when they come due. It serves the
// reminders queue; any number of workers, in any number of processes, may
// share one queue, and each reminder is pushed once.
//
// When a task fires, the worker re-reads the user's state and pushes nothing
// if the reminder no longer applies (cancelled, rescheduled, its checklist
// items done, the conversation reset or deleted). Every attempt of one task
// sends the same X-Line-Retry-Key, so a push LINE accepted before a crash or
// a lost answer is answered 409 and not delivered twice. Between 21:00 and
// 08:00 Tokyo nothing is pushed: a task that comes up then waits for 08:00.
type ReminderWorker struct {
	// Queue is where reminders come from. A *storage.Reminders serves the
	// queue it schedules on and opens the user ids it sealed
	// (storage.WithPayloadKey: the same secret, the channel secret).
	// Required.
	Queue   ReminderQueue
	Engine  *flows.Engine
	Store   StateLoader
	LINE    Pusher
	Log     *slog.Logger
	Metrics *Metrics // nil: nothing is counted
	// Users names users in logs: the store's UserKeys.
	Users storage.UserKeys

	// Clock is the clock of the quiet hours and of the reminders' due
	// times: the same as the Processor's. Required.
	Clock flows.Clock
	// Concurrency is how many pushes run at once; 0 means
	// DefaultReminderConcurrency.
	Concurrency int
	// Backoff is the wait before retry number retried+1 after a transient
	// failure; nil means 10 s doubling up to 30 min, ±20 %.
	Backoff func(retried int) time.Duration
	// PollInterval is how often due and retried tasks are looked for; 0
	// means one second.
	PollInterval time.Duration
	// ShutdownTimeout is how long Shutdown waits for running pushes before
	// putting them back in the queue; 0 means 8 s.
	ShutdownTimeout time.Duration

	mu          sync.Mutex
	stop        func()        // stops serving; nil before Start
	stopBacklog chan struct{} // closed by Shutdown

	quotaMu     sync.Mutex
	quotaLogged time.Time // when a used-up quota was last logged
}

// Start starts processing the reminders of w.Queue in the background. ctx
// is not kept: Shutdown stops the worker.
func (w *ReminderWorker) Start(ctx context.Context) error {
	q := w.Queue
	if w.Engine == nil || w.Store == nil || w.LINE == nil || w.Clock == nil || q == nil {
		return errors.New("bot: reminder worker needs an Engine, a Store, LINE, a Clock and a queue")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return errors.New("bot: reminder worker already started")
	}
	concurrency := w.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultReminderConcurrency
	}
	poll := w.PollInterval
	if poll <= 0 {
		poll = defaultPollInterval
	}
	shutdown := w.ShutdownTimeout
	if shutdown <= 0 {
		shutdown = defaultShutdownTimeout
	}
	stop, err := q.Serve(storage.ReminderHandler{
		Handle:          w.process,
		RetryDelay:      w.retryDelay,
		IsFailure:       isFailure,
		OnError:         w.handleError,
		Concurrency:     concurrency,
		PollInterval:    poll,
		ShutdownTimeout: shutdown,
		Log:             w.log(),
	})
	if err != nil {
		return fmt.Errorf("bot: start reminder worker: %w", err)
	}
	w.stop = stop
	w.stopBacklog = make(chan struct{})
	w.registerBacklog(q, w.stopBacklog)
	return nil
}

// Shutdown stops taking reminders, waits up to ShutdownTimeout for the
// pushes in flight and puts back those still running, for another worker or
// the next start to push (with the same retry key). It does not close the
// queue's Redis client. When ctx ends first, Shutdown returns its error and
// the worker goes on stopping in the background.
func (w *ReminderWorker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	stop := w.stop
	if w.stopBacklog != nil {
		close(w.stopBacklog)
		w.stopBacklog = nil
	}
	w.mu.Unlock()
	if stop == nil {
		return nil
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bot: stop reminder worker: %w", ctx.Err())
	}
}

// errUnauthorized marks a push refused with 401: the channel access token
// is wrong, revoked or being rotated. Every reminder due meanwhile would hit
// it, so it retries with the usual backoff (and is counted as unauthorized,
// an alert) rather than giving the reminder up.
var errUnauthorized = errors.New("LINE refused the channel access token")

// errMonthlyLimit marks a push refused because the month's quota is used up.
var errMonthlyLimit = errors.New("LINE monthly push quota used up")

// quietHoursError puts a reminder off until the morning. It is not a
// failure: it uses up none of the task's retries.
type quietHoursError struct{ until time.Time }

func (e *quietHoursError) Error() string {
	return "quiet hours: waiting until " + e.until.Format(time.RFC3339)
}

func isFailure(err error) bool {
	var quiet *quietHoursError
	return !errors.As(err, &quiet)
}

// process handles one reminder task, whose payload the queue opened and
// checked to be the task's own. nil means done (pushed, or no longer
// applying); an error wrapping storage.ErrGiveUp gives up; any other error
// retries after retryDelay.
func (w *ReminderWorker) process(ctx context.Context, task storage.ReminderTask) error {
	// A reminder is never due at night, but a retry or a backlog can be.
	if now := w.Clock(); flows.Deliverable(now).After(now) {
		return &quietHoursError{until: flows.Deliverable(now)}
	}
	rec, _, err := w.Store.Load(ctx, task.UserID, "")
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	user := w.Users.Key(task.UserID)
	reply, ok := w.remind(rec, task, user)
	if !ok {
		w.Metrics.reminder("stale")
		w.log().Debug("reminder no longer applies", "user", user, "reminder", task.ReminderID)
		return nil
	}

	key := RetryKey(w.Users.TaskID(task.UserID, task.ReminderID, task.Due))
	err = w.LINE.Push(task.UserID, key, reply)
	if err == nil || errors.Is(err, line.ErrAlreadyAccepted) {
		// 409: an earlier attempt was delivered and its answer lost.
		w.Metrics.reminder("sent")
		w.log().Debug("reminder sent", "user", user, "reminder", task.ReminderID, "again", err != nil)
		return nil
	}
	if ae, ok := errors.AsType[*line.APIError](err); ok {
		switch {
		case ae.MonthlyLimit():
			w.quotaExhausted(ae)
			return fmt.Errorf("push: %w: %w", errMonthlyLimit, err)
		case ae.Status == http.StatusUnauthorized:
			w.Metrics.reminder("unauthorized")
			return fmt.Errorf("push: %w: %w", errUnauthorized, err)
		case ae.Permanent():
			// A user who blocked the bot, or a message LINE refuses:
			// retrying cannot help.
			return fmt.Errorf("push: %w: %w", err, storage.ErrGiveUp)
		}
	}
	return fmt.Errorf("push: %w", err) // 429, 5xx, network: retry
}

// remind asks the engine what to push, or false if the reminder no longer
// applies. The task knows the due time to the second; the state's own value
// is handed to the engine in case it is finer.
func (w *ReminderWorker) remind(rec storage.Record, task storage.ReminderTask, user string) (flows.Reply, bool) {
	st, stored, err := rec.DecodeState()
	if !stored {
		return flows.Reply{}, false // reset, deleted or expired
	}
	if err != nil {
		// The webhook starts such a user over, which drops their reminders.
		w.log().Warn("unreadable state: reminder dropped", "user", user, "reminder", task.ReminderID, "err", err)
		return flows.Reply{}, false
	}
	due := task.Due
	for _, r := range st.Reminders {
		if r.ID == task.ReminderID && r.Due.Unix() == due.Unix() {
			due = r.Due
			break
		}
	}
	return w.Engine.Remind(st, task.ReminderID, due)
}

// quotaExhausted counts a push refused for the monthly quota and logs it,
// at most once an hour per worker: every waiting reminder hits it.
func (w *ReminderWorker) quotaExhausted(ae *line.APIError) {
	if w.Metrics != nil {
		w.Metrics.QuotaHits.Inc()
	}
	now := w.Clock()
	w.quotaMu.Lock()
	log := w.quotaLogged.IsZero() || now.Sub(w.quotaLogged) >= quotaLogEvery
	if log {
		w.quotaLogged = now
	}
	w.quotaMu.Unlock()
	if log {
		w.log().Error("LINE monthly push quota used up: reminders wait and retry hourly",
			"status", ae.Status, "line_request_id", ae.RequestID)
	}
}

// handleError logs a failed attempt and counts a reminder given up.
func (w *ReminderWorker) handleError(a storage.ReminderAttempt, err error) {
	final := a.Final
	attrs := []any{"task", a.TaskID, "retried", a.Retried, "err", err}
	if a.TaskRead {
		attrs = append(attrs, "user", w.Users.Key(a.Task.UserID), "reminder", a.Task.ReminderID)
	}
	if ae, ok := errors.AsType[*line.APIError](err); ok {
		attrs = append(attrs, "status", ae.Status, "line_request_id", ae.RequestID)
	}
	var quiet *quietHoursError
	switch {
	case final:
		w.Metrics.reminder("failed")
		w.log().Error("reminder not delivered", attrs...)
	case errors.As(err, &quiet):
		w.log().Debug("reminder waits for the morning", attrs...)
	case errors.Is(err, errMonthlyLimit):
		// quotaExhausted logged it, at most hourly.
	case errors.Is(err, errUnauthorized):
		w.log().Error("LINE refused the channel access token (401): the reminder retries; check LINE_CHANNEL_ACCESS_TOKEN", attrs...)
	default:
		w.log().Warn("reminder push failed, will retry", attrs...)
	}
}

// retryDelay is the queue's wait before a retry: until 08:00 after a push put off at
// night, an hour after a used-up quota, a backoff after anything else, and
// never into the night.
func (w *ReminderWorker) retryDelay(retried int, err error) time.Duration {
	now := w.Clock()
	var d time.Duration
	var quiet *quietHoursError
	switch {
	case errors.As(err, &quiet):
		return max(quiet.until.Sub(now), time.Second)
	case errors.Is(err, errMonthlyLimit):
		d = quotaRetry + rand.N(quotaRetry/6) // spread the waiting reminders out
	case w.Backoff != nil:
		d = w.Backoff(retried)
	default:
		d = backoff(retried)
	}
	return flows.Deliverable(now.Add(d)).Sub(now)
}

// backoff is the default wait before retry number retried+1: 10 s doubling
// up to 30 min, ±20 % so that reminders failing together do not come back
// together.
func backoff(retried int) time.Duration {
	d := maxBackoff
	if retried < 8 {
		d = min(minBackoff<<retried, maxBackoff)
	}
	return d*4/5 + rand.N(d*2/5+1)
}

// retryKeySpace is the UUID namespace of reminder retry keys. Never change
// it: a task retried across a deploy must keep its key.
var retryKeySpace = uuid.MustParse("4de044d5-4c22-4b3e-a7b1-508e7895ad32")

// RetryKey is the X-Line-Retry-Key of every attempt at one push, named by
// what is pushed (a reminder's storage.TaskID, a reply pushed instead): a
// name-based UUID, so no attempt, in any process, can make LINE deliver it
// twice.
func RetryKey(name string) string {
	return uuid.NewSHA1(retryKeySpace, []byte(name)).String()
}

// backlogRefresh is how often the queue size gauge is read from Redis, and
// backlogTimeout how long one read may take: a scrape reads the cached value,
// so /metrics answers at once even while Redis hangs.
const (
	backlogRefresh = 15 * time.Second
	backlogTimeout = 2 * time.Second
)

// registerBacklog exports the size of the reminder queue, read once now and
// then every backlogRefresh until stop is closed; a failed read keeps the
// last value. Registering twice (a second worker on the same Metrics) keeps
// the first gauge: both would measure the same queue.
func (w *ReminderWorker) registerBacklog(r ReminderQueue, stop <-chan struct{}) {
	if w.Metrics == nil || w.Metrics.Registry == nil {
		return
	}
	var size atomic.Uint64
	size.Store(math.Float64bits(math.NaN()))
	read := func() {
		ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
		defer cancel()
		n, err := r.Backlog(ctx)
		if err != nil {
			w.log().Warn("reminder queue size unknown", "err", err)
			return
		}
		size.Store(math.Float64bits(float64(n)))
	}
	read()
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "fraudnavi_reminder_queue_size",
		Help: "Reminders waiting in the queue: scheduled, due, or to be retried (read every 15 s).",
	}, func() float64 { return math.Float64frombits(size.Load()) })
	if err := w.Metrics.Registry.Register(g); err != nil {
		if _, dup := errors.AsType[prometheus.AlreadyRegisteredError](err); !dup {
			w.log().Error("register reminder queue metric", "err", err)
		}
		return
	}
	go func() {
		t := time.NewTicker(backlogRefresh)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	}()
}

func (w *ReminderWorker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}
