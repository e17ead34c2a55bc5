package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// realClock is the machine's clock: these tests check what asynq, which
// runs on real time, does with a task due an hour from now, whatever the date.
var realClock = flows.Clock(time.Now)

func newReminders(t *testing.T, rdb redis.UniversalClient, opts ...storage.ReminderOption) (*storage.Reminders, *asynq.Inspector) {
	t.Helper()
	opts = append([]storage.ReminderOption{storage.WithReminderQueue(storagetest.ReminderQueue(t, rdb, "test_reminders_"))}, opts...)
	r := storage.NewReminders(rdb, realClock, append(opts, storage.WithTaskUserKeys(storagetest.UserKeys()))...)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { insp.Close() })
	return r, insp
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTaskID(t *testing.T) {
	due := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	id := storagetest.UserKeys().TaskID("Uabc", "check_mail", due)
	if want := storagetest.UserKeys().Key("Uabc") + ":check_mail:" + strconv.FormatInt(due.Unix(), 10); id != want {
		t.Errorf("TaskID = %q, want %q", id, want)
	}
	if strings.Contains(id, "Uabc") {
		t.Errorf("TaskID %q contains the LINE user id", id)
	}
	others := []string{
		storagetest.UserKeys().TaskID("Uabd", "check_mail", due),
		storagetest.UserKeys().TaskID("Uabc", "bank_visit", due),
		storagetest.UserKeys().TaskID("Uabc", "check_mail", due.Add(time.Minute)),
	}
	for _, o := range others {
		if o == id {
			t.Errorf("TaskID %q does not tell reminders apart", o)
		}
	}
	// Sub-second parts do not make another task.
	if got := storagetest.UserKeys().TaskID("Uabc", "check_mail", due.Add(300*time.Millisecond)); got != id {
		t.Errorf("TaskID with milliseconds = %q, want %q", got, id)
	}
}

func TestParseReminderTask(t *testing.T) {
	tests := []struct {
		payload string
		want    storage.ReminderTask
		ok      bool
	}{
		{`{"u":"U1","r":"check_mail","d":1795597200}`, storage.ReminderTask{UserID: "U1", ReminderID: "check_mail", Due: time.Unix(1795597200, 0)}, true},
		{`{"u":"","r":"check_mail","d":1795597200}`, storage.ReminderTask{}, false},
		{`{"u":"U1","r":"","d":1795597200}`, storage.ReminderTask{}, false},
		{`{"u":"U1","r":"check_mail"}`, storage.ReminderTask{}, false},
		{`not json`, storage.ReminderTask{}, false},
	}
	for _, tt := range tests {
		got, err := storage.ParseReminderTask([]byte(tt.payload), nil)
		if (err == nil) != tt.ok {
			t.Errorf("ParseReminderTask(%s) error = %v, want ok %v", tt.payload, err, tt.ok)
			continue
		}
		if tt.ok && (got.UserID != tt.want.UserID || got.ReminderID != tt.want.ReminderID || !got.Due.Equal(tt.want.Due)) {
			t.Errorf("ParseReminderTask(%s) = %+v, want %+v", tt.payload, got, tt.want)
		}
	}
}

func TestScheduleEnqueuesOneTask(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, insp := newReminders(t, b.Client)
		user := storagetest.UserID()
		due := time.Now().Add(time.Hour).Truncate(time.Second)

		// Performing an outbox again schedules the same reminder again.
		for range 3 {
			if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
				t.Fatalf("Schedule: %v", err)
			}
		}
		tasks, err := insp.ListScheduledTasks(r.Queue())
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 1 {
			t.Fatalf("%d scheduled tasks, want 1", len(tasks))
		}
		task := tasks[0]
		if task.ID != storagetest.UserKeys().TaskID(user, "check_mail", due) || task.Type != storage.ReminderTaskType {
			t.Errorf("task %s of type %s, want %s of type %s", task.ID, task.Type, storagetest.UserKeys().TaskID(user, "check_mail", due), storage.ReminderTaskType)
		}
		// Never early; a second late at most, as asynq keeps whole seconds
		// and the scheduler hands it the wait on the injected clock.
		if task.NextProcessAt.Before(due) || task.NextProcessAt.After(due.Add(2*time.Second)) {
			t.Errorf("task due at %v, want %v or up to 2 s later", task.NextProcessAt, due)
		}
		if task.MaxRetry != storage.ReminderMaxRetry || task.Retention != storage.ReminderRetention {
			t.Errorf("MaxRetry %d, Retention %v; want %d, %v", task.MaxRetry, task.Retention, storage.ReminderMaxRetry, storage.ReminderRetention)
		}
		got, err := storage.ParseReminderTask(task.Payload, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != user || got.ReminderID != "check_mail" || !got.Due.Equal(due) {
			t.Errorf("payload %+v, want user %s, check_mail, %v", got, user, due)
		}
		if n, err := r.Backlog(ctx); err != nil || n != 1 {
			t.Errorf("Backlog = %d, %v; want 1", n, err)
		}

		// Another due time is another reminder.
		if err := r.Schedule(ctx, user, "check_mail", due.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := r.Backlog(ctx); err != nil || n != 2 {
			t.Errorf("Backlog = %d, %v; want 2", n, err)
		}
	})
}

