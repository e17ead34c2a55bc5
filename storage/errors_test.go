package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{"closed port", func(t *testing.T) redis.UniversalClient { return storagetest.Unreachable(t) }},
		{"stopped server", func(t *testing.T) redis.UniversalClient {
			emb := storagetest.Embedded(t)
			rdb := redis.NewClient(&redis.Options{Addr: emb.Addr(), MaxRetries: -1, DialerRetries: 1})
			t.Cleanup(func() { rdb.Close() })
			if err := rdb.Ping(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			_ = emb.Shutdown(context.Background()) // the pooled connection breaks, new dials are refused
			return rdb
		}},
		{"closed client", func(t *testing.T) redis.UniversalClient {
			emb := storagetest.Embedded(t)
			_ = emb.Shutdown(context.Background())
			return emb.Client()
		}},
		{"no answer", func(t *testing.T) redis.UniversalClient {
			rdb := redis.NewClient(&redis.Options{
				Addr:        silentServer(t),
				MaxRetries:  -1,
				ReadTimeout: 100 * time.Millisecond,
			})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := storage.NewStateStore(tt.client(t), testClock, storage.WithUserKeys(storagetest.UserKeys()))
			calls := map[string]func() error{
				"Load":        func() error { _, _, err := s.Load(ctx, "U1", "e1"); return err },
				"Apply":       func() error { _, err := s.Apply(ctx, "U1", "e1", 0, []byte("s"), nil); return err },
				"ClearOutbox": func() error { _, err := s.ClearOutbox(ctx, "U1", 1); return err },
				"Delete":      func() error { return s.Delete(ctx, "U1") },
			}
			for name, call := range calls {
				if err := call(); !errors.Is(err, storage.ErrUnavailable) {
					t.Errorf("%s: err = %v, want ErrUnavailable", name, err)
				}
			}
		})
	}
}

func TestUnavailableContextDeadline(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: silentServer(t), MaxRetries: -1, ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := storage.NewStateStore(rdb, testClock, storage.WithUserKeys(storagetest.UserKeys())).Load(ctx, "U1", "e1")
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

// TestRequestErrorIsNotUnavailable checks that a Redis that answers with an
// error about the request does not make the webhook ask LINE to retry.
func TestRequestErrorIsNotUnavailable(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		user := storagetest.UserID()
		if err := b.Client.Set(ctx, stateKey(user), "not a hash", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		_, err := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys())).Apply(ctx, user, "e1", 0, []byte("s"), nil)
		if err == nil || errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Apply on a wrongly typed key: err = %v, want a plain error", err)
		}
	})
}

func TestUnavailableClassification(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{context.DeadlineExceeded, true},
		{redis.ErrPoolTimeout, true},
		{redis.ErrClosed, true},
		{context.Canceled, false},
		{redis.Nil, false},
		{errors.New("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
	}
	for _, tt := range tests {
		if got := storage.Unavailable(tt.err); got != tt.want {
			t.Errorf("unavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
