package service

import (
	"context"
	"errors"
	"fmt"
)

// ErrRetryWhich is returned when a retry names both ids and all, or
// neither.
var ErrRetryWhich = errors.New("give delivery ids or all, not both or neither")

// RetryDeliveries puts parked deliveries back in the queue, the ones named
// or, with all, every parked one; the deliverer sends them at its next
// drain. It returns how many were queued. Errors: ErrRetryWhich, or the
// database's.
func (s *Service) RetryDeliveries(ctx context.Context, ids []int64, all bool) (int, error) {
	if all == (len(ids) > 0) {
		return 0, ErrRetryWhich
	}
	n, err := s.Store.RetryDeliveries(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("retry deliveries: %w", err)
	}
	return n, nil
}
