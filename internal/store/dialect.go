package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/cara-registry/cara/internal/audit"
)

// Every difference the store makes between SQLite and MySQL/MariaDB is a method of Dialect in
// this file: the rest of the store writes SQL both accept and asks the dialect for the few words
// that differ. Upserts are the exception that needs no method: clause.OnConflict, which GORM
// writes as ON CONFLICT … DO UPDATE or ON DUPLICATE KEY UPDATE (login.go, tumor_items.go).

// Dialect names the database a store runs on.
type Dialect string

// The two supported databases.
const (
	DialectSQLite Dialect = "sqlite"
	DialectMySQL  Dialect = "mysql"
)

// openDialector opens the configured database: MySQL when a DSN is given, else SQLite at the path.
func openDialector(cfg Config) (gorm.Dialector, Dialect, error) {
	if cfg.MySQLDSN != "" {
		dsn, err := normalizeMySQLDSN(cfg.MySQLDSN)
		if err != nil {
			return nil, "", err
		}
		return mysql.Open(dsn), DialectMySQL, nil
	}
	path := cfg.SQLitePath
	if path == "" {
		return nil, "", fmt.Errorf("store: no database: set a MySQL DSN or a SQLite path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", fmt.Errorf("store: create database folder: %w", err)
		}
	}
	// The database holds patient data: a new one is readable by cara's user alone (SQLite gives
	// its -wal and -shm files the database file's mode).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, "", fmt.Errorf("store: create database file: %w", err)
	}
	// WAL lets readers go on while a save commits; foreign keys are off by default in SQLite.
	dsn := path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-65536)"
	return sqlite.Open(dsn), DialectSQLite, nil
}

// normalizeMySQLDSN accepts a go-sql-driver DSN (user:pass@tcp(host:3306)/db), optionally with a
// mysql:// prefix, and makes times come back as UTC time.Time.
func normalizeMySQLDSN(dsn string) (string, error) {
	dsn = strings.TrimPrefix(dsn, "mysql://")
	c, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("store: CARA_DATABASE_URL is not a MySQL DSN such as user:password@tcp(127.0.0.1:3306)/cara: %w", err)
	}
	if c.DBName == "" {
		return "", fmt.Errorf("store: the MySQL DSN names no database (add /DBNAME after the address)")
	}
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Collation = "utf8mb4_unicode_ci"
	// The driver writes a statement's arguments into its text (one round trip, no server-side
	// prepared statement per query). On a Galera cluster this is also what keeps a transaction
	// that another node's write aborted from going on: through server-side prepared statements
	// the abort was seen late, and statements after it committed on their own (measured with six
	// writers numbering patients on three nodes: numbers given twice, and patients stored without
	// their audit event, in 6 of 8 runs; none in 6 runs with this). The driver can do it in utf8mb4.
	c.InterpolateParams = true
	return c.FormatDSN(), nil
}

// setPool sizes the connection pool.
func (d Dialect) setPool(db *sql.DB) {
	switch d {
	case DialectSQLite:
		// One writer at a time is how SQLite works; one connection avoids "database is locked".
		db.SetMaxOpenConns(1)
	case DialectMySQL:
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		db.SetConnMaxLifetime(4 * time.Minute) // below any sensible wait_timeout
	}
}

// gooseDialect is the dialect goose runs the migrations of migrations/<d> with.
func (d Dialect) gooseDialect() goose.Dialect {
	if d == DialectMySQL {
		return goose.DialectMySQL
	}
	return goose.DialectSQLite3
}

// joinInOrder is an inner join that the planner must run left table first.
func (d Dialect) joinInOrder() string {
	if d == DialectSQLite {
		return " CROSS JOIN " // SQLite keeps the order of a CROSS JOIN
	}
	return " STRAIGHT_JOIN "
}

// nocase is the collation clause that makes SQLite compare text as MySQL's utf8mb4_unicode_ci
// does for the names and numbers people search: without regard to case. The SQLite indexes on
// those columns are NOCASE too, so that the comparison can use them.
func (d Dialect) nocase() string {
	if d == DialectSQLite {
		return " COLLATE NOCASE"
	}
	return ""
}

// forceIndex is the hint that makes MySQL read a table through the named index (after the table
// name); SQLite's planner needs none where the store uses it.
func (d Dialect) forceIndex(index string) string {
	if d != DialectMySQL {
		return ""
	}
	return " FORCE INDEX (" + index + ")"
}

// forUpdate makes a read lock the rows it reads until the commit (SELECT … FOR UPDATE) on MySQL.
// SQLite has no row locks and one writer at a time: there the read stays plain.
func (d Dialect) forUpdate(q *gorm.DB) *gorm.DB {
	if d != DialectMySQL {
		return q
	}
	return q.Clauses(clause.Locking{Strength: "UPDATE"})
}

