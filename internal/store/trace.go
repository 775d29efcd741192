package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// OnStatement calls fn after every SQL statement the store runs (reads, writes and raw SQL; not
// BEGIN and COMMIT), with the statement's context and text. Tests count a request's statements
// with it; register before the store is used, once per store.
func (s *Store) OnStatement(fn func(ctx context.Context, sql string)) error {
	cb := func(db *gorm.DB) { fn(db.Statement.Context, db.Statement.SQL.String()) }
	c := s.db.Callback()
	for name, err := range map[string]error{
		"create": c.Create().After("gorm:create").Register("cara:statement", cb),
		"query":  c.Query().After("gorm:query").Register("cara:statement", cb),
		"update": c.Update().After("gorm:update").Register("cara:statement", cb),
		"delete": c.Delete().After("gorm:delete").Register("cara:statement", cb),
		"row":    c.Row().After("gorm:row").Register("cara:statement", cb),
		"raw":    c.Raw().After("gorm:raw").Register("cara:statement", cb),
	} {
		if err != nil {
			return fmt.Errorf("store: watch %s statements: %w", name, err)
		}
	}
	return nil
}
