package main

import (
	"log/slog"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/redis/go-redis/v9"
)

// startReminders wires the reminder scheduler into the processor (every
// role schedules: the webhook accepts reminders) and, for the worker role,
// starts the worker that pushes them. The returned func stops it.
func startReminders(cfg config, rdb redis.UniversalClient, proc *bot.Processor, lc *line.Client, log *slog.Logger) (func(), error) {
	// The channel secret seals the user id in reminder tasks: Redis then
	// holds no LINE user id in the clear.
	key := []byte(cfg.ChannelSecret)
	reminders := storage.NewReminders(rdb, proc.Clock, storage.WithPayloadKey(key), storage.WithTaskUserKeys(proc.Users))
	proc.Scheduler = bot.ReminderScheduler{Reminders: reminders, Metrics: proc.Metrics}
	if !cfg.Worker {
		return func() {}, nil
	}
	w := &bot.ReminderWorker{Engine: proc.Engine, Store: proc.Store, LINE: lc, Log: log, Metrics: proc.Metrics, Clock: proc.Clock, Users: proc.Users}
	if err := w.Start(reminders); err != nil {
		return nil, err
	}
	log.Info("reminder worker started")
	return w.Shutdown, nil
}
