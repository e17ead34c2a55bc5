package main

import (
	"context"
	"errors"
	"fmt"
)

// A component runs in the background between Start and Shutdown: the
// embedded Redis, the reminder worker, the HTTP server. They all have this
// shape so that serve starts and stops them the same way.
type component interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// components starts components in order and shuts them down in reverse, so
// each one stops before what it depends on (the server before the worker,
// both before Redis).
type components struct {
	started []namedComponent
}

type namedComponent struct {
	name string
	c    component
}

// start starts c and remembers it for shutdown.
func (cs *components) start(ctx context.Context, name string, c component) error {
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	cs.started = append(cs.started, namedComponent{name, c})
	return nil
}

// shutdown stops every started component, the last started first, all
// within ctx, and reports every one that failed to stop.
func (cs *components) shutdown(ctx context.Context) error {
	var errs []error
	for i := len(cs.started) - 1; i >= 0; i-- {
		nc := cs.started[i]
		if err := nc.c.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", nc.name, err))
		}
	}
	cs.started = nil
	return errors.Join(errs...)
}
