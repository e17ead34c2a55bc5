// Package storage keeps fraudnavi's per-user conversation state in Redis and
// applies every LINE webhook event to it exactly once.
//
// The bot handles a typical event in one round trip:
//
//	rec, ok := store.Cached(userID)                             // the state this process left, no round trip
//	// (not cached: rec, seen, err := store.Load(ctx, userID, eventID))
//	// run the pure engine on rec's state
//	rec, err = store.ApplyState(ctx, userID, eventID, stamped,  // 1: one Lua script: dedupe,
//		rec, newState, outbox)                                 //    compare-and-set, write outbox
//	// perform the outbox: reply, schedule or cancel reminders
//	store.OutboxPerformed(userID, rec.Version)                  // a reply's outbox: left for the next apply
//	// (reminders, a deletion, a pushed reply: store.ClearOutbox, a second round trip)
//
// Apply is the only place where an event is marked as applied, and it marks it
// in the same script that writes the new state and the outbox of side effects
// still to perform. A crash before Apply leaves the event unapplied, so LINE's
// redelivery runs it again; a crash after Apply leaves the outbox in Redis, so
// the redelivery (which gets ErrAlreadyApplied together with the stored record)
// performs it again, and so does the user's next event, which finds it before
// its own apply replaces it. A performed reply's outbox is left in place on
// purpose: performing it again costs one reply call that LINE refuses (the
// token is spent), and this process, which knows it performed it, does not. A
// concurrent writer shows up as ErrVersionConflict: load again and retry.
// Errors wrapping ErrUnavailable mean that Redis could not be reached; the
// webhook answers 503 so that LINE redelivers the event.
//
// The cache (WithStateCache) holds a user's state only once its outbox was
// performed, and every apply on it still compares the stored version and
// generation (the id of the event that created the record: versions start
// again at 1 after a deletion), so a state changed by another replica, a
// deletion or an eviction is never overwritten: the apply conflicts and the
// state is loaded.
//
// The outbox is opaque bytes here; the bot package serialises it.
//
// # Keys
//
// All data of one user lives under one Redis Cluster hash tag, so a script
// touching it runs on a single slot:
//
//	fraudnavi:{u:<h>}:state   hash: state, version, gen, outbox, outbox_event, seen_trimmed
//	fraudnavi:{u:<h>}:seen    sorted set: applied webhook event ids scored by time (ms)
//
// The seen set keeps an id for the seen window, at most DefaultSeenMax of
// them; seen_trimmed is the newest apply time of an id dropped by that cap.
// ApplyStamped refuses (ErrReplay) an event stamped before the window or no
// later than seen_trimmed: its id may have been applied and forgotten, so
// replays and redeliveries are recognised for exactly as long as ids are.
//
// where <h> is UserKeys.Key(userID), a keyed hash (HMAC-SHA-256 prefix) under
// the server's user key secret, so that LINE user ids never
// appear in key names. The state expires after a period without events (90
// days by default); the seen set after the seen window (24 hours by default),
// so a user at rest holds only the state hash. Delete removes both at once.
// Records under the legacy, unsalted key (before keyed user keys) are moved
// to the keyed one by Load: see migrate.go.
//
// # Connection URLs
//
// Open accepts these forms of REDIS_URL (query parameters are go-redis
// options in snake case, e.g. dial_timeout=3s, pool_size=20; a password
// containing reserved characters such as '@', '/', ':' or '?' must be
// percent-encoded):
//
//	redis://[[user]:password@]host[:port][/db][?options]        one server
//	rediss://[[user]:password@]host[:port][/db][?options]       one server over TLS
//	unix://[[user]:password@]/path/to/redis.sock[?db=N]         one server over a Unix socket
//
//	redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/master[/db][?options]
//	rediss+sentinel://...                                       the same over TLS
//
// The Sentinel form lists the Sentinels (default port 26379) and names the
// monitored master in the path. The user and password authenticate to the Redis
// servers; Sentinels that require a password of their own take it from the
// sentinel_username and sentinel_password parameters.
//
//	redis+cluster://[[user]:password@]host[:port][,host[:port]...][?options]
//	rediss+cluster://...                                        the same over TLS
//
// The Cluster form lists seed nodes (default port 6379); the client discovers
// the rest. A Cluster has no databases other than 0, so the path stays empty.
//
// Without a REDIS_URL the service runs on an Embedded in-process Redis, whose
// data is lost when the process exits.
package storage
