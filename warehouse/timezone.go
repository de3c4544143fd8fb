package warehouse

import (
	"context"
	"database/sql"
	"fmt"
)

// checkTimeZone refuses a run whose business time zone (Options.TimeZone)
// is not the one the marts were built in, unless it is a full refresh
// (which rebuilds every mart) or no run was ever promoted: an incremental
// run would leave the dates it does not touch in the old calendar. A
// warehouse built before migration 030 reported in UTC.
func (w *Warehouse) checkTimeZone(ctx context.Context, conn *sql.Conn, opts TransformOptions) error {
	q, err := readSQL("queries/time_zone_read.sql")
	if err != nil {
		return err
	}
	var built sql.NullString
	var promoted int64
	if err := conn.QueryRowContext(ctx, q).Scan(&built, &promoted); err != nil {
		return fmt.Errorf("read the business time zone: %w", err)
	}
	want := w.opts.TimeZone.Name()
	if !built.Valid || built.String == want || opts.Mode == FullRefresh || promoted == 0 {
		return nil
	}
	return fmt.Errorf("%w: the marts were built in the time zone %s and this run's is %s: "+
		"rebuild them in %s with a full refresh (shoplake transform --mode full_refresh), or set warehouse.time_zone back to %s",
		ErrTimeZoneChanged, built.String, want, want, built.String)
}

// recordTimeZone records, in the run's transaction, the business time zone
// the run builds the marts in.
func (w *Warehouse) recordTimeZone(ctx context.Context, conn *sql.Conn) error {
	q, err := readSQL("queries/time_zone_write.sql")
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, q, w.opts.TimeZone.Name()); err != nil {
		return fmt.Errorf("record the business time zone: %w", err)
	}
	return nil
}
