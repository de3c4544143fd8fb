-- marts.revenue_daily gains its cancellation and refund rates
-- (docs/MARTS.md §11): a date's cancelled sales and refunds as shares of
-- its gross sales. The model rebuilds the table on every run, so the next
-- transform fills them for every date.
ALTER TABLE marts.revenue_daily ADD COLUMN cancellation_rate DECIMAL(9,4);
ALTER TABLE marts.revenue_daily ADD COLUMN refund_rate DECIMAL(9,4);
