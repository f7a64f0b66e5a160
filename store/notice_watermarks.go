package store

import (
	"context"
	"fmt"
	"time"
)

// NoticeWatermark is the end of the last window whose new backorders the
// shop's merchant was told of; ok is false before the first.
func (tx *Tx) NoticeWatermark(ctx context.Context, shopID int64) (until time.Time, ok bool, err error) {
	const q = `SELECT noticed_until FROM notice_watermarks WHERE shop_id = ?`
	var unix []int64
	if err := tx.tx.SelectContext(ctx, &unix, tx.tx.Rebind(q), shopID); err != nil {
		return time.Time{}, false, fmt.Errorf("notice watermark: %w", translate(err))
	}
	if len(unix) == 0 {
		return time.Time{}, false, nil
	}
	return time.Unix(unix[0], 0).UTC(), true, nil
}

// AdvanceNoticeWatermark moves the shop's watermark to until, never back.
func (tx *Tx) AdvanceNoticeWatermark(ctx context.Context, shopID int64, until time.Time) error {
	const q = `INSERT INTO notice_watermarks (shop_id, noticed_until) VALUES (?, ?)
	ON CONFLICT (shop_id) DO UPDATE SET noticed_until = excluded.noticed_until
	WHERE excluded.noticed_until > notice_watermarks.noticed_until`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), shopID, until.Unix()); err != nil {
		return fmt.Errorf("advance notice watermark: %w", translate(err))
	}
	return nil
}
