package bot

import (
	"container/list"
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
)

// The per-user rate limit of the webhook.
//
// What it protects: Redis (every applied event is a load, a script and an
// outbox clear) and LINE (every applied event is a reply, and may schedule
// a reminder that later costs push quota) from one user sending far more
// than a person can: a macro, a tapping script, a sticker bomb.
//
// What it must not do: lose what LINE delivers, or leave a frightened user
// without an answer. So the choice is:
//
//   - Redeliveries (deliveryContext.isRedelivery) are never limited and do
//     not count: LINE sends them because an earlier answer failed, and the
//     event may already be half done (its outbox pending).
//   - Unfollows are never limited: forgetting a user is their right and
//     must not wait. Nor is データ削除, asked for or confirmed
//     (flows.Engine.AboutDeletion), for the same reason.
//   - An event over the limit is not applied and touches no Redis key: that
//     is what protects Redis. It is not silently lost either: the first one
//     of a burst is answered with its free reply token (no push quota) with
//     a short "wait a moment, then send again" and a 続きから button that
//     brings back the current step; later ones of the same burst get no
//     answer, since repeating the notice would make the bot part of the
//     flood. A text holding a card number or a secret is always answered
//     with the warning to delete it, limited or not: that needs no state.
//     These answers are sent after the webhook's other events, and only if
//     all of them succeeded: when one fails, LINE redelivers the whole body,
//     the limited events with it (not limited then), and each of their
//     replies needs the reply token a notice would have spent.
//
// A person never reaches the limit: DefaultBurst events at once, then one
// every two seconds, is more than anyone types or taps while following the
// flows (quick replies vanish after a tap, so hammering a button sends one
// event). The buckets live in the process: with N replicas a user gets N
// times the rate at most, which still bounds them. Buckets are keyed by
// their user key (storage.UserKeys), so no LINE user id is kept, and at most MaxUsers are
// kept: a bucket that has filled up again is the same as none, and the
// least recently seen user is forgotten first.

// Rate limit defaults.
const (
	DefaultRate     = 0.5 // events per second, sustained
	DefaultBurst    = 20  // events at once
	DefaultMaxUsers = 50_000
)

// RateLimiter is a token bucket per user. The zero value is not usable;
// use NewRateLimiter.
type RateLimiter struct {
	rate     float64 // tokens per second
	burst    float64
	maxUsers int
	clock    flows.Clock
	keys     storage.UserKeys

	mu    sync.Mutex
	users map[string]*list.Element // user key → element of lru holding *bucket
	lru   *list.List               // most recently seen first
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time // when tokens was computed
	// noticed is set once the user was told to wait, until an event of
	// theirs is allowed again.
	noticed bool
}

// NewRateLimiter allows each user burst events at once and rate events per
// second after that, keeping at most maxUsers buckets (DefaultMaxUsers if
// maxUsers ≤ 0), each under the user's key in keys.
func NewRateLimiter(keys storage.UserKeys, clock flows.Clock, rate float64, burst, maxUsers int) *RateLimiter {
	if maxUsers <= 0 {
		maxUsers = DefaultMaxUsers
	}
	return &RateLimiter{
		rate:     rate,
		burst:    float64(max(burst, 1)),
		maxUsers: maxUsers,
		clock:    clock,
		keys:     keys,
		users:    map[string]*list.Element{},
		lru:      list.New(),
	}
}

// Allow takes one event of userID from its bucket. When the bucket is empty
// it returns false, and notify tells whether this is the first refusal
// since the user's last allowed event: the one to answer with the notice.
func (l *RateLimiter) Allow(userID string) (ok, notify bool) {
	now := l.clock()
	key := l.keys.Key(userID)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	var b *bucket
	if el, found := l.users[key]; found {
		l.lru.MoveToFront(el)
		b = el.Value.(*bucket)
		b.tokens = l.refill(b, now)
		b.at = now
	} else {
		b = &bucket{key: key, tokens: l.burst, at: now}
		l.users[key] = l.lru.PushFront(b)
		for l.lru.Len() > l.maxUsers {
			l.drop(l.lru.Back())
		}
	}
	if b.tokens >= 1 {
		b.tokens--
		b.noticed = false
		return true, false
	}
	notify = !b.noticed
	b.noticed = true
	return false, notify
}

// Users is how many buckets are kept.
func (l *RateLimiter) Users() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

func (l *RateLimiter) refill(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed <= 0 {
		return b.tokens
	}
	return min(l.burst, b.tokens+elapsed*l.rate)
}

// expire forgets the least recently seen users whose buckets are full
// again: keeping them changes nothing. It stops at the first one still
// limited, so each call costs little.
func (l *RateLimiter) expire(now time.Time) {
	for el := l.lru.Back(); el != nil; el = l.lru.Back() {
		b := el.Value.(*bucket)
		if l.refill(b, now) < l.burst {
			return
		}
		l.drop(el)
	}
}

func (l *RateLimiter) drop(el *list.Element) {
	l.lru.Remove(el)
	delete(l.users, el.Value.(*bucket).key)
}
