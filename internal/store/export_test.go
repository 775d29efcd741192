package store

// SetBulkValues lowers the values of one multi-row INSERT, so that a test crosses the statement
// boundary of the bulk inserts with a few rows rather than thousands.
func SetBulkValues(s *Store, n int) { s.bulkValues = n }
