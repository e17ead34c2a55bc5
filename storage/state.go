package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/flows"
)

// Defaults for NewStateStore.
const (
	// DefaultTTL is how long a user's data is kept after their last event.
	DefaultTTL = 90 * 24 * time.Hour
	// DefaultSeenWindow is how long an applied event id is remembered. LINE
	// redelivers a failed webhook for a limited time only, well within a day.
	DefaultSeenWindow = 24 * time.Hour
	// DefaultCallTimeout bounds each Redis call of the store: LINE waits
	// 2 s for the webhook's answer, and a hung Redis must give a 503 within
	// it rather than a time-out. A healthy Redis answers in a millisecond.
	DefaultCallTimeout = time.Second
	// DefaultSeenMax caps the remembered event ids per user, so a flood of
	// events cannot grow the set without bound.
	DefaultSeenMax = 500
	// DefaultStateCache is how many users' states a process keeps: about
	// 0.7 KB each, so some 20 MB.
	DefaultStateCache = 32768
)

var (
	// ErrAlreadyApplied reports that the event was applied to the user's state
	// before. Apply returns it together with the stored record, whose outbox
	// the caller performs again if it is still pending (see Record.OutboxFor).
	ErrAlreadyApplied = errors.New("event already applied")

	// ErrReplay reports an event refused as a replay: older than the seen
	// window, or no newer than an applied event whose id was dropped from
	// the seen set to keep it within its cap. Its id may have been applied
	// and forgotten, so applying it could apply it twice. Nothing was
	// written.
	ErrReplay = errors.New("event older than the ids remembered: a replay")

	// ErrVersionConflict reports that the user's state changed since it was
	// loaded. Nothing was written; load again and retry.
	ErrVersionConflict = errors.New("state version conflict")
)

// Record is what is stored about one user.
type Record struct {
	// State is the serialised conversation state, nil when none is stored.
	State []byte
	// Version counts the events applied to State; 0 when none is stored.
	Version int64
	// Outbox holds the side effects of the last applied event that have not
	// been confirmed by ClearOutbox yet; nil when there are none.
	Outbox []byte
	// OutboxEvent is the webhook event id that produced Outbox.
	OutboxEvent string
	// Gen names the life of the record: the id of the event that created
	// it, "" for records from before generations were kept. Versions start
	// again at 1 after a deletion; Version and Gen together name one state
	// for good, which a replica's cached state relies on (see stateCache).
	Gen string
}

// OutboxFor returns the pending outbox if eventID produced it, and nil
// otherwise: a redelivered event performs its own side effects again, never
// those of a later event.
func (r Record) OutboxFor(eventID string) []byte {
	if r.Outbox == nil || r.OutboxEvent != eventID {
		return nil
	}
	return r.Outbox
}

// A StateStore stores per-user conversation state in Redis and applies each
// webhook event to it at most once. It is safe for concurrent use, also from
// several processes sharing one Redis.
type StateStore struct {
	rdb        redis.UniversalClient
	ttl        time.Duration
	seenWindow time.Duration
	seenMax    int
	// callTimeout bounds each Redis call; see DefaultCallTimeout.
	callTimeout time.Duration
	clock       flows.Clock
	// users names users in key names (WithUserKeys).
	users UserKeys
	// seal encrypts the outbox: a reply may name what the user pasted (the
	// owner of a link), and it waits in Redis until LINE has it.
	seal    *sealer
	sealErr error
	// cache holds the state each user's last event left here, once its
	// outbox was performed: the next event needs no load (WithStateCache).
	cache *stateCache
	// lingering clears performed outboxes that no next apply replaced.
	lingering lingering
}

// An Option configures a StateStore.
type Option func(*StateStore)

// WithUserKeys names users in key names by k (NewUserKeys); without it,
// the zero UserKeys.
func WithUserKeys(k UserKeys) Option {
	return func(s *StateStore) { s.users = k }
}

// UserKeys returns how s names users, for logs and task ids that must match.
func (s *StateStore) UserKeys() UserKeys { return s.users }

// WithOutboxSeal encrypts the outbox (the pending reply) with a key derived
// from secret (the channel secret), so a copy of Redis taken while a reply
// waits holds nothing a user wrote or was told. An empty secret leaves it
// in the clear.
func WithOutboxSeal(secret []byte) Option {
	return func(s *StateStore) { s.seal, s.sealErr = newSealer(purposeOutbox, secret) }
}

