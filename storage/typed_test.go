package storage_test

import (
	"context"
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

		if _, err := s.ApplyState(ctx, user, "e1", time.Time{}, 0, want, nil); err != nil {
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
