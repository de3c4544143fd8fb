package warehouse

import (
	"context"
	"errors"
)

// BuildAllMarts runs every mart model (and the helpers they read) over every
// date of CORE, inside a transaction that it rolls back: the "build all
// marts" that BenchmarkMarts times. It leaves the database as it was.
func (w *Warehouse) BuildAllMarts(ctx context.Context) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rollback := errors.New("rollback")
	err = inTx(ctx, conn, func() error {
		if err := w.setRunParams(ctx, conn, TransformOptions{}); err != nil {
			return err
		}
		for _, stmt := range w.dialect.Adapt(`CREATE OR REPLACE TEMP TABLE affected_days AS
			SELECT CAST(event_time AS DATE) AS day FROM core.events
			UNION SELECT CAST(created_at AS DATE) FROM core.orders`) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		stats := TransformStats{Core: map[string]MergeStats{}, Marts: map[string]int64{}}
		for _, m := range w.models {
			if m.kind == rebuildModel || m.kind == partitionModel || m.name == "marts_horizon" {
				if err := w.runModel(ctx, conn, m, &stats); err != nil {
					return err
				}
			}
		}
		return rollback
	})
	if errors.Is(err, rollback) {
		return w.dropTemps(ctx, conn)
	}
	return err
}
