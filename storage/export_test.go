package storage

import (
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