func TestScheduleRoundsUpToTheSecond(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, insp := newReminders(t, b.Client)
		user := storagetest.UserID()
		due := time.Now().Add(time.Hour).Truncate(time.Second).Add(300 * time.Millisecond)
		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}
		info, err := insp.GetTaskInfo(r.Queue(), storagetest.UserKeys().TaskID(user, "check_mail", due))
		if err != nil {
			t.Fatal(err)
		}
		// asynq keeps whole seconds; rounding down would fire early.
		if want := due.Truncate(time.Second).Add(time.Second); !info.NextProcessAt.Equal(want) {
			t.Errorf("task due at %v, want %v", info.NextProcessAt, want)
		}
	})
}

func TestScheduleWithClock(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		// A Wednesday morning in Tokyo, whatever the real time.
		fake := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
		offset := time.Until(fake)
		clock := func() time.Time { return time.Now().Add(offset) }
		opts := []storage.ReminderOption{storage.WithReminderQueue(storagetest.ReminderQueue(t, b.Client, "test_reminders_"))}
		r := storage.NewReminders(b.Client, clock, append(opts, storage.WithTaskUserKeys(storagetest.UserKeys()))...)
		insp := asynq.NewInspectorFromRedisClient(b.Client)
		t.Cleanup(func() { insp.Close() })
		user := storagetest.UserID()
		due := fake.Add(time.Hour)

		before := time.Now()
		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		info, err := insp.GetTaskInfo(r.Queue(), storagetest.UserKeys().TaskID(user, "check_mail", due))
		if err != nil {
			t.Fatal(err)
		}
		// Due in an hour of the fake clock is due in an hour of real time.
		lo, hi := before.Add(time.Hour-time.Second), after.Add(time.Hour+time.Second)
		if info.NextProcessAt.Before(lo) || info.NextProcessAt.After(hi) {
			t.Errorf("task due at %v, want between %v and %v", info.NextProcessAt, lo, hi)
		}
		// The payload keeps the due time of the fake clock: it is what the
		// user's state holds.
		got, _ := storage.ParseReminderTask(info.Payload, nil)
		if !got.Due.Equal(due) {
			t.Errorf("payload due %v, want %v", got.Due, due)
		}
	})
}

func TestScheduleDropsLongPastReminders(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, _ := newReminders(t, b.Client)
		due := time.Now().Add(-storage.ReminderRetention - time.Hour)
		if err := r.Schedule(ctx, storagetest.UserID(), "check_mail", due); err != nil {
			t.Fatal(err)
		}
		if n, err := r.Backlog(ctx); err != nil || n != 0 {
			t.Errorf("Backlog = %d, %v; want 0", n, err)
		}
	})
}

func TestCancel(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, _ := newReminders(t, b.Client)
		user := storagetest.UserID()
		due := time.Now().Add(time.Hour)

		// Nothing scheduled yet, not even the queue exists.
		if err := r.Cancel(ctx, user, "check_mail", due); err != nil {
			t.Fatalf("Cancel before any Schedule: %v", err)
		}
		for _, id := range []string{"check_mail", "bank_visit"} {
			if err := r.Schedule(ctx, user, id, due); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 { // a performed-again outbox cancels again
			if err := r.Cancel(ctx, user, "check_mail", due); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
		}
		if n, err := r.Backlog(ctx); err != nil || n != 1 {
			t.Errorf("Backlog = %d, %v; want 1 (bank_visit)", n, err)
		}
		// Cancelling another due time leaves the reminder alone.
		if err := r.Cancel(ctx, user, "bank_visit", due.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := r.Backlog(ctx); err != nil || n != 1 {
			t.Errorf("Backlog = %d, %v; want 1 (bank_visit)", n, err)
		}
	})
}

