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
