package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// The bulk paths (import, intake's accept) write their rows with multi-row INSERT statements of
// a fixed number of rows. On SQLite the statement is prepared once per transaction and executed
// again for each chunk: the database parses it once, and a row costs its values only. On MySQL
// the values are interpolated into each statement instead (chunkInsert.prepare). GORM's CreateInBatches
// builds and parses a new statement of every batch instead, and on SQLite its hundreds of rows
// of thirty-odd columns make the driver's argument binding quadratic in the parameters (each
// parameter looks its value up among all of them), which was most of an import's time.
//
// A statement's size is a budget of parameters: small on SQLite, for that binding, and larger
// on MySQL, where each statement is a round trip.
// Rows per statement are bounded too, so that a statement of large rows (a tumor's items run to
// kilobytes) stays far below MySQL's max_allowed_packet.
const (
	bulkParamsSQLite = 240
	bulkParamsMySQL  = 3000
	bulkMaxRows      = 100
)

// chunkInsert writes rows of one table, given as the GORM model's values (every column but the
// auto-increment id), in chunks. The ids are not computed from the statement's last insert id:
// the caller reads them back by the rows' natural keys, which holds whatever the server's
// auto_increment_increment and lock mode (a Galera cluster steps ids by its size).
type chunkInsert struct {
	ctx     context.Context
	tx      *gorm.DB
	table   string
	fields  []*schema.Field
	perStmt int
	stmt    *sql.Stmt // for perStmt rows, prepared on first use (SQLite)
	// prepare is false on MySQL: a statement prepared on the server goes on after Galera aborted
	// its transaction, and commits on its own (see normalizeMySQLDSN's interpolateParams).
	prepare bool
	args    []any
	rows    int
	now     time.Time
}

// preparer is the transaction under a gorm.DB (a *sql.Tx).
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// newChunkInsert prepares the insert of model's rows (a pointer to a struct) in tx.
func (s *Store) newChunkInsert(tx *gorm.DB, model any) (*chunkInsert, error) {
	stmt := &gorm.Statement{DB: tx}
	if err := stmt.Parse(model); err != nil {
		return nil, fmt.Errorf("insert: %w", err)
	}
	b := &chunkInsert{ctx: tx.Statement.Context, tx: tx, table: stmt.Schema.Table, now: tx.NowFunc(),
		prepare: s.dialect == DialectSQLite}
	for _, f := range stmt.Schema.Fields {
		if f.DBName == "" || !f.Creatable || (f.PrimaryKey && f.AutoIncrement) {
			continue
		}
		b.fields = append(b.fields, f)
	}
	budget := bulkParamsMySQL
	if s.dialect == DialectSQLite {
		budget = bulkParamsSQLite
	}
	b.perStmt = min(max(1, budget/len(b.fields)), bulkMaxRows)
	b.args = make([]any, 0, b.perStmt*len(b.fields))
	return b, nil
}

// add queues one row (a pointer to the model's struct) and writes a chunk when one is full.
// Zero creation and update times are set to now, as GORM's create does.
func (b *chunkInsert) add(row any) error {
	rv := reflect.ValueOf(row).Elem()
	for _, f := range b.fields {
		v, zero := f.ValueOf(b.ctx, rv)
		if zero && (f.AutoCreateTime != 0 || f.AutoUpdateTime != 0) {
			if err := f.Set(b.ctx, rv, b.now); err != nil {
				return fmt.Errorf("insert %s: %s: %w", b.table, f.DBName, err)
			}
			v, _ = f.ValueOf(b.ctx, rv)
		}
		b.args = append(b.args, v)
	}
	b.rows++
	if b.rows < b.perStmt {
		return nil
	}
	p, ok := b.tx.Statement.ConnPool.(preparer)
	if !ok {
		return fmt.Errorf("insert %s: not in a transaction", b.table)
	}
	if !b.prepare {
		if _, err := p.ExecContext(b.ctx, b.query(b.perStmt), b.args...); err != nil {
			return fmt.Errorf("insert %s: %w", b.table, err)
		}
		b.args, b.rows = b.args[:0], 0
		return nil
	}
	if b.stmt == nil {
		st, err := p.PrepareContext(b.ctx, b.query(b.perStmt))
		if err != nil {
			return fmt.Errorf("insert %s: prepare: %w", b.table, err)
		}
		b.stmt = st
	}
	if _, err := b.stmt.ExecContext(b.ctx, b.args...); err != nil {
		return fmt.Errorf("insert %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}

// flush writes the rows left (fewer than a chunk) and closes the prepared statement.
func (b *chunkInsert) flush() error {
	defer b.close()
	if b.rows == 0 {
		return nil
	}
	p, ok := b.tx.Statement.ConnPool.(preparer)
	if !ok {
		return fmt.Errorf("insert %s: not in a transaction", b.table)
	}
	if _, err := p.ExecContext(b.ctx, b.query(b.rows), b.args...); err != nil {
		return fmt.Errorf("insert %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}

func (b *chunkInsert) close() {
	if b.stmt != nil {
		_ = b.stmt.Close()
		b.stmt = nil
	}
}

// query is the INSERT of n rows.
func (b *chunkInsert) query(n int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO ")
	q.WriteString(b.table)
	q.WriteString(" (")
	for i, f := range b.fields {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(f.DBName)
	}
	q.WriteString(") VALUES ")
	row := "(" + strings.Repeat("?,", len(b.fields)-1) + "?)"
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(row)
	}
	return q.String()
}
