package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

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
			s := storage.NewStateStore(be.Client)
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
			s := storage.NewStateStore(be.Client)
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
