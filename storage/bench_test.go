package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// BenchmarkApply measures the storage side of one webhook event: Load,
// Apply and ClearOutbox, i.e. three round trips.
func BenchmarkApply(b *testing.B) {
	state := bytes.Repeat([]byte("s"), 512)
	outbox := bytes.Repeat([]byte("o"), 256)
	for _, be := range storagetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			s := storage.NewStateStore(be.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
			user := storagetest.UserID()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := event(ctx, s, user, fmt.Sprint(i), state, outbox); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Many users at once, as a busy webhook sees them.
		b.Run(be.Name+"/parallel", func(b *testing.B) {
			ctx := context.Background()
			s := storage.NewStateStore(be.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				user := storagetest.UserID()
				for i := 0; pb.Next(); i++ {
					if err := event(ctx, s, user, fmt.Sprint(i), state, outbox); err != nil {
						b.Error(err) // not Fatal: this is not the benchmark's goroutine
						return
					}
				}
			})
		})
	}
}

func event(ctx context.Context, s *storage.StateStore, user, id string, state, outbox []byte) error {
	rec, seen, err := s.Load(ctx, user, id)
	if err != nil {
		return err
	}
	if seen {
		return fmt.Errorf("event %s seen before it was applied", id)
	}
	if rec, err = s.Apply(ctx, user, id, rec.Version, state, outbox); err != nil {
		return err
	}
	_, err = s.ClearOutbox(ctx, user, rec.Version)
	return err
}

// BenchmarkEvent is the storage side of one event with the sizes the bot
// really stores (a state of ~300 bytes, an outbox holding a reply of ~2.5
// KB), by step: Load, Apply and ClearOutbox each time one round trip. The
// embedded Redis always runs; a real one with FRAUDNAVI_TEST_REDIS_URL.
//
//	FRAUDNAVI_TEST_REDIS_URL=redis://127.0.0.1:6379/15 go test -run '^$' -bench Event -benchmem ./storage/
func BenchmarkEvent(b *testing.B) {
	state := []byte(`{"flow":"amazon","step":"amazon_card_call","history":["menu","amazon_start","amazon_login","amazon_card"],"done":["amazon_password","amazon_sessions"],"answers":{"card":"bank"},"v":7}`)
	outbox := bytes.Repeat([]byte("o"), 2500)
	for _, be := range storagetest.Backends(b) {
		ctx := context.Background()
		s := storage.NewStateStore(be.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		b.Run(be.Name+"/load", func(b *testing.B) {
			user := storagetest.UserID()
			if err := event(ctx, s, user, "e0", state, outbox); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Load(ctx, user, "e-new"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(be.Name+"/apply", func(b *testing.B) {
			user := storagetest.UserID()
			b.ReportAllocs()
			v := int64(0)
			for i := 0; b.Loop(); i++ {
				rec, err := s.Apply(ctx, user, strconv.Itoa(i), v, state, outbox)
				if err != nil {
					b.Fatal(err)
				}
				v = rec.Version
			}
		})
		b.Run(be.Name+"/clear", func(b *testing.B) {
			user := storagetest.UserID()
			rec, err := s.Apply(ctx, user, "e0", 0, state, outbox)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ClearOutbox(ctx, user, rec.Version); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(be.Name+"/event", func(b *testing.B) {
			user := storagetest.UserID()
			lat := make([]time.Duration, 0, 1<<14)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if err := event(ctx, s, user, strconv.Itoa(i), state, outbox); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Nanoseconds()), "p99-ns")
			b.ReportMetric(3, "round-trips/op")
		})
	}
}
