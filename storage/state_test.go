package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// stateKey and seenKey spell out the documented key layout, so a change to it
// shows up here.
func stateKey(userID string) string { return storagetest.StateKey(userID) }
func seenKey(userID string) string  { return storagetest.SeenKey(userID) }

func TestApply(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()

		rec, seen, err := s.Load(ctx, user, "e1")
		if err != nil || seen || rec.State != nil || rec.Version != 0 || rec.Outbox != nil {
			t.Fatalf("Load of a new user = %+v, %v, %v; want zero record, not seen", rec, seen, err)
		}

		rec, err = s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte("o1"))
		if err != nil {
			t.Fatal(err)
		}
		want := storage.Record{State: []byte("s1"), Version: 1, Outbox: []byte("o1"), OutboxEvent: "e1"}
		checkRecord(t, "Apply(e1)", rec, want)

		rec, seen, err = s.Load(ctx, user, "e1")
		if err != nil || !seen {
			t.Fatalf("Load(e1) after Apply: seen = %v, err = %v; want seen", seen, err)
		}
		checkRecord(t, "Load(e1)", rec, want)
		if _, seen, _ := s.Load(ctx, user, "e2"); seen {
			t.Error("Load(e2): seen before it was applied")
		}
		if rec, seen, err := s.Load(ctx, user, ""); err != nil || seen || rec.Version != 1 {
			t.Errorf("Load without event = %+v, %v, %v; want version 1, not seen", rec, seen, err)
		}

		// A redelivery while the outbox is pending gets it back.
		rec, err = s.Apply(ctx, user, "e1", 0, []byte("other"), []byte("other"))
		if !errors.Is(err, storage.ErrAlreadyApplied) {
			t.Fatalf("Apply(e1) again: err = %v, want ErrAlreadyApplied", err)
		}
		checkRecord(t, "Apply(e1) again", rec, want)
		if !bytes.Equal(rec.OutboxFor("e1"), []byte("o1")) || rec.OutboxFor("e2") != nil {
			t.Errorf("OutboxFor: got %q for e1 and %q for e2", rec.OutboxFor("e1"), rec.OutboxFor("e2"))
		}

		// Once cleared, a redelivery has nothing left to do.
		if _, err := s.ClearOutbox(ctx, user, 1); err != nil {
			t.Fatal(err)
		}
		rec, err = s.Apply(ctx, user, "e1", 1, []byte("other"), nil)
		if !errors.Is(err, storage.ErrAlreadyApplied) {
			t.Fatalf("Apply(e1) after clear: err = %v, want ErrAlreadyApplied", err)
		}
		checkRecord(t, "Apply(e1) after clear", rec, storage.Record{State: []byte("s1"), Version: 1})

		// An event without side effects stores no outbox.
		rec, err = s.Apply(ctx, user, "e2", 1, []byte("s2"), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkRecord(t, "Apply(e2)", rec, storage.Record{State: []byte("s2"), Version: 2})
		rec, _, _ = s.Load(ctx, user, "")
		checkRecord(t, "Load after e2", rec, storage.Record{State: []byte("s2"), Version: 2})
	})
}

func TestApplyVersionConflict(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()

		want, err := s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte("o1"))
		if err != nil {
			t.Fatal(err)
		}
		for _, expect := range []int64{0, 2, 7} {
			rec, err := s.Apply(ctx, user, "e2", expect, []byte("s2"), []byte("o2"))
			if !errors.Is(err, storage.ErrVersionConflict) {
				t.Errorf("Apply(e2, expect %d): err = %v, want ErrVersionConflict", expect, err)
			}
			if rec.Version != 0 || rec.State != nil {
				t.Errorf("Apply(e2, expect %d) returned %+v, want zero record", expect, rec)
			}
		}
		rec, seen, err := s.Load(ctx, user, "e2")
		if err != nil {
			t.Fatal(err)
		}
		if seen {
			t.Error("a conflicting event was marked as applied")
		}
		checkRecord(t, "Load after conflicts", rec, want)
	})
}

