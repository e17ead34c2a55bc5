package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
)

// The state store typed against the domain: the pipeline hands it a
// flows.State and gets one back, and the state's encoding stays storage's
// business. (Load, Apply and ApplyStamped keep the stored bytes, for tests
// and tools that look at them.)

// DecodeState returns the conversation state held in rec and whether one is
// stored; a user without one (new, reset, deleted or expired) gets the zero
// state and false. A stored state that cannot be decoded is an error, with
// the zero state and true: the caller decides whether to start it over.
func (r Record) DecodeState() (st flows.State, stored bool, err error) {
	if r.State == nil {
		return flows.State{}, false, nil
	}
	if err := json.Unmarshal(r.State, &st); err != nil {
		return flows.State{}, true, fmt.Errorf("storage: decode state: %w", err)
	}
	return st, true, nil
}

// ApplyState is ApplyStamped with st encoded by the store.
func (s *StateStore) ApplyState(ctx context.Context, userID, eventID string, stamped time.Time, expect int64, st flows.State, outbox []byte) (Record, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return Record{}, fmt.Errorf("storage: encode state: %w", err)
	}
	return s.ApplyStamped(ctx, userID, eventID, stamped, expect, raw, outbox)
}
