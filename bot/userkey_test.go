package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// moveToLegacyKeys moves user's state and seen set to the key names of a
// release before keyed user keys (the unsalted SHA-256): what an upgrade
// finds in Redis. The hash and set themselves had the same fields then.
func moveToLegacyKeys(t *testing.T, rdb redis.UniversalClient, user string) {
	t.Helper()
	ctx := context.Background()
	legacy := "fraudnavi:{u:" + storagetest.LegacyUserKey(user) + "}"
	fields, err := rdb.HGetAll(ctx, storagetest.StateKey(user)).Result()
	if err != nil || len(fields) == 0 {
		t.Fatalf("state of %s: %v, %v", user, fields, err)
	}
	seen, err := rdb.ZRangeWithScores(ctx, storagetest.SeenKey(user), 0, -1).Result()
	if err != nil || len(seen) == 0 {
		t.Fatalf("seen set of %s: %v, %v", user, seen, err)
	}
	// The version before keyed user keys cleared every performed outbox at
	// once and kept no generation.
	delete(fields, "outbox")
	delete(fields, "outbox_event")
	delete(fields, "gen")
	if err := rdb.HSet(ctx, legacy+":state", fields).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ZAdd(ctx, legacy+":seen", seen...).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Expire(ctx, legacy+":state", storage.DefaultTTL)
	rdb.Expire(ctx, legacy+":seen", storage.DefaultTTL)
	if err := rdb.Del(ctx, storagetest.StateKey(user), storagetest.SeenKey(user)).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestLegacyStateIsMigrated: a user in the middle of a conversation when
// the bot is upgraded to keyed user keys goes on at their step, an event
// applied before the upgrade and redelivered after is not applied again,
// and afterwards Redis holds the user under the new key only.
func TestLegacyStateIsMigrated(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		user := storagetest.UserID()
		h.deliver(h.follow(user))
		tapped := h.tap(user, "カードの請求")
		h.deliver(tapped)
		moveToLegacyKeys(t, h.rdb, user)

		rs := h.deliver(h.text(user, "電話しました"))
		var texts []string
		for _, r := range rs {
			texts = append(texts, r.Texts()...)
		}
		if len(rs) != 1 || !strings.Contains(strings.Join(texts, "\n"), "カードの種類") {
			t.Fatalf("replies after the upgrade: %q, want the card_kind question", texts)
		}
		if st := h.state(user); st.Step != "card_kind" || st.Version != 3 {
			t.Errorf("state after the upgrade: step %q version %d, want card_kind 3", st.Step, st.Version)
		}
		h.post(tapped) // LINE redelivers the event applied before the upgrade
		if st := h.state(user); st.Version != 3 {
			t.Errorf("redelivery of an event applied before the upgrade: version %d, want 3 (not applied again)", st.Version)
		}
		if keys := storagetest.ScanKeys(t, h.rdb, "fraudnavi:{u:"+storagetest.LegacyUserKey(user)+"}*"); len(keys) != 0 {
			t.Errorf("legacy keys left: %v", keys)
		}
		if keys := userKeys(t, h, user); len(keys) != 2 {
			t.Errorf("keys under the new user key: %v, want state and seen", keys)
		}
		h.noRejections()
	})
}
