package storage

import "github.com/ferry-rpa/ferry"

// The store types and errors are the domain's (ferry/store.go); these
// names keep storage's API as it was.
type (
	// RunRecord is ferry.RunRecord.
	RunRecord = ferry.RunRecord
	// SaveResult is ferry.SaveResult.
	SaveResult = ferry.SaveResult
	// StatementRow is ferry.StatementRow.
	StatementRow = ferry.StatementRow
	// StatementLines is ferry.StatementLines.
	StatementLines = ferry.StatementLines
	// SelectorVersion is ferry.SelectorVersion.
	SelectorVersion = ferry.SelectorVersion
	// StoredFingerprint is ferry.StoredFingerprint.
	StoredFingerprint = ferry.StoredFingerprint
	// HealRecord is ferry.HealRecord.
	HealRecord = ferry.HealRecord
)

// The store errors, as ferry defines them.
var (
	ErrNotFound          = ferry.ErrNotFound
	ErrNoDelivery        = ferry.ErrNoDelivery
	ErrNoSelectorVersion = ferry.ErrNoSelectorVersion
	ErrNoHeal            = ferry.ErrNoHeal
	ErrSlotTaken         = ferry.ErrSlotTaken
	ErrKeyCollision      = ferry.ErrKeyCollision
	ErrLegacyAmbiguous   = ferry.ErrLegacyAmbiguous
	ErrLegacyPending     = ferry.ErrLegacyPending
	ErrNotWaiting        = ferry.ErrNotWaiting
	ErrLoginBusy         = ferry.ErrLoginBusy
	ErrSiteBusy          = ferry.ErrSiteBusy
)

// What DB implements.
var (
	_ ferry.Transactor    = (*DB)(nil)
	_ ferry.RunStore      = (*DB)(nil)
	_ ferry.ArtifactStore = (*DB)(nil)
	_ ferry.RecordStore   = (*DB)(nil)
	_ ferry.SelectorStore = (*DB)(nil)
	_ ferry.RunLeaseStore = (*DB)(nil)
)