// WithStateCache keeps the state of up to n users in this process (least
// recently used out), so that a user's next event here costs one round trip
// instead of three: no load before it, and no clear of the performed outbox
// after the last one (the next apply overwrites it). The apply still checks
// the version and generation, so a state another replica changed is caught
// and loaded. n ≤ 0 turns it off; DefaultStateCache by default.
func WithStateCache(n int) Option {
	return func(s *StateStore) { s.cache = newStateCache(n) }
}

// NewStateStore returns a StateStore on rdb, which may be a single server,
// a Sentinel-managed failover client or a Cluster client. clock times the
// seen window.
func NewStateStore(rdb redis.UniversalClient, clock flows.Clock, opts ...Option) *StateStore {
	s := &StateStore{
		rdb:         rdb,
		ttl:         DefaultTTL,
		seenWindow:  DefaultSeenWindow,
		seenMax:     DefaultSeenMax,
		callTimeout: DefaultCallTimeout,
		clock:       clock,
		cache:       newStateCache(DefaultStateCache),
		lingering:   lingering{delay: DefaultOutboxLinger},
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// keys returns the state and seen keys of userID under k. The {u:...} hash
// tag puts both in the same Cluster slot, which a script touching both
// requires.
func (k UserKeys) keys(userID string) []string {
	var h [32]byte
	k.encode(&h, userID)
	return keysOf(h[:])
}

// legacyKeys are keys for the unsalted legacy user key (legacyUserKey).
func legacyKeys(userID string) []string { return keysOf([]byte(legacyUserKey(userID))) }

func keysOf(h []byte) []string {
	// Both keys are cut from one string: fewer allocations on a path every
	// event takes three times.
	const pre, state, seen = "fraudnavi:{u:", "}:state", "}:seen"
	var b strings.Builder
	b.Grow(2*(len(pre)+len(h)) + len(state) + len(seen))
	b.WriteString(pre)
	b.Write(h)
	b.WriteString(state)
	n := b.Len()
	b.WriteString(pre)
	b.Write(h)
	b.WriteString(seen)
	both := b.String()
	return []string{both[:n], both[n:]}
}

// loadScript reads a user's record and whether an event was applied.
//
// KEYS[1] -> fraudnavi:{u:<h>}:state
// KEYS[2] -> fraudnavi:{u:<h>}:seen
// ARGV[1] -> webhook event id, or "" to only read the record
//
// Returns {seen (0|1), version, state, outbox, outbox_event, gen}; missing
// fields are nil.
var loadScript = redis.NewScript(`
local r = redis.call("HMGET", KEYS[1], "version", "state", "outbox", "outbox_event", "gen")
local seen = 0
if ARGV[1] ~= "" and redis.call("ZSCORE", KEYS[2], ARGV[1]) then
	seen = 1
end
return {seen, r[1], r[2], r[3], r[4], r[5]}
`)

// applyScript applies an event: it skips one already applied, compares and
// sets the version, stores state and outbox, and marks the event as applied.
// All of it or nothing happens, and the dedupe mark is only ever written
// together with the state it stands for.
//
// KEYS[1] -> fraudnavi:{u:<h>}:state
// KEYS[2] -> fraudnavi:{u:<h>}:seen
// ARGV[1] -> webhook event id
// ARGV[2] -> expected version (0 when no state is stored)
// ARGV[3] -> new state
// ARGV[4] -> outbox, "" for none
// ARGV[5] -> now in Unix milliseconds, the score of the seen entry
// ARGV[6] -> Unix milliseconds before which seen entries are dropped
// ARGV[7] -> -(max seen entries + 1), so ranks 0..ARGV[7] are the excess
// ARGV[8] -> TTL of the state in milliseconds
// ARGV[9] -> TTL of the seen set in milliseconds (the seen window)
// ARGV[10] -> the event's own timestamp in Unix milliseconds, 0 if unknown
// ARGV[11] -> "=" followed by the expected generation ("=" alone: none
// stored), or "" not to compare generations
//
// A record created here gets generation ARGV[1], the event's id: after a
// deletion, versions start again at 1, and the generation tells the new
// record from the old one (a replica's cached state may be of the old one).
// Whatever outbox the record held is replaced: the caller performed it (it
// loaded the record and found none, performed it itself, or holds the state
// in its cache, which it does only after performing its outbox).
//
// The state hash's field seen_trimmed holds the newest score (apply time)
// of the ids trimmed from the seen set by its cap: an event stamped no later
// than that may be one of them, replayed, and is refused.
//
// Returns {1, new version, generation} when applied,
// {0, version, state, outbox, outbox_event, gen} when the event was applied before,
// {-1, stored version} on a version or generation conflict,
// {-2, seen_trimmed} when the event is refused as a replay.
var applyScript = redis.NewScript(`
if redis.call("ZSCORE", KEYS[2], ARGV[1]) then
	local r = redis.call("HMGET", KEYS[1], "version", "state", "outbox", "outbox_event", "gen")
	return {0, r[1], r[2], r[3], r[4], r[5]}
end
local h = redis.call("HMGET", KEYS[1], "version", "gen", "seen_trimmed")
local trimmed = tonumber(h[3]) or 0
local stamped = tonumber(ARGV[10])
if stamped > 0 and stamped <= trimmed then
	return {-2, trimmed}
end
local v = tonumber(h[1]) or 0
local gen = h[2] or ""
if v ~= tonumber(ARGV[2]) or (ARGV[11] ~= "" and v > 0 and ARGV[11] ~= "=" .. gen) then
	return {-1, v}
end
if v == 0 then
	gen = ARGV[1]
	redis.call("HSET", KEYS[1], "gen", gen)
end
v = v + 1
redis.call("HSET", KEYS[1], "state", ARGV[3], "version", v)
if ARGV[4] == "" then
	redis.call("HDEL", KEYS[1], "outbox", "outbox_event")
else
	redis.call("HSET", KEYS[1], "outbox", ARGV[4], "outbox_event", ARGV[1])
end
redis.call("ZADD", KEYS[2], ARGV[5], ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[6])
local over = redis.call("ZRANGE", KEYS[2], ARGV[7], ARGV[7], "WITHSCORES")
if over[2] and tonumber(over[2]) > trimmed then
	redis.call("HSET", KEYS[1], "seen_trimmed", over[2])
end
redis.call("ZREMRANGEBYRANK", KEYS[2], 0, ARGV[7])
redis.call("PEXPIRE", KEYS[1], ARGV[8])
redis.call("PEXPIRE", KEYS[2], ARGV[9])
return {1, v, gen}
`)

// clearOutboxScript takes the outbox away if the state is still at a version.
//
// KEYS[1] -> fraudnavi:{u:<h>}:state
// ARGV[1] -> version whose outbox was performed
//
// Returns 1 when this call removed the outbox, 0 when there was none (another
// call took it) or the version moved on.
var clearOutboxScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], "version") == ARGV[1] then
	-- outbox and outbox_event are always set and removed together.
	if redis.call("HDEL", KEYS[1], "outbox", "outbox_event") > 0 then
		return 1
	end