func TestClearOutbox(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()

		// Clearing for a user without state is harmless.
		if _, err := s.ClearOutbox(ctx, user, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte("o1")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, user, "e2", 1, []byte("s2"), []byte("o2")); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			version int64
			want    storage.Record
		}{
			// The late confirmation of e1's outbox must not drop e2's.
			{1, storage.Record{State: []byte("s2"), Version: 2, Outbox: []byte("o2"), OutboxEvent: "e2"}},
			{3, storage.Record{State: []byte("s2"), Version: 2, Outbox: []byte("o2"), OutboxEvent: "e2"}},
			{2, storage.Record{State: []byte("s2"), Version: 2}},
			{2, storage.Record{State: []byte("s2"), Version: 2}}, // twice is fine
		}
		for _, tt := range tests {
			if _, err := s.ClearOutbox(ctx, user, tt.version); err != nil {
				t.Fatalf("ClearOutbox(%d): %v", tt.version, err)
			}
			rec, _, err := s.Load(ctx, user, "")
			if err != nil {
				t.Fatal(err)
			}
			checkRecord(t, fmt.Sprintf("after ClearOutbox(%d)", tt.version), rec, tt.want)
		}
	})
}

func TestDelete(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()

		if _, err := s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte("o1")); err != nil {
			t.Fatal(err)
		}
		pattern := "*" + storagetest.UserKeys().Key(user) + "*"
		if got, want := storagetest.ScanKeys(t, b.Client, pattern), []string{seenKey(user), stateKey(user)}; !slices.Equal(got, want) {
			t.Fatalf("keys before Delete = %q, want %q", got, want)
		}
		if got := storagetest.ScanKeys(t, b.Client, "*"+user+"*"); len(got) > 0 {
			t.Errorf("the raw user id appears in key names: %q", got)
		}

		if err := s.Delete(ctx, user); err != nil {
			t.Fatal(err)
		}
		if got := storagetest.ScanKeys(t, b.Client, pattern); len(got) > 0 {
			t.Errorf("keys after Delete = %q, want none", got)
		}
		rec, seen, err := s.Load(ctx, user, "e1")
		if err != nil || seen || rec.Version != 0 || rec.State != nil {
			t.Errorf("Load after Delete = %+v, %v, %v; want zero record, not seen", rec, seen, err)
		}
		// Deleting again, or a user never seen, is not an error.
		if err := s.Delete(ctx, user); err != nil {
			t.Error(err)
		}
	})
}

func TestTTL(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		// The state lives for the TTL; the seen set only for the seen window
		// (or the TTL, if shorter), so a user at rest holds just the state.
		tests := []struct {
			name  string
			opts  []storage.Option
			state time.Duration
			seen  time.Duration
		}{
			{"default", nil, 90 * 24 * time.Hour, 24 * time.Hour},
			{"WithTTL", []storage.Option{storage.WithTTL(time.Hour)}, time.Hour, time.Hour},
			{"WithSeenWindow", []storage.Option{storage.WithSeenWindow(2*time.Hour, 0)}, 90 * 24 * time.Hour, 2 * time.Hour},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := storage.NewStateStore(b.Client, testClock, append(tt.opts, storage.WithUserKeys(storagetest.UserKeys()))...)
				user := storagetest.UserID()
				checkTTL := func(when string) {
					t.Helper()
					for k, want := range map[string]time.Duration{stateKey(user): tt.state, seenKey(user): tt.seen} {
						got, err := b.Client.PTTL(ctx, k).Result()
						if err != nil {
							t.Fatal(err)
						}
						if got > want || got < want-time.Minute {
							t.Errorf("%s: TTL of %s = %v, want %v", when, k, got, want)
						}
					}
				}
				if _, err := s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte("o1")); err != nil {
					t.Fatal(err)
				}
				checkTTL("after the first event")

				// Let time pass, then an event refreshes the TTL of both keys.
				for _, k := range []string{stateKey(user), seenKey(user)} {
					if err := b.Client.PExpire(ctx, k, time.Second*30).Err(); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := s.Apply(ctx, user, "e2", 1, []byte("s2"), nil); err != nil {
					t.Fatal(err)
				}
				checkTTL("after the second event")
			})
		}
	})
}

