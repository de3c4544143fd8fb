SELECT date, orders, tracked_orders, untracked_orders, purchase_events, orphan_purchase_events,
       CAST(tracking_loss_rate AS VARCHAR)
FROM marts.purchase_reconciliation
ORDER BY date;