end
return 0
`)

// replaceOutboxScript rewrites a pending outbox if the state is still at a
// version, keeping the event it belongs to.
//
// KEYS[1] -> fraudnavi:{u:<h>}:state
// ARGV[1] -> version whose outbox is rewritten
// ARGV[2] -> the new outbox
//
// Returns 1 when the outbox was rewritten, 0 when there was none or the
// version moved on.
var replaceOutboxScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], "version") == ARGV[1] and redis.call("HEXISTS", KEYS[1], "outbox") == 1 then
	redis.call("HSET", KEYS[1], "outbox", ARGV[2])
	return 1
end
return 0
`)

// Load returns the record stored for userID and whether eventID was already
// applied to it. An empty eventID only reads the record (seen is false).
// A user without state gets a zero Record.
func (s *StateStore) Load(ctx context.Context, userID, eventID string) (rec Record, seen bool, err error) {
	if userID == "" {
		return Record{}, false, errors.New("storage: load: empty user id")
	}
	rec, seen, err = s.load(ctx, userID, eventID)
	if rec.Outbox != nil && s.cache.performedBy(userID, rec.OutboxEvent, rec.Version) {
		// The outbox of the event this process applied and performed last,
		// left for the next apply to replace: done.
		rec.Outbox, rec.OutboxEvent = nil, ""
	}
	if err != nil || rec.Version > 0 {
		return rec, seen, err
	}
	// No state under the user's key: it may still be under the legacy one.
	migrated, err := s.migrateLegacy(ctx, userID)
	if err != nil || !migrated {
		return rec, seen, err
	}
	return s.load(ctx, userID, eventID)
}