func TestSeenTrimming(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

		tests := []struct {
			name    string
			max     int
			step    time.Duration // clock advance between events
			events  int
			forgot  []string // event ids no longer remembered at the end
			remains []string
		}{
			{
				name: "count", max: 5, step: time.Second, events: 8,
				forgot: []string{"e0", "e1", "e2"}, remains: []string{"e3", "e4", "e5", "e6", "e7"},
			},
			{
				// e0 at 0h, e1 at 10h, e2 at 20h, e3 at 30h: the window ends at 6h.
				name: "age", max: 100, step: 10 * time.Hour, events: 4,
				forgot: []string{"e0"}, remains: []string{"e1", "e2", "e3"},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				now := start
				s := storage.NewStateStore(b.Client, func() time.Time { return now }, storage.WithUserKeys(storagetest.UserKeys()), storage.WithSeenWindow(24*time.Hour, tt.max))
				user := storagetest.UserID()
				for i := range tt.events {
					if _, err := s.Apply(ctx, user, fmt.Sprintf("e%d", i), int64(i), []byte("s"), nil); err != nil {
						t.Fatal(err)
					}
					now = now.Add(tt.step)
				}
				n, err := b.Client.ZCard(ctx, seenKey(user)).Result()
				if err != nil {
					t.Fatal(err)
				}
				if n != int64(len(tt.remains)) {
					t.Errorf("%d event ids remembered, want %d", n, len(tt.remains))
				}
				for _, id := range tt.forgot {
					if _, seen, _ := s.Load(ctx, user, id); seen {
						t.Errorf("%s still remembered", id)
					}
				}
				for _, id := range tt.remains {
					if _, seen, _ := s.Load(ctx, user, id); !seen {
						t.Errorf("%s forgotten", id)
					}
				}
			})
		}
	})
}

func TestInvalidArguments(t *testing.T) {
	ctx := context.Background()
	s := storage.NewStateStore(storagetest.Unreachable(t), testClock, storage.WithUserKeys(storagetest.UserKeys()))
	tests := []struct {
		name string
		call func() error
	}{
		{"Load without user", func() error { _, _, err := s.Load(ctx, "", "e"); return err }},
		{"Apply without user", func() error { _, err := s.Apply(ctx, "", "e", 0, nil, nil); return err }},
		{"Apply without event", func() error { _, err := s.Apply(ctx, "U1", "", 0, nil, nil); return err }},
		{"Apply negative version", func() error { _, err := s.Apply(ctx, "U1", "e", -1, nil, nil); return err }},
		{"ClearOutbox without user", func() error { _, err := s.ClearOutbox(ctx, "", 1); return err }},
		{"Delete without user", func() error { return s.Delete(ctx, "") }},
	}
	for _, tt := range tests {
		err := tt.call()
		// Rejected before Redis is asked, so not a Redis outage.
		if err == nil || errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s: err = %v, want a plain error", tt.name, err)
		}
	}
}

// TestConcurrentSameEvent delivers one event to 20 workers at once, as LINE
// redelivery racing a slow first delivery would.
func TestConcurrentSameEvent(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()

		const workers = 20
		var (
			wg       sync.WaitGroup
			start    = make(chan struct{})
			mu       sync.Mutex
			applied  int
			repeated int
			errs     []error
		)
		for i := range workers {
			wg.Go(func() {
				<-start
				rec, seen, err := s.Load(ctx, user, "e1")
				if err == nil && !seen {
					_, err = s.Apply(ctx, user, "e1", rec.Version, fmt.Appendf(nil, "worker %d", i), []byte("o"))
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case seen || errors.Is(err, storage.ErrAlreadyApplied):
					repeated++
				case err == nil:
					applied++
				default:
					errs = append(errs, err)
				}
			})
		}
		close(start)
		wg.Wait()

		if applied != 1 || repeated != workers-1 || len(errs) > 0 {
			t.Errorf("applied %d, already applied %d, errors %v; want 1, %d, none", applied, repeated, errs, workers-1)
		}
		if rec, _, err := s.Load(ctx, user, ""); err != nil || rec.Version != 1 {
			t.Errorf("final record %+v, %v; want version 1", rec, err)
		}
	})
}

// TestConcurrentEvents applies 10 events of one user concurrently, each
// retrying on a version conflict, and checks that no update is lost.
func TestConcurrentEvents(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()

		const events = 10
		var (
			wg       sync.WaitGroup
			start    = make(chan struct{})
			mu       sync.Mutex
			versions []int64
		)
		for i := range events {
			id := fmt.Sprintf("e%d", i)
			wg.Go(func() {
				<-start
				for {
					rec, seen, err := s.Load(ctx, user, id)
					if err != nil || seen {
						t.Errorf("Load(%s): seen = %v, err = %v", id, seen, err)
						return
					}
					state := append(slices.Clip(rec.State), id+";"...)
					rec, err = s.Apply(ctx, user, id, rec.Version, state, nil)
					if errors.Is(err, storage.ErrVersionConflict) {
						continue
					}
					if err != nil {
						t.Errorf("Apply(%s): %v", id, err)
						return
					}
					mu.Lock()
					versions = append(versions, rec.Version)
					mu.Unlock()
					return
				}
			})
		}
		close(start)
		wg.Wait()

		slices.Sort(versions)
		want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		if !slices.Equal(versions, want) {
			t.Errorf("versions returned = %v, want each of %v once", versions, want)
		}
		rec, _, err := s.Load(ctx, user, "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Version != events {
			t.Errorf("final version = %d, want %d", rec.Version, events)
		}
		for i := range events {
			if n := strings.Count(string(rec.State), fmt.Sprintf("e%d;", i)); n != 1 {
				t.Errorf("final state %q has e%d %d times, want once", rec.State, i, n)
			}
		}
	})
}

