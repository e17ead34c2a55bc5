package bot

// readingNow is how many large bodies are being read.
func (h *Webhook) readingNow() int { return len(h.readingLarge.pool(MaxReadingLarge)) }