func (s *StateStore) load(ctx context.Context, userID, eventID string) (Record, bool, error) {
	res, err := bounded(ctx, s.callTimeout, "load", func(ctx context.Context) ([]any, error) {
		return loadScript.Run(ctx, s.rdb, s.users.keys(userID), eventID).Slice()
	})
	if err != nil {
		return Record{}, false, err
	}
	if len(res) != 6 {
		return Record{}, false, fmt.Errorf("storage: load: unexpected reply %v", res)
	}
	rec, err := s.parseRecord(res[1:])
	if err != nil {
		return Record{}, false, fmt.Errorf("storage: load: %w", err)
	}
	return rec, toInt(res[0]) == 1, nil
}

// Apply stores state as the result of applying eventID to the record at
// version expect, together with the outbox of side effects still to perform
// (nil or empty for none), and marks eventID as applied. It returns the new
// record, whose Version is expect+1.
//
// If eventID was applied before, Apply writes nothing and returns the stored
// record with ErrAlreadyApplied. If the stored version is not expect, it writes
// nothing and returns ErrVersionConflict.
func (s *StateStore) Apply(ctx context.Context, userID, eventID string, expect int64, state, outbox []byte) (Record, error) {
	return s.ApplyStamped(ctx, userID, eventID, time.Time{}, expect, state, outbox)
}

// ApplyStamped is Apply for an event stamped (by LINE) at stamped; the zero
// time for unknown. It refuses with ErrReplay, writing nothing, an event
// that Stale calls too old, or one stamped no later than the newest apply
// of an id trimmed from the user's seen set: in both cases the event's id
// may have been applied and forgotten.
func (s *StateStore) ApplyStamped(ctx context.Context, userID, eventID string, stamped time.Time, expect int64, state, outbox []byte) (Record, error) {
	return s.apply(ctx, userID, eventID, stamped, Record{Version: expect}, false, state, outbox)
}

// apply is ApplyStamped on top of base: its version, and, if checkGen, its
// generation too.
func (s *StateStore) apply(ctx context.Context, userID, eventID string, stamped time.Time, base Record, checkGen bool, state, outbox []byte) (Record, error) {
	expect := base.Version
	if s.Stale(stamped) {
		return Record{}, fmt.Errorf("storage: apply: %w: stamped %s", ErrReplay, stamped.UTC().Format(time.RFC3339))
	}
	switch {
	case userID == "":
		return Record{}, errors.New("storage: apply: empty user id")
	case eventID == "":
		return Record{}, errors.New("storage: apply: empty event id")
	case expect < 0:
		return Record{}, fmt.Errorf("storage: apply: negative version %d", expect)
	}
	if s.sealErr != nil {
		return Record{}, fmt.Errorf("storage: apply: %w", s.sealErr)
	}
	stored := string(outbox)
	if len(outbox) > 0 {
		var err error
		if stored, err = s.seal.seal(stored); err != nil {
			return Record{}, fmt.Errorf("storage: apply: %w", err)
		}
	}
	now := s.clock()
	args := []any{
		eventID,
		expect,
		state,
		stored,
		now.UnixMilli(),
		now.Add(-s.seenWindow).UnixMilli(),
		-(s.seenMax + 1),
		s.ttl.Milliseconds(),
		min(s.seenWindow, s.ttl).Milliseconds(),
		max(stamped.UnixMilli(), 0),
		"",
	}
	if checkGen {
		args[len(args)-1] = "=" + base.Gen
	}
	res, err := bounded(ctx, s.callTimeout, "apply", func(ctx context.Context) ([]any, error) {
		return applyScript.Run(ctx, s.rdb, s.users.keys(userID), args...).Slice()
	})
	if err != nil {
		return Record{}, err
	}
	if len(res) < 2 {
		return Record{}, fmt.Errorf("storage: apply: unexpected reply %v", res)
	}
	switch toInt(res[0]) {
	case 1:
		rec := Record{State: state, Version: toInt(res[1])}
		if len(res) > 2 {
			rec.Gen = string(toBytes(res[2]))
		}
		if len(outbox) > 0 {
			rec.Outbox, rec.OutboxEvent = outbox, eventID
		}
		return rec, nil
	case 0:
		rec, err := s.parseRecord(res[1:])
		if err != nil {
			return Record{}, fmt.Errorf("storage: apply: %w", err)
		}
		return rec, fmt.Errorf("storage: apply: %w", ErrAlreadyApplied)
	case -2:
		return Record{}, fmt.Errorf("storage: apply: %w: an id applied at %s was trimmed from the seen set",
			ErrReplay, time.UnixMilli(toInt(res[1])).UTC().Format(time.RFC3339Nano))
	default:
		return Record{}, fmt.Errorf("storage: apply: %w: stored version %d, expected %d",
			ErrVersionConflict, toInt(res[1]), expect)
	}
}

