package storage

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// stateCache keeps, per user, the state this process last applied, so that
// the user's next event here can be applied without loading it first. An
// entry is usable only once the outbox of its version was performed: the
// next apply overwrites that outbox, which is then how it is cleared. The
// apply script compares version and generation, so an entry that another
// replica made stale costs a conflict and a load, never a wrong state.
//
// A nil *stateCache is an empty cache that keeps nothing.
type stateCache struct {
	// mu makes read-then-write updates atomic; the LRU locks itself too.
	mu  sync.Mutex
	lru *lru.Cache[string, cachedState]
}

type cachedState struct {
	rec       Record // State, Version and Gen; never an outbox
	event     string // the event that made rec: its redelivery has nothing left to do
	performed bool
}

func newStateCache(n int) *stateCache {
	if n <= 0 {
		return nil
	}
	c, err := lru.New[string, cachedState](n)
	if err != nil {
		return nil // only for n ≤ 0
	}
	return &stateCache{lru: c}
}

// get returns the record cached for userID if its outbox was performed.
func (c *stateCache) get(userID string) (Record, bool) {
	if c == nil {
		return Record{}, false
	}
	e, ok := c.lru.Get(userID)
	if !ok || !e.performed {
		return Record{}, false
	}
	return e.rec, true
}

// applied records rec, made by eventID, as userID's newest state, its
// outbox not yet performed.
func (c *stateCache) applied(userID, eventID string, rec Record) {
	if c == nil {
		return
	}
	rec.Outbox, rec.OutboxEvent = nil, ""
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Add(userID, cachedState{rec: rec, event: eventID})
}

// performedBy reports whether this process performed the outbox that
// eventID left at version.
func (c *stateCache) performedBy(userID, eventID string, version int64) bool {
	if c == nil {
		return false
	}
	e, ok := c.lru.Peek(userID)
	return ok && e.performed && e.event == eventID && e.rec.Version == version
}

// performed marks the outbox of version as performed, if version is still
// the newest this process applied for userID.
func (c *stateCache) performed(userID string, version int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.lru.Peek(userID); ok && e.rec.Version == version {
		e.performed = true
		c.lru.Add(userID, e)
	}
}

// forget drops what is cached for userID.
func (c *stateCache) forget(userID string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(userID)
}
