package main

import (
	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/storage"
)

// wireReminders wires the reminder scheduler into the processor (every role
// schedules: the webhook accepts reminders) and, for the worker role,
// returns the worker that pushes them, not yet started; nil for the other
// roles.
func wireReminders(cfg config, rdb storage.Client, proc *bot.Processor, lc *line.Client) *bot.ReminderWorker {
	// The channel secret seals the user id in reminder tasks: Redis then
	// holds no LINE user id in the clear.
	key := []byte(cfg.ChannelSecret)
	reminders := storage.NewReminders(rdb, proc.Clock, storage.WithPayloadKey(key), storage.WithTaskUserKeys(proc.Users))
	proc.Scheduler = bot.ReminderScheduler{Reminders: reminders, Metrics: proc.Metrics}
	if !cfg.Worker {
		return nil
	}
	return &bot.ReminderWorker{
		Queue: reminders, Engine: proc.Engine, Store: proc.Store, LINE: lc,
		Log: proc.Log, Metrics: proc.Metrics, Clock: proc.Clock, Users: proc.Users,
	}
}
