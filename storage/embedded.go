package storage

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Embedded is an in-process Redis (miniredis) listening on a loopback port.
// It stands in for a Redis server in tests and when the service runs without
// REDIS_URL; everything in it is lost when it is closed.
type Embedded struct {
	srv *miniredis.Miniredis
	rdb *redis.Client
}

// StartEmbedded starts an in-process Redis on 127.0.0.1 and a client for it.
func StartEmbedded() (*Embedded, error) {
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("storage: start embedded redis: %w", err)
	}
	// miniredis only expires keys when told to; follow the wall clock so a
	// long-running embedded instance drops inactive users like Redis would.
	srv.ClockTTL(true)
	return &Embedded{
		srv: srv,
		rdb: redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true}),
	}, nil
}

// Client returns a client connected to the embedded Redis. Close closes it.
func (e *Embedded) Client() redis.UniversalClient { return e.rdb }

// Close closes the client and stops the server.
func (e *Embedded) Close() error {
	err := e.rdb.Close()
	e.srv.Close()
	return err
}