func checkRecord(t *testing.T, what string, got, want storage.Record) {
	t.Helper()
	if !bytes.Equal(got.State, want.State) || got.Version != want.Version ||
		!bytes.Equal(got.Outbox, want.Outbox) || got.OutboxEvent != want.OutboxEvent ||
		(got.Outbox == nil) != (want.Outbox == nil) {
		t.Errorf("%s = %s, want %s", what, fmtRecord(got), fmtRecord(want))
	}
}

func fmtRecord(r storage.Record) string {
	return fmt.Sprintf("{State: %q, Version: %d, Outbox: %q, OutboxEvent: %q}", r.State, r.Version, r.Outbox, r.OutboxEvent)
}

// TestOutboxSealed: with WithOutboxSeal the pending reply is not in Redis in
// the clear; Load and a repeated Apply give it back; a store with another
// secret reads it as unreadable bytes rather than failing.
func TestOutboxSealed(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()), storage.WithOutboxSeal([]byte("secret one")))
		user := storagetest.UserID()
		const reply = `{"reply":"このリンクの本当の持ち主は dfg538.com"}`
		if _, err := s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte(reply)); err != nil {
			t.Fatal(err)
		}
		raw, err := b.Client.HGet(ctx, stateKey(user), "outbox").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "dfg538") || raw == "" {
			t.Fatalf("the outbox is stored as %q", raw)
		}
		rec, _, err := s.Load(ctx, user, "e1")
		if err != nil || string(rec.Outbox) != reply {
			t.Fatalf("Load: outbox %q, %v", rec.Outbox, err)
		}
		again, err := s.Apply(ctx, user, "e1", 0, []byte("s1"), []byte(reply))
		if !errors.Is(err, storage.ErrAlreadyApplied) || string(again.OutboxFor("e1")) != reply {
			t.Fatalf("repeated Apply: outbox %q, %v", again.Outbox, err)
		}
		other := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()), storage.WithOutboxSeal([]byte("secret two")))
		rec, _, err = other.Load(ctx, user, "e1")
		if err != nil || string(rec.Outbox) == reply {
			t.Fatalf("another secret: outbox %q, %v", rec.Outbox, err)
		}
	})
}

// An event whose id the store may have forgotten (trimmed by the cap, or
// older than the seen window) is refused as a replay instead of applied a
// second time; remembered ids are still recognised, new events still apply.
func TestApplyStampedRefusesReplays(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		now := start
		s := storage.NewStateStore(b.Client, func() time.Time { return now }, storage.WithUserKeys(storagetest.UserKeys()), storage.WithSeenWindow(24*time.Hour, 5))
		user := storagetest.UserID()
		stamps := map[string]time.Time{}
		for i := range 8 {
			id := fmt.Sprintf("e%d", i)
			stamps[id] = now.Add(-100 * time.Millisecond) // LINE stamps it before it arrives
			if _, err := s.ApplyStamped(ctx, user, id, stamps[id], int64(i), []byte("s"), nil); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Second)
		}
		tests := []struct {
			name    string
			id      string
			stamped time.Time
			want    error
		}{
			{"replay of an id trimmed by the cap", "e0", stamps["e0"], storage.ErrReplay},
			{"replay of the newest trimmed id", "e2", stamps["e2"], storage.ErrReplay},
			{"redelivery of a remembered id", "e4", stamps["e4"], storage.ErrAlreadyApplied},
			{"older than the seen window", "old", now.Add(-25 * time.Hour), storage.ErrReplay},
			{"a new event", "new", now, nil},
			{"a new event without a stamp", "unstamped", time.Time{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec, _, err := s.Load(ctx, user, "")
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.ApplyStamped(ctx, user, tt.id, tt.stamped, rec.Version, []byte("s"), nil)
				if !errors.Is(err, tt.want) && (tt.want != nil || err != nil) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				after, _, _ := s.Load(ctx, user, "")
				if applied := after.Version - rec.Version; (applied == 1) != (tt.want == nil) {
					t.Fatalf("applied %d time(s), want %v", applied, tt.want == nil)
				}
			})
		}
	})
}
