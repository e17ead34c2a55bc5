package storage

import (
	"context"
	"encoding/json"
	"errors"
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

// ApplyState stores st, with outbox, as the result of applying eventID on
// top of base (a record from Load or Cached: its version and generation must
// still be the stored ones, else ErrVersionConflict). Otherwise it is
// ApplyStamped. The applied state is kept in this process's cache; once
// OutboxPerformed or ClearOutbox says its outbox is done, Cached returns it.
func (s *StateStore) ApplyState(ctx context.Context, userID, eventID string, stamped time.Time, base Record, st flows.State, outbox []byte) (Record, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return Record{}, fmt.Errorf("storage: encode state: %w", err)
	}
	rec, err := s.apply(ctx, userID, eventID, stamped, base, true, raw, outbox)
	switch {
	case err == nil:
		s.cache.applied(userID, eventID, rec)
		s.lingering.stop(userID) // the outbox it waited to clear is replaced
	case errors.Is(err, ErrAlreadyApplied):
		if s.cache.performedBy(userID, eventID, rec.Version) {
			// A redelivery of the event this process applied and performed
			// last: its outbox, left for the next apply, is done.
			rec.Outbox, rec.OutboxEvent = nil, ""
		} else {
			s.cache.forget(userID)
		}
	case errors.Is(err, ErrVersionConflict):
		s.cache.forget(userID)
	}
	// Any other failure leaves base cached: if the write happened after
	// all, the version check of the next apply finds out.
	return rec, err
}

// Cached returns the record of userID's last event applied by this process,
// if its outbox was performed and the cache still holds it: the base of the
// user's next event, with no load. It knows nothing of events applied
// elsewhere: ApplyState finds those out.
func (s *StateStore) Cached(userID string) (Record, bool) { return s.cache.get(userID) }

// OutboxPerformed says that the outbox of version was performed and may stay
// in Redis until the user's next apply replaces it: one round trip saved on
// every event. Only an outbox that can be performed again harmlessly may be
// left so: a reply (a second try with its spent token is refused by LINE),
// not reminders, a deletion or a reply to push. A process that loads it
// later (another replica, after a restart) performs it again. If no apply
// here replaces it within the linger delay (WithOutboxLinger), it is
// cleared then: a user at rest keeps no reply in Redis.
func (s *StateStore) OutboxPerformed(userID string, version int64) {
	s.cache.performed(userID, version)
	s.lingering.start(userID, version, s.clearLingering)
}
