package storage

import (
	"context"
	"errors"
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

// NewEmbedded returns an in-process Redis that Start starts (in tests:
// storagetest.Embedded).
func NewEmbedded() *Embedded { return &Embedded{srv: miniredis.NewMiniRedis()} }

// Start listens on a loopback port and connects a client (Client) to it.
// Listening takes no time worth bounding, so ctx is not used.
func (e *Embedded) Start(context.Context) error {
	if e.rdb != nil {
		return errors.New("storage: embedded redis already started")
	}
	if err := e.srv.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("storage: start embedded redis: %w", err)
	}
	// miniredis only expires keys when told to; follow the wall clock so a
	// long-running embedded instance drops inactive users like Redis would.
	e.srv.ClockTTL(true)
	e.rdb = redis.NewClient(&redis.Options{Addr: e.srv.Addr(), ContextTimeoutEnabled: true})
	return nil
}

// Client returns a client connected to the embedded Redis once started.
// Shutdown closes it.
func (e *Embedded) Client() redis.UniversalClient { return e.rdb }

// Shutdown closes the client and stops the server; it does not wait for
// anything, so ctx is not used.
func (e *Embedded) Shutdown(context.Context) error {
	if e.rdb == nil {
		return nil
	}
	err := e.rdb.Close()
	e.srv.Close()
	return err
}
