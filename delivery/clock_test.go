package delivery_test

import (
	"sync"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func ferryClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(sec int) {
	c.mu.Lock()
	c.t = c.t.Add(time.Duration(sec) * time.Second)
	c.mu.Unlock()
}
