package storage

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// SetClock makes s read the time from now.
func SetClock(s *StateStore, now func() time.Time) { s.now = now }

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
