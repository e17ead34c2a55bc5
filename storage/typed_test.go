package storage_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestApplyStateRoundTrip: the state the pipeline applies is the state it
// loads back, field for field, without the pipeline touching its encoding.
func TestApplyStateRoundTrip(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()
		due := time.Date(2026, 11, 25, 9, 0, 0, 0, flows.Tokyo)
		want := flows.State{Step: "check_mail", Version: 1, Reminders: []flows.Reminder{{ID: "check_mail", Due: due}}}

		if _, err := s.ApplyState(ctx, user, "e1", time.Time{}, storage.Record{}, want, nil); err != nil {
			t.Fatal(err)
		}
		rec, _, err := s.Load(ctx, user, "")
		if err != nil {
			t.Fatal(err)
		}
		got, stored, err := rec.DecodeState()
		if err != nil || !stored {
			t.Fatalf("DecodeState after ApplyState = stored %v, err %v; want a stored state", stored, err)
		}
		if got.Step != want.Step || len(got.Reminders) != 1 || got.Reminders[0].ID != "check_mail" || !got.Reminders[0].Due.Equal(due) {
			t.Errorf("loaded state = %+v, want %+v", got, want)
		}
	})
}

// TestDecodeState: a user without state starts from the zero state, and a
// stored state that cannot be read is reported (the pipeline starts such a
// user over) rather than taken as no state.
func TestDecodeState(t *testing.T) {
	tests := []struct {
		name       string
		raw        []byte
		wantStored bool
		wantErr    bool
		wantStep   string
	}{
		{"none stored", nil, false, false, ""},
		{"stored", []byte(`{"step":"check_mail"}`), true, false, "check_mail"},
		{"unreadable", []byte("{not json"), true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, stored, err := storage.Record{State: tt.raw, Version: 3}.DecodeState()
			if stored != tt.wantStored || (err != nil) != tt.wantErr {
				t.Fatalf("DecodeState = stored %v, err %v; want stored %v, error %v", stored, err, tt.wantStored, tt.wantErr)
			}
			if st.Step != tt.wantStep {
				t.Errorf("step = %q, want %q", st.Step, tt.wantStep)
			}
			if tt.wantErr && !reflect.DeepEqual(st, flows.State{}) {
				t.Errorf("unreadable state decoded as %+v, want the zero state", st)
			}
		})
	}
}

// TestCachedState: after an event's outbox is performed, this process
// applies the user's next event on its cached state, without a load, and the
// performed outbox is replaced by that apply. A state changed elsewhere
// (another replica, a deletion and a new conversation that reached the same
// version) is refused as a conflict, never overwritten.
func TestCachedState(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		opts := []storage.Option{storage.WithUserKeys(storagetest.UserKeys())}
		s := storage.NewStateStore(b.Client, testClock, opts...)
		other := storage.NewStateStore(b.Client, testClock, opts...) // another replica
		user := storagetest.UserID()
		step := func(name string) flows.State { return flows.State{Step: name} }

		rec, err := s.ApplyState(ctx, user, "e1", time.Time{}, storage.Record{}, step("one"), []byte("reply 1"))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Cached(user); ok {
			t.Fatal("Cached before the outbox was performed: the next event would overwrite an outbox nobody performed")
		}
		s.OutboxPerformed(user, rec.Version)
		base, ok := s.Cached(user)
		if !ok || base.Version != 1 || base.Gen != "e1" || base.Outbox != nil {
			t.Fatalf("Cached = %+v, %v; want version 1 of generation e1, no outbox", base, ok)
		}
		if _, err := s.ApplyState(ctx, user, "e2", time.Time{}, base, step("two"), nil); err != nil {
			t.Fatalf("apply on the cached state: %v", err)
		}
		loaded, _, err := s.Load(ctx, user, "")
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Version != 2 || loaded.Outbox != nil {
			t.Errorf("after the second apply: version %d, outbox %q; want 2 and the performed outbox gone", loaded.Version, loaded.Outbox)
		}

		// Another replica moves the user on: the cached version 2 is stale.
		s.OutboxPerformed(user, 2)
		stale, _ := s.Cached(user)
		if _, err := other.ApplyState(ctx, user, "e3", time.Time{}, loaded, step("three"), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyState(ctx, user, "e4", time.Time{}, stale, step("four"), nil); !errors.Is(err, storage.ErrVersionConflict) {
			t.Fatalf("apply on a state another replica changed: err %v, want ErrVersionConflict", err)
		}
		if _, ok := s.Cached(user); ok {
			t.Error("a conflict left the stale state cached")
		}

		// Deleted elsewhere, and a new conversation reaches version 3 again:
		// same version, another generation.
		fresh, _, _ := s.Load(ctx, user, "")
		if _, err := s.ApplyState(ctx, user, "e5", time.Time{}, fresh, step("five"), nil); err != nil {
			t.Fatal(err)
		}
		s.OutboxPerformed(user, fresh.Version+1)
		old, ok := s.Cached(user)
		if !ok {
			t.Fatal("not cached after a performed apply")
		}
		if err := other.Delete(ctx, user); err != nil {
			t.Fatal(err)
		}
		var r storage.Record
		for i := range old.Version {
			if r, err = other.ApplyState(ctx, user, fmt.Sprintf("n%d", i), time.Time{}, r, step("new"), nil); err != nil {
				t.Fatal(err)
			}
		}
		if r.Version != old.Version || r.Gen == old.Gen {
			t.Fatalf("setup: new record at version %d gen %q, cached at %d gen %q", r.Version, r.Gen, old.Version, old.Gen)
		}
		if _, err := s.ApplyState(ctx, user, "e6", time.Time{}, old, step("six"), nil); !errors.Is(err, storage.ErrVersionConflict) {
			t.Fatalf("apply on a cached state of a deleted record: err %v, want ErrVersionConflict", err)
		}
	})
}