// Stale reports whether an event stamped at t is older than the seen
// window: its id, if applied, may be forgotten, so it must be refused as a
// replay. The zero time (unknown) is not stale.
func (s *StateStore) Stale(t time.Time) bool {
	return !t.IsZero() && t.Before(s.clock().Add(-s.seenWindow))
}

// ClearOutbox takes the outbox of version away and reports whether this call
// took it. Of two deliveries of one event performing its outbox at once,
// exactly one takes it, and only that one sends the reply. It does nothing
// if the state moved past version meanwhile, so the outbox of a later event
// is never lost.
func (s *StateStore) ClearOutbox(ctx context.Context, userID string, version int64) (bool, error) {
	if userID == "" {
		return false, errors.New("storage: clear outbox: empty user id")
	}
	n, err := bounded(ctx, s.callTimeout, "clear outbox", func(ctx context.Context) (int, error) {
		return clearOutboxScript.Run(ctx, s.rdb, s.users.keys(userID)[:1], version).Int()
	})
	if err != nil {
		return false, err
	}
	s.cache.performed(userID, version)
	return n > 0, nil
}

// ReplaceOutbox rewrites the pending outbox of version, for example to
// record that its reply could not be delivered, and reports whether it did:
// not when the outbox was performed meanwhile or the state moved on.
func (s *StateStore) ReplaceOutbox(ctx context.Context, userID string, version int64, outbox []byte) (bool, error) {
	if userID == "" {
		return false, errors.New("storage: replace outbox: empty user id")
	}
	if s.sealErr != nil {
		return false, fmt.Errorf("storage: replace outbox: %w", s.sealErr)
	}
	sealed, err := s.seal.seal(string(outbox))
	if err != nil {
		return false, fmt.Errorf("storage: replace outbox: %w", err)
	}
	s.cache.forget(userID)
	n, err := bounded(ctx, s.callTimeout, "replace outbox", func(ctx context.Context) (int, error) {
		return replaceOutboxScript.Run(ctx, s.rdb, s.users.keys(userID)[:1], version, sealed).Int()
	})
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// Delete removes everything stored about userID: state, outbox and the
// applied event ids. It is used on unfollow and when the user asks for their
// data to be deleted.
func (s *StateStore) Delete(ctx context.Context, userID string) error {
	if userID == "" {
		return errors.New("storage: delete: empty user id")
	}
	s.cache.forget(userID)
	s.lingering.stop(userID)
	// One DEL for both keys: they share a slot, so this works on a Cluster too.
	_, err := bounded(ctx, s.callTimeout, "delete", func(ctx context.Context) (int64, error) {
		return s.rdb.Del(ctx, s.users.keys(userID)...).Result()
	})
	if err != nil {
		return err
	}
	// And whatever is left under the legacy key: a separate DEL, as it is
	// in another slot.
	_, err = bounded(ctx, s.callTimeout, "delete", func(ctx context.Context) (int64, error) {
		return s.rdb.Del(ctx, legacyKeys(userID)...).Result()
	})
	return err
}

// parseRecord decodes {version, state, outbox, outbox_event, gen} as
// returned by the scripts, and opens a sealed outbox. One that does not open
// (the secret changed) is returned as stored: the caller drops it as
// unreadable.
func (s *StateStore) parseRecord(f []any) (Record, error) {
	if len(f) != 5 {
		return Record{}, fmt.Errorf("unexpected record reply %v", f)
	}
	var rec Record
	if v := toBytes(f[0]); v != nil {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return Record{}, fmt.Errorf("bad stored version %q", v)
		}
		rec.Version = n
	}
	rec.State = toBytes(f[1])
	rec.Outbox = toBytes(f[2])
	if len(rec.Outbox) > 0 {
		if plain, err := s.seal.open(string(rec.Outbox)); err == nil {
			rec.Outbox = []byte(plain)
		}
	}
	rec.OutboxEvent = string(toBytes(f[3]))
	rec.Gen = string(toBytes(f[4]))
	return rec, nil
}

// toBytes converts a bulk string reply element to bytes. A missing hash
// field comes back as nil (RESP2) or as false (Lua false under RESP3).
func toBytes(v any) []byte {
	switch v := v.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	default:
		return nil
	}
}

// toInt converts an integer reply element; Redis may deliver a Lua number as
// an integer or, from a hash field, as a string.
func toInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	default:
		return 0
	}
}