func TestReminderArgumentErrors(t *testing.T) {
	emb := storagetest.Embedded(t)
	r := storage.NewReminders(emb.Client(), realClock, storage.WithTaskUserKeys(storagetest.UserKeys()))
	ctx := ctxT(t)
	due := time.Now().Add(time.Hour)
	tests := []struct {
		user, id string
		due      time.Time
	}{
		{"", "check_mail", due},
		{"U1", "", due},
		{"U1", "check_mail", time.Time{}},
	}
	for _, tt := range tests {
		if err := r.Schedule(ctx, tt.user, tt.id, tt.due); err == nil {
			t.Errorf("Schedule(%q, %q, %v) = nil, want an error", tt.user, tt.id, tt.due)
		}
		if err := r.Cancel(ctx, tt.user, tt.id, tt.due); err == nil {
			t.Errorf("Cancel(%q, %q, %v) = nil, want an error", tt.user, tt.id, tt.due)
		}
	}
}

// A completed reminder blocks enqueueing it again for ReminderRetention, so
// an outbox performed after the push cannot push twice.
func TestScheduleAfterPushIsANoOp(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, insp := newReminders(t, b.Client)
		user := storagetest.UserID()
		due := time.Now().Truncate(time.Second)
		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}

		ran := make(chan struct{}, 10)
		srv := asynq.NewServerFromRedisClient(b.Client, asynq.Config{
			Queues:                   map[string]int{r.Queue(): 1},
			TaskCheckInterval:        50 * time.Millisecond,
			DelayedTaskCheckInterval: 50 * time.Millisecond,
			LogLevel:                 asynq.ErrorLevel,
		})
		mux := asynq.NewServeMux()
		mux.HandleFunc(storage.ReminderTaskType, func(context.Context, *asynq.Task) error {
			ran <- struct{}{}
			return nil
		})
		if err := srv.Start(mux); err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown()
		select {
		case <-ran:
		case <-ctx.Done():
			t.Fatal("the reminder never ran")
		}
		storagetest.WaitFor(t, ctx, "the task to complete", func() bool {
			info, err := insp.GetTaskInfo(r.Queue(), storagetest.UserKeys().TaskID(user, "check_mail", due))
			return err == nil && info.State == asynq.TaskStateCompleted
		})

		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatalf("Schedule after the push: %v", err)
		}
		if n, err := r.Backlog(ctx); err != nil || n != 0 {
			t.Errorf("Backlog = %d, %v; want 0", n, err)
		}
		if len(ran) != 0 {
			t.Errorf("the reminder ran again")
		}
	})
}

func TestRemindersUnavailable(t *testing.T) {
	r := storage.NewReminders(storagetest.Unreachable(t), realClock, storage.WithTaskUserKeys(storagetest.UserKeys()))
	ctx := ctxT(t)
	due := time.Now().Add(time.Hour)
	if err := r.Schedule(ctx, "U1", "check_mail", due); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Schedule = %v, want ErrUnavailable", err)
	}
	if err := r.Cancel(ctx, "U1", "check_mail", due); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Cancel = %v, want ErrUnavailable", err)
	}
	if _, err := r.Backlog(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Backlog = %v, want ErrUnavailable", err)
	}
}

// Errors name the user by pseudonym only.
func TestReminderErrorsHideUserID(t *testing.T) {
	r := storage.NewReminders(storagetest.Unreachable(t), realClock, storage.WithTaskUserKeys(storagetest.UserKeys()))
	user := storagetest.UserID()
	err := r.Schedule(ctxT(t), user, "check_mail", time.Now().Add(time.Hour))
	if err == nil || strings.Contains(err.Error(), user) {
		t.Errorf("Schedule error %v: want an error without the user id", err)
	}
}

