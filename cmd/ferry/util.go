package main

import (
	"encoding/json"

	"github.com/ferry-rpa/ferry/storage"
)

type storageRun = storage.RunRecord

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
