// Package faults holds the fault tests of fraudnavi: the real binary
// (`fraudnavi serve`, built once per test run) and a private redis-server
// under a LINE-like load while something breaks, and afterwards a count,
// from Redis and from the strict fake LINE API, of what happened to every
// event sent:
//
//   - TestFaultRedisRestart: Redis (AOF, appendfsync always) is stopped and
//     started again on the same port and data directory in the middle of the
//     load, twice; the bot answers 503 meanwhile and the driver redelivers.
//   - TestFaultBotKill: the bot is killed with SIGKILL in the middle of the
//     load, twice, and started again on the same address; every request that
//     got no answer or a non-2xx is redelivered.
//   - TestFaultTwoReplicas: two `fraudnavi serve` on one Redis behind a
//     round-robin proxy, with several events of one user in flight at once,
//     so they land on both replicas and race for the user's state version.
//   - TestFaultRedisAnswerLost: the deterministic form of a failure the
//     Redis restart finds by chance: Redis executes the bot's apply or
//     outbox-clear script and its answer is lost (a proxy drops it);
//     in-process, no load.
//   - TestFaultBogusFlood: 1,000 clients at once post 1 MiB bodies with a
//     bogus signature, slowly, while LINE's signed events come; the bot's
//     peak RSS must stay under the 256 MiB container limit and every real
//     event be applied and answered once.
//
// Each checks, per user, that the stored state version equals the number of
// events sent to that user and that every sent webhookEventId is in the
// user's applied set (each event applied exactly once); per reply token that
// the fake LINE API accepted exactly one reply (sent once, nothing
// duplicated); and that the asynq scheduled set holds exactly the reminders
// the final states hold (none lost).
//
// The tests need redis-server and the Go toolchain, and take tens of
// seconds, so plain `go test ./...` skips them: set FRAUDNAVI_FAULTS=1, or
// run .ci/faults. The driver is this package's own rather than the load
// generator's Run, which has no hook to break something mid-run and keeps
// one event per user in flight; it reuses the load package's fake LINE API
// (load.StartFake) and linefake's signed webhook builders.
package faults
