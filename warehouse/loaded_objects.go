package warehouse

import (
	"context"
	"fmt"
)

// LoadedObjects returns the load ledger (meta.loaded_objects): each RAW key
// Load loaded, with the hex SHA-256 of the body it loaded. shoplake verify
// compares the lake with it (lake.VerifyOptions.Loaded).
func (w *Warehouse) LoadedObjects(ctx context.Context) (map[string]string, error) {
	q, err := readSQL("queries/loaded_objects.sql")
	if err != nil {
		return nil, err
	}
	rs, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read load ledger: %w", err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var k, sum string
		if err := rs.Scan(&k, &sum); err != nil {
			return nil, fmt.Errorf("read load ledger: %w", err)
		}
		out[k] = sum
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read load ledger: %w", err)
	}
	return out, nil
}
