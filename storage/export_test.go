package storage

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// ParseURL exposes the URL parsing behind Open; exactly one of the options
// is non-nil on success.
func ParseURL(rawURL string) (*redis.Options, *redis.FailoverOptions, *redis.ClusterOptions, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg.simple, cfg.failover, cfg.cluster, nil
}

var (
	RedactURL   = redactURL
	Unavailable = unavailable
)

// SealUnbound seals a user id as reminder payloads were sealed before they
// were bound to their task (no additional data).
func SealUnbound(secret []byte, userID string) string {
	s, err := newSealer(purposeReminder, secret)
	if err != nil {
		panic(err)
	}
	sealed, err := s.seal(userID)
	if err != nil {
		panic(err)
	}
	return sealed
}

// Addr returns the host:port the embedded Redis listens on.
func (e *Embedded) Addr() string { return e.srv.Addr() }

// ParseReminderTask decodes a reminder task's payload, opening the user id
// with the key the task was scheduled with (nil when none was set).
func ParseReminderTask(payload, key []byte) (ReminderTask, error) {
	s, err := newSealer(purposeReminder, key)
	if err != nil {
		return ReminderTask{}, err
	}
	return parseReminderTask(payload, s)
}

// Options only tests set: production keeps the defaults.

// WithTTL sets how long a user's data is kept after their last applied event.
func WithTTL(d time.Duration) Option {
	return func(s *StateStore) {
		if d > 0 {
			s.ttl = d
		}
	}
}

// WithSeenWindow sets how long applied event ids are remembered, and at most
// how many (n) per user. A redelivery arriving after its id was forgotten is
// applied again. The set of remembered ids expires d after the user's last
// event (or with the state, if that is sooner).
func WithSeenWindow(d time.Duration, n int) Option {
	return func(s *StateStore) {
		if d > 0 {
			s.seenWindow = d
		}
		if n > 0 {
			s.seenMax = n
		}
	}
}
