package main

import (
	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/redis/go-redis/v9"
)

// startReminders wires the reminder scheduler into the processor and, for
// the worker role, starts the worker. The returned func stops it.
func startReminders(cfg config, rdb redis.UniversalClient, proc *bot.Processor, lc *line.Client) (func(), error) {
	return func() {}, nil
}