// markSubmittedSQL marks a batch's sent cases submitted in one statement (arguments: the time,
// the batch's id); they are found through the batch's links (its primary key), in tumor id
// order. MySQL runs the correlated EXISTS form as a scan of every approved tumor, so it gets the
// multi-table UPDATE, which SQLite does not have.
func (d Dialect) markSubmittedSQL() string {
	if d == DialectMySQL {
		return `UPDATE submission_tumors st JOIN tumors t ON t.id = st.tumor_id AND t.version = st.tumor_version
				SET t.status = 'submitted', t.status_changed_at = ?, t.version = t.version + 1
				WHERE st.submission_id = ? AND st.held = 0 AND t.status = 'approved'`
	}
	return `UPDATE tumors SET status = 'submitted', status_changed_at = ?, version = version + 1
			WHERE status = 'approved' AND EXISTS (SELECT 1 FROM submission_tumors st
				WHERE st.submission_id = ? AND st.held = 0 AND st.tumor_id = tumors.id AND st.tumor_version = tumors.version)`
}

// longTransactions says whether a transaction may stay open while a batch file is written
// (SubmissionTx). MySQL locks only the rows it writes; SQLite's one writer would stop every
// other write meanwhile, the audit events of people's page views among them.
func (d Dialect) longTransactions() bool { return d == DialectMySQL }

// rowsPerInsert is how many rows a multi-row INSERT of intake failures carries: MySQL takes
// many (fewer round trips), SQLite's statements are local and its variables limited.
func (d Dialect) rowsPerInsert() int {
	if d == DialectSQLite {
		return 32
	}
	return 500
}

// lockChainHead takes the lock of the audit chain's head, held to the commit, and reads the head
// (the last event's id and hash) in the same statement; appendAudit then inserts the event and
// moves the head. Concurrent appends wait here and then read the head the one before them left,
// so each event chains to the true last one.
//   - MySQL: SELECT … FOR UPDATE is a locking read: it takes the row's exclusive lock (held to
//     the commit, across every process on the database) and reads the newest committed row, not
//     the transaction's snapshot. On a Galera cluster the lock is the node's own, as an UPDATE's
//     is: two nodes' appends both write the head's row, so certification refuses the later one
//     (a deadlock error; its transaction rolls back whole).
//   - SQLite has no FOR UPDATE. UPDATE … RETURNING takes the database's write lock before it
//     reads; a SELECT first would start a read transaction that cannot become a write one once
//     another connection has written (SQLITE_BUSY, which busy_timeout does not wait out).
func (d Dialect) lockChainHead(tx *gorm.DB) (audit.Head, error) {
	q := "SELECT last_id, last_hash FROM audit_chain WHERE id = 1 FOR UPDATE"
	if d == DialectSQLite {
		q = "UPDATE audit_chain SET last_id = last_id WHERE id = 1 RETURNING last_id, last_hash"
	}
	var h audit.Head
	err := tx.Raw(q).Row().Scan(&h.LastID, &h.LastHash)
	if errors.Is(err, sql.ErrNoRows) {
		return h, errors.New("the audit_chain row is missing")
	}
	return h, err
}

// insertOrSkip ends an INSERT so that a row whose unique key is taken is skipped, not an error,
// and not counted among the rows affected. MySQL's INSERT IGNORE would also turn a value too
// long into a warning; an update of nothing skips only the duplicate.
func (d Dialect) insertOrSkip() string {
	if d == DialectSQLite {
		return " ON CONFLICT DO NOTHING"
	}
	return " ON DUPLICATE KEY UPDATE id = id"
}

// itemText is the text of one item of an items JSON column (NULL when the item is absent); key
// is a naaccrId, which holds only letters and digits, so it is written into the path as it is.
func (d Dialect) itemText(col, key string) string {
	if d == DialectSQLite {
		return "json_extract(" + col + ", '$." + key + "')"
	}
	return "JSON_UNQUOTE(JSON_EXTRACT(" + col + ", '$." + key + "'))"
}

// daysBetween is the number of days from the CCYYMMDD date in column from to the one in to
// (NULL when either is not a date).
func (d Dialect) daysBetween(from, to string) string {
	if d == DialectSQLite {
		iso := func(c string) string {
			return "SUBSTR(" + c + ", 1, 4) || '-' || SUBSTR(" + c + ", 5, 2) || '-' || SUBSTR(" + c + ", 7, 2)"
		}
		return "CAST(julianday(" + iso(to) + ") - julianday(" + iso(from) + ") AS INTEGER)"
	}
	return "DATEDIFF(STR_TO_DATE(" + to + ", '%Y%m%d'), STR_TO_DATE(" + from + ", '%Y%m%d'))"
}

// concat joins text expressions.
func (d Dialect) concat(parts []string) string {
	if d == DialectSQLite {
		return "(" + strings.Join(parts, " || ") + ")"
	}
	return "CONCAT(" + strings.Join(parts, ", ") + ")"
}