// TestPerformedOutboxLingers: a performed reply's outbox waits for the
// user's next apply to replace it, and is cleared on its own when none comes
// within the linger delay, or at Shutdown: a user at rest keeps no reply in
// Redis. An outbox not yet performed is never cleared by it.
func TestPerformedOutboxLingers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		// What another replica would load: a store's own Load leaves out
		// an outbox it knows it performed.
		reader := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()), storage.WithStateCache(0))
		outbox := func(user string) []byte {
			t.Helper()
			rec, _, err := reader.Load(ctx, user, "")
			if err != nil {
				t.Fatal(err)
			}
			return rec.Outbox
		}
		waitCleared := func(user string) bool {
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if outbox(user) == nil {
					return true
				}
			}
			return false
		}
		opts := []storage.Option{storage.WithUserKeys(storagetest.UserKeys())}

		short := storage.NewStateStore(b.Client, testClock, append(opts, storage.WithOutboxLinger(10*time.Millisecond))...)
		user := storagetest.UserID()
		rec, err := short.ApplyState(ctx, user, "e1", time.Time{}, storage.Record{}, flows.State{Step: "one"}, []byte("reply 1"))
		if err != nil {
			t.Fatal(err)
		}
		short.OutboxPerformed(user, rec.Version)
		if !waitCleared(user) {
			t.Fatal("a performed outbox is still stored 5 s after a 10 ms linger")
		}
		base, _ := short.Cached(user)
		rec, err = short.ApplyState(ctx, user, "e2", time.Time{}, base, flows.State{Step: "two"}, []byte("reply 2"))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if got := outbox(user); string(got) != "reply 2" {
			t.Fatalf("an outbox not yet performed: stored %q, want it kept", got)
		}

		long := storage.NewStateStore(b.Client, testClock, append(opts, storage.WithOutboxLinger(time.Hour))...)
		other := storagetest.UserID()
		rec, err = long.ApplyState(ctx, other, "e1", time.Time{}, storage.Record{}, flows.State{Step: "one"}, []byte("reply 1"))
		if err != nil {
			t.Fatal(err)
		}
		long.OutboxPerformed(other, rec.Version)
		if outbox(other) == nil {
			t.Fatal("cleared before the linger delay")
		}
		if err := long.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if got := outbox(other); got != nil {
			t.Fatalf("after Shutdown the performed outbox is still stored: %q", got)
		}
	})
}
