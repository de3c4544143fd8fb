-- Sorted again in Go, bytewise (docs/MARTS.md §5b), whatever the engine's
-- collation.
SELECT date, category, view_sessions, cart_sessions, purchase_sessions,
       CAST(view_to_cart_rate AS VARCHAR),
       CAST(view_to_purchase_rate AS VARCHAR)
FROM marts.category_conversion
ORDER BY date, category;
