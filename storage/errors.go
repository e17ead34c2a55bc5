package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable reports that Redis could not be reached or cannot serve
// the request right now (connection refused or lost, timeout, exhausted
// pool, failover in progress). The webhook answers 503 on it so that LINE
// redelivers the event later. Errors wrapping it also wrap the cause.
var ErrUnavailable = errors.New("redis unavailable")

// ErrBudgetSpent reports a Redis call not made because the caller's own
// deadline had passed (or it had given up) before it began: the time went
// elsewhere, for example to a slow LINE, so it says nothing about Redis. It
// does not wrap ErrUnavailable.
var ErrBudgetSpent = errors.New("the caller's time budget was spent")

// bounded makes one Redis call with at most d of its own (the client must
// have ContextTimeoutEnabled, as Open's have, for the deadline to reach the
// socket). A call that runs out of time, or fails for want of Redis, wraps
// ErrUnavailable; one not made because the caller's context had ended
// wraps ErrBudgetSpent.
func bounded[T any](ctx context.Context, d time.Duration, op string, call func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("storage: %s: %w: %w", op, ErrBudgetSpent, err)
	}
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := call(cctx)
	if err != nil {
		// Redis did not answer within what was left: its fault, even if
		// the caller's deadline was what ran out meanwhile.
		return zero, wrapErr(op, err)
	}
	return v, nil
}

// wrapErr adds the operation to a Redis error and marks transient failures
// with ErrUnavailable.
func wrapErr(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("storage: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}

// unavailable reports whether err means that Redis did not answer, as opposed
// to answering with an error about the request itself.
func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case err == nil:
		return false
	case errors.As(err, &netErr), // dial failures, timeouts, resets
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		// Only Redis is waited on here, so a deadline means it did not answer
		// in time. Cancellation is the caller giving up, not an outage.
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, redis.ErrPoolExhausted),
		errors.Is(err, redis.ErrClosed): // shutting down
		return true
	}
	// Replies of a server that is up but cannot serve: loading its data set,
	// a replica during failover, a cluster with uncovered slots, out of memory.
	if redis.IsLoadingError(err) || redis.IsReadOnlyError(err) ||
		redis.IsClusterDownError(err) || redis.IsTryAgainError(err) ||
		redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsOOMError(err) {
		return true
	}
	// go-redis reports these without wrapping a typed cause.
	msg := err.Error()
	return strings.Contains(msg, "all sentinels specified in configuration are unreachable") ||
		strings.Contains(msg, "cluster has no nodes")
}