// A reminder being pushed cannot be removed; Cancel leaves it be, since the
// push re-reads the state.
func TestCancelWhileRunning(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, insp := newReminders(t, b.Client)
		user := storagetest.UserID()
		due := time.Now().Truncate(time.Second)
		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		srv := asynq.NewServerFromRedisClient(b.Client, asynq.Config{
			Queues:                   map[string]int{r.Queue(): 1},
			TaskCheckInterval:        50 * time.Millisecond,
			DelayedTaskCheckInterval: 50 * time.Millisecond,
			LogLevel:                 asynq.ErrorLevel,
		})
		mux := asynq.NewServeMux()
		mux.HandleFunc(storage.ReminderTaskType, func(context.Context, *asynq.Task) error {
			<-release
			return nil
		})
		if err := srv.Start(mux); err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown()
		defer close(release)
		id := storagetest.UserKeys().TaskID(user, "check_mail", due)
		storagetest.WaitFor(t, ctx, "the task to run", func() bool {
			info, err := insp.GetTaskInfo(r.Queue(), id)
			return err == nil && info.State == asynq.TaskStateActive
		})
		if err := r.Cancel(ctx, user, "check_mail", due); err != nil {
			t.Errorf("Cancel of a running reminder = %v, want nil", err)
		}
	})
}

// TestPayloadKeySealsTheUserID: with a key, no reminder task in Redis holds
// the LINE user id in the clear, and only the same key opens it.
func TestPayloadKeySealsTheUserID(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		secret := []byte("channel-secret")
		r, insp := newReminders(t, b.Client, storage.WithPayloadKey(secret))
		user := storagetest.UserID()
		due := time.Now().Add(time.Hour).Truncate(time.Second)
		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}
		tasks, err := insp.ListScheduledTasks(r.Queue())
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks %v, err %v", tasks, err)
		}
		if strings.Contains(string(tasks[0].Payload), user) {
			t.Fatalf("the payload holds the user id in the clear: %s", tasks[0].Payload)
		}
		got, err := storage.ParseReminderTask(tasks[0].Payload, secret)
		if err != nil || got.UserID != user {
			t.Fatalf("opened %+v, %v; want user %s", got, err, user)
		}
		if _, err := storage.ParseReminderTask(tasks[0].Payload, []byte("another secret")); err == nil {
			t.Fatal("another key opened the payload")
		}
		// The sealed id is bound to its task: copied into the payload of
		// another reminder or due time, it does not open.
		var p map[string]any
		if err := json.Unmarshal(tasks[0].Payload, &p); err != nil {
			t.Fatal(err)
		}
		for field, other := range map[string]any{"r": "call_bank", "d": due.Unix() + 60} {
			moved := maps.Clone(p)
			moved[field] = other
			raw, _ := json.Marshal(moved)
			if got, err := storage.ParseReminderTask(raw, secret); err == nil {
				t.Errorf("the sealed id moved to another task (%s changed) opened: %+v", field, got)
			}
		}
		// A task scheduled before the binding still opens, without it.
		legacy, _ := json.Marshal(map[string]any{"u": storage.SealUnbound(secret, user), "r": "check_mail", "d": due.Unix()})
		if got, err := storage.ParseReminderTask(legacy, secret); err != nil || got.UserID != user {
			t.Errorf("a task sealed before the binding: %+v, %v; want user %s", got, err, user)
		}
	})
}

// A reminder is scheduled, or dropped as too old, by the injected clock
// alone: on any date, whatever the machine's date is.
func TestScheduleOnAnyDate(t *testing.T) {
	for _, d := range flowstest.Dates {
		t.Run(d.Name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
				ctx := ctxT(t)
				r := storage.NewReminders(b.Client, flows.FixedClock(d.At), storage.WithTaskUserKeys(storagetest.UserKeys()), storage.WithReminderQueue(storagetest.ReminderQueue(t, b.Client, "test_reminders_")))
				insp := asynq.NewInspectorFromRedisClient(b.Client)
				t.Cleanup(func() { insp.Close() })
				user := storagetest.UserID()
				due, old := d.At.Add(time.Hour), d.At.Add(-storage.ReminderRetention-time.Minute)
				for _, due := range []time.Time{due, old} {
					if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
						t.Fatal(err)
					}
				}
				info, err := insp.GetTaskInfo(r.Queue(), storagetest.UserKeys().TaskID(user, "check_mail", due))
				if err != nil {
					t.Fatalf("the reminder due in an hour was not scheduled: %v", err)
				}
				if info.State != asynq.TaskStateScheduled {
					t.Errorf("state %v, want scheduled", info.State)
				}
				if wait := time.Until(info.NextProcessAt); wait < 59*time.Minute || wait > 62*time.Minute {
					t.Errorf("handed to asynq for %v from now, want about an hour", wait)
				}
				if _, err := insp.GetTaskInfo(r.Queue(), storagetest.UserKeys().TaskID(user, "check_mail", old)); err == nil {
					t.Error("a reminder due more than ReminderRetention ago was scheduled")
				}
			})
		})
	}
}
