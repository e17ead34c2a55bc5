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
