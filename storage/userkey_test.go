package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestUserKeysAreKeyed: the pseudonym in key names, task ids and logs needs
// the server's secret, so a LINE user id alone finds none of them.
func TestUserKeysAreKeyed(t *testing.T) {
	const user = "U4af4980629a4d3b8a1d6e4d0e1b2c3d4"
	one, two := storage.NewUserKeys([]byte("secret one")), storage.NewUserKeys([]byte("secret two"))
	k := one.Key(user)
	if len(k) != 32 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Errorf("Key = %q, want 32 lower-case hex digits", k)
	}
	for _, tt := range []struct {
		name, other string
		same        bool
	}{
		{"the same secret and user", one.Key(user), true},
		{"another user", one.Key(user[:len(user)-1] + "5"), false},
		{"another secret", two.Key(user), false},
		{"the unsalted SHA-256 of the user id", storagetest.LegacyUserKey(user), false},
		{"the zero UserKeys", storage.UserKeys{}.Key(user), false},
		// The key derived from the channel secret is not the channel secret
		// itself used as the key: domain separation.
		{"keys derived from the channel secret", storage.UserKeysFromChannelSecret([]byte("secret one")).Key(user), false},
	} {
		if (k == tt.other) != tt.same {
			t.Errorf("key %s compared with %s: same = %v, want %v", k, tt.name, !tt.same, tt.same)
		}
	}
	if got := one.TaskID(user, "check_mail", testClock()); !strings.HasPrefix(got, k+":check_mail:") {
		t.Errorf("TaskID = %q, want it to start with the user's key %s", got, k)
	}
}

// writeLegacy stores a record under userID's legacy (unsalted) keys, as a
// release before keyed user keys left it: state hash and seen set, with TTLs.
func writeLegacy(t *testing.T, rdb redis.UniversalClient, userID string, version int, state string, seen ...string) {
	t.Helper()
	ctx := context.Background()
	tag := "fraudnavi:{u:" + storagetest.LegacyUserKey(userID) + "}"
	if err := rdb.HSet(ctx, tag+":state", "version", version, "state", state).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Expire(ctx, tag+":state", time.Hour)
	for i, id := range seen {
		rdb.ZAdd(ctx, tag+":seen", redis.Z{Score: float64(testClock().UnixMilli() - int64(i)), Member: id})
	}
	rdb.Expire(ctx, tag+":seen", time.Hour)
}

func TestLegacyRecordIsMigrated(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()
		legacy := "fraudnavi:{u:" + storagetest.LegacyUserKey(user) + "}*"
		writeLegacy(t, b.Client, user, 4, "s4", "e4", "e3")

		// The event applied before the upgrade is still known as applied.
		rec, seen, err := s.Load(ctx, user, "e4")
		if err != nil || !seen {
			t.Fatalf("Load(e4) of a legacy user: seen = %v, err = %v; want seen", seen, err)
		}
		checkRecord(t, "Load of a legacy user", rec, storage.Record{State: []byte("s4"), Version: 4})
		if _, err := s.Apply(ctx, user, "e4", 4, []byte("again"), nil); !errors.Is(err, storage.ErrAlreadyApplied) {
			t.Errorf("Apply(e4) after migration: err = %v, want ErrAlreadyApplied", err)
		}
		if _, err := s.Apply(ctx, user, "e5", 4, []byte("s5"), nil); err != nil {
			t.Fatalf("Apply(e5) after migration: %v", err)
		}
		if keys := storagetest.ScanKeys(t, b.Client, legacy); len(keys) != 0 {
			t.Errorf("legacy keys left after migration: %v", keys)
		}
		if n, _ := b.Client.Exists(ctx, stateKey(user), seenKey(user)).Result(); n != 2 {
			t.Errorf("%d of the new state and seen keys exist, want 2", n)
		}
		if ttl := b.Client.PTTL(ctx, seenKey(user)).Val(); ttl <= 0 {
			t.Errorf("migrated seen set has TTL %v, want one", ttl)
		}
	})
}

// TestLegacyRecordBehindANewOne: a crash after the copy and before the
// legacy keys were deleted leaves both. The new one is the truth: it is
// never overwritten by the legacy copy, and Delete removes both.
func TestLegacyRecordBehindANewOne(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := context.Background()
		s := storage.NewStateStore(b.Client, testClock, storage.WithUserKeys(storagetest.UserKeys()))
		user := storagetest.UserID()
		if _, err := s.Apply(ctx, user, "e1", 0, []byte("new"), nil); err != nil {
			t.Fatal(err)
		}
		writeLegacy(t, b.Client, user, 7, "old", "e0")
		rec, _, err := s.Load(ctx, user, "")
		if err != nil {
			t.Fatal(err)
		}
		checkRecord(t, "Load with both", rec, storage.Record{State: []byte("new"), Version: 1})
		if err := s.Delete(ctx, user); err != nil {
			t.Fatal(err)
		}
		for _, pattern := range []string{"fraudnavi:{u:" + storagetest.LegacyUserKey(user) + "}*", "fraudnavi:{u:" + storagetest.UserKeys().Key(user) + "}*"} {
			if keys := storagetest.ScanKeys(t, b.Client, pattern); len(keys) != 0 {
				t.Errorf("keys left after Delete: %v", keys)
			}
		}
	})
}

// TestLegacyReminderTask: a reminder scheduled before keyed user keys keeps
// its task id (named by the unsalted hash) until it fires. Scheduling the
// same reminder again (an outbox performed again) does not add a second
// task that would push twice, and Cancel (unfollow, データ削除) deletes it.
func TestLegacyReminderTask(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		ctx := ctxT(t)
		r, insp := newReminders(t, b.Client)
		user := storagetest.UserID()
		due := time.Now().Add(time.Hour).Truncate(time.Second)
		legacyID := storagetest.LegacyUserKey(user) + ":check_mail:" + strconv.FormatInt(due.Unix(), 10)
		payload := fmt.Sprintf(`{"u":%q,"r":"check_mail","d":%d}`, user, due.Unix())
		client := asynq.NewClientFromRedisClient(b.Client)
		if _, err := client.EnqueueContext(ctx, asynq.NewTask(storage.ReminderTaskType, []byte(payload),
			asynq.TaskID(legacyID), asynq.Queue(r.Queue()), asynq.ProcessIn(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if err := r.Schedule(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}
		if tasks, err := insp.ListScheduledTasks(r.Queue()); err != nil || len(tasks) != 1 || tasks[0].ID != legacyID {
			t.Fatalf("tasks after scheduling a reminder already under its legacy id: %d (err %v), want only %s", len(tasks), err, legacyID)
		}
		if err := r.Cancel(ctx, user, "check_mail", due); err != nil {
			t.Fatal(err)
		}
		if tasks, err := insp.ListScheduledTasks(r.Queue()); err != nil || len(tasks) != 0 {
			t.Errorf("%d tasks after Cancel (err %v), want none", len(tasks), err)
		}
	})
}
