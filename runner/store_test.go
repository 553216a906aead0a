package runner_test

import (
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/storage"
)

// storage's DB and Queue are what the runner takes (the queue through the
// DB's NewQueue, found at New).
var (
	_ runner.Store = (*storage.DB)(nil)
	_ runner.Queue = (*storage.Queue)(nil)
)
