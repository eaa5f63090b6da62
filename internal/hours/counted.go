package hours

// Counted is the condition, over alias r of service_records, for a record
// the ledger counts: an original (not a reversing entry), not reversed
// since, and not a back-fill still waiting or refused. Certificates,
// points and the national export all count by it.
//
// The unary plus keeps SQLite (never ANALYZEd here) from answering
// "reverses_id IS NULL" through the unique index on reverses_id: it
// expects one row, but every record except the reversals matches, and a
// volunteer's few hundred records became a walk through the whole ledger.
// PostgreSQL reads it as the same test.
const Counted = `+r.reverses_id IS NULL AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)
	AND (r.captured <> 'backfill' OR EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id AND d.decision = 'confirm'))`
