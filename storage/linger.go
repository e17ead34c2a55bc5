package storage

import (
	"context"
	"sync"
	"time"
)

// DefaultOutboxLinger is how long a performed reply's outbox may wait for
// the user's next event to replace it before it is cleared on its own: long
// enough for the next tap of a conversation under way, short enough that a
// sealed reply does not sit in Redis at rest.
const DefaultOutboxLinger = time.Minute

// WithOutboxLinger sets how long a performed reply's outbox waits for the
// user's next apply before a clear of its own (DefaultOutboxLinger).
func WithOutboxLinger(d time.Duration) Option {
	return func(s *StateStore) { s.lingering.delay = max(d, 0) }
}

// lingering outboxes: performed, left for the user's next apply to replace,
// and cleared by a timer if none comes here in time. One timer per user; a
// user's apply here stops it.
type lingering struct {
	delay time.Duration
	mu    sync.Mutex
	// timers by user id; closed once Shutdown began.
	timers map[string]*lingerTimer
	closed bool
}

type lingerTimer struct {
	t       *time.Timer
	version int64
}

// start arms userID's clear of version's outbox after the delay, replacing
// an earlier one (that outbox was replaced by the apply of version).
func (l *lingering) start(userID string, version int64, clear func(userID string, version int64)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if old := l.timers[userID]; old != nil {
		old.t.Stop()
	}
	if l.timers == nil {
		l.timers = map[string]*lingerTimer{}
	}
	lt := &lingerTimer{version: version}
	lt.t = time.AfterFunc(l.delay, func() {
		if l.take(userID, lt) {
			clear(userID, version)
		}
	})
	l.timers[userID] = lt
}

// take removes lt if it is still userID's timer, and reports whether it was.
func (l *lingering) take(userID string, lt *lingerTimer) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timers[userID] != lt {
		return false
	}
	delete(l.timers, userID)
	return true
}

// stop drops userID's timer: an apply here replaced the outbox it was for.
func (l *lingering) stop(userID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lt := l.timers[userID]; lt != nil {
		lt.t.Stop()
		delete(l.timers, userID)
	}
}

// drain stops every timer and returns what they were to clear.
func (l *lingering) drain() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	pending := make(map[string]int64, len(l.timers))
	for u, lt := range l.timers {
		if lt.t.Stop() {
			pending[u] = lt.version
		}
	}
	l.timers = nil
	return pending
}

// clearLingering clears a performed outbox that no apply replaced in time.
// A failure leaves it for the user's next apply, or the state's TTL; it was
// performed, so nothing is lost.
func (s *StateStore) clearLingering(userID string, version int64) {
	_, _ = s.ClearOutbox(context.Background(), userID, version)
}

// Start does nothing: the store needs no start, but its Shutdown has work
// to do, in the order of the service's components.
func (s *StateStore) Start(context.Context) error { return nil }

// Shutdown clears the performed outboxes still waiting for the users' next
// events, until ctx ends, so that a stopped replica leaves no reply in Redis
// longer than it has to. The store stays usable; an outbox performed after
// Shutdown waits for its user's next apply (or the state's TTL).
func (s *StateStore) Shutdown(ctx context.Context) error {
	for userID, version := range s.lingering.drain() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := s.ClearOutbox(ctx, userID, version); err != nil {
			return err
		}
	}
	return nil
}
