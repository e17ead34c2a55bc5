package storage

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Migration from the unsalted legacy user key (legacyUserKey) to the keyed
// one (UserKeys). Load looks for a legacy record only when the user's key
// holds none, and carries it over in three steps, each one command because
// on a Redis Cluster the legacy and the new keys are in different slots:
//
//  1. read the legacy state hash and seen set (readLegacyScript);
//  2. write them under the new keys unless a state is there already
//     (copyLegacyScript), with the TTLs they had left;
//  3. delete the legacy keys.
//
// A crash between 2 and 3 loses nothing: the next Load finds the new state
// and never reads the legacy keys again, which expire with their TTL (and
// Delete removes them too). Two replicas migrating the same user at once
// write the same copy once: step 2 does nothing when the state exists.

// readLegacyScript reads a whole legacy record.
//
// KEYS[1] -> fraudnavi:{u:<legacy h>}:state
// KEYS[2] -> fraudnavi:{u:<legacy h>}:seen
//
// Returns {state hash as field, value, ..., seen set as member, score, ...,
// PTTL of the state, PTTL of the seen set}; an empty hash when there is none.
var readLegacyScript = redis.NewScript(`
return {
	redis.call("HGETALL", KEYS[1]),
	redis.call("ZRANGE", KEYS[2], 0, -1, "WITHSCORES"),
	redis.call("PTTL", KEYS[1]),
	redis.call("PTTL", KEYS[2]),
}
`)

// copyLegacyScript writes a legacy record under the user's new keys.
//
// KEYS[1] -> fraudnavi:{u:<h>}:state
// KEYS[2] -> fraudnavi:{u:<h>}:seen
// ARGV[1] -> PTTL of the state in milliseconds (≤ 0: none)
// ARGV[2] -> PTTL of the seen set in milliseconds (≤ 0: none)
// ARGV[3] -> n, the number of state hash fields
// ARGV[4 .. 3+2n] -> field, value, ... of the state hash
// ARGV[4+2n ..] -> member, score, ... of the seen set
//
// Returns 1 when copied, 0 when a state was there already (nothing written).
var copyLegacyScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then
	return 0
end
local n = tonumber(ARGV[3])
for i = 4, 3 + 2 * n, 2 do
	redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
end
for i = 4 + 2 * n, #ARGV, 2 do
	redis.call("ZADD", KEYS[2], ARGV[i + 1], ARGV[i])
end
if tonumber(ARGV[1]) > 0 then
	redis.call("PEXPIRE", KEYS[1], ARGV[1])
end
if tonumber(ARGV[2]) > 0 and redis.call("EXISTS", KEYS[2]) == 1 then
	redis.call("PEXPIRE", KEYS[2], ARGV[2])
end
return 1
`)

// migrateLegacy moves userID's legacy record, if any, to its keyed keys, and
// reports whether there was one.
func (s *StateStore) migrateLegacy(ctx context.Context, userID string) (bool, error) {
	old := legacyKeys(userID)
	res, err := bounded(ctx, s.callTimeout, "migrate legacy key", func(ctx context.Context) ([]any, error) {
		return readLegacyScript.Run(ctx, s.rdb, old).Slice()
	})
	if err != nil {
		return false, err
	}
	if len(res) != 4 {
		return false, fmt.Errorf("storage: migrate legacy key: unexpected reply %v", res)
	}
	hash, _ := res[0].([]any)
	seen, _ := res[1].([]any)
	if len(hash) == 0 {
		return false, nil
	}
	args := make([]any, 0, 3+len(hash)+len(seen))
	args = append(args, toInt(res[2]), toInt(res[3]), len(hash)/2)
	args = append(args, hash...)
	args = append(args, seen...)
	if _, err := bounded(ctx, s.callTimeout, "migrate legacy key", func(ctx context.Context) (int64, error) {
		return copyLegacyScript.Run(ctx, s.rdb, s.users.keys(userID), args...).Int64()
	}); err != nil {
		return false, err
	}
	// Copied, or someone else did: the legacy keys have done their part.
	if _, err := bounded(ctx, s.callTimeout, "migrate legacy key", func(ctx context.Context) (int64, error) {
		return s.rdb.Del(ctx, old...).Result()
	}); err != nil {
		return false, err
	}
	return true, nil
}
