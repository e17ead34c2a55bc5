package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"
)

// ErrGiveUp, wrapped in the error a ReminderHandler's Handle returns, gives
// the task up at once: it is not retried and counts as final.
var ErrGiveUp = asynq.SkipRetry

// ReminderAttempt is one failed attempt at a reminder task, as the queue
// saw it.
type ReminderAttempt struct {
	TaskID   string
	Retried  int  // how many times the task was retried before this attempt
	Final    bool // the task is given up: ErrGiveUp, or its retries used up
	Task     ReminderTask
	TaskRead bool // Task could be read from the payload
}

// ReminderHandler is what a reminder worker does with the tasks that come
// due on a queue served by Reminders.Serve. Handle is required.
type ReminderHandler struct {
	// Handle pushes one reminder whose payload was opened and checked to be
	// this task's own. nil is done; an error wrapping ErrGiveUp gives up;
	// any other error retries after RetryDelay.
	Handle func(ctx context.Context, t ReminderTask) error
	// RetryDelay is the wait before retry number retried+1; nil is asynq's
	// default.
	RetryDelay func(retried int, err error) time.Duration
	// IsFailure says whether an error uses up one of the task's retries;
	// nil: every error does.
	IsFailure func(err error) bool
	// OnError sees every failed attempt; nil ignores them.
	OnError func(a ReminderAttempt, err error)

	Concurrency     int           // pushes at once; required
	PollInterval    time.Duration // how often due and retried tasks are looked for; required
	ShutdownTimeout time.Duration // how long Shutdown waits for running pushes; required
	Log             *slog.Logger  // asynq's own messages, at warning level and up; nil discards
}

// Serve starts an asynq server on r's queue and client, opening payloads
// with r's payload key (WithPayloadKey), and returns the func that stops it:
// it waits up to ShutdownTimeout for the pushes in flight and puts back
// those still running. It does not close the Redis client.
func (r *Reminders) Serve(h ReminderHandler) (stop func(), err error) {
	if h.Handle == nil {
		return nil, errors.New("storage: reminder handler without Handle")
	}
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := asynq.Config{
		Concurrency:              h.Concurrency,
		Queues:                   map[string]int{r.queue: 1},
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          h.ShutdownTimeout,
		TaskCheckInterval:        h.PollInterval,
		DelayedTaskCheckInterval: h.PollInterval,
		HealthCheckFunc: func(err error) {
			if err != nil {
				log.Warn("reminder worker cannot reach redis", "err", err)
			}
		},
	}
	if h.RetryDelay != nil {
		cfg.RetryDelayFunc = func(retried int, err error, _ *asynq.Task) time.Duration { return h.RetryDelay(retried, err) }
	}
	if h.IsFailure != nil {
		cfg.IsFailure = h.IsFailure
	}
	cfg.ErrorHandler = asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
		if h.OnError == nil {
			return
		}
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		a := ReminderAttempt{Retried: retried, Final: errors.Is(err, asynq.SkipRetry) || retried >= maxRetry}
		a.TaskID, _ = asynq.GetTaskID(ctx)
		if task, perr := r.parse(t.Payload()); perr == nil {
			a.Task, a.TaskRead = task, true
		}
		h.OnError(a, err)
	})
	srv := asynq.NewServerFromRedisClient(r.rdb, cfg)
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if t.Type() != ReminderTaskType {
			return fmt.Errorf("unknown task type %q: %w", t.Type(), asynq.SkipRetry)
		}
		task, err := r.parse(t.Payload())
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		// The payload must be this task's: one copied from another task (by
		// anyone who can write to Redis) would push to someone else.
		if id, ok := asynq.GetTaskID(ctx); ok && id != r.users.TaskID(task.UserID, task.ReminderID, task.Due) &&
			id != legacyTaskID(task.UserID, task.ReminderID, task.Due) {
			return fmt.Errorf("reminder payload of another task: %w", asynq.SkipRetry)
		}
		return h.Handle(ctx, task)
	})); err != nil {
		return nil, fmt.Errorf("storage: start reminder worker: %w", err)
	}
	return srv.Shutdown, nil
}

// asynqLogger passes asynq's own messages to slog. asynq names tasks by id,
// which holds the user key (UserKeys), never a LINE user id.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...), "component", "asynq") }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...), "component", "asynq") }

// Fatal keeps asynq's contract (log, then exit); asynq v0.26 never calls it.
func (l asynqLogger) Fatal(args ...any) {
	l.log.Error(fmt.Sprint(args...), "component", "asynq")
	os.Exit(1)
}
