package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// txAttempts is how many times retryTx runs a transaction that keeps losing to concurrent ones
// at least, and txRetryFor how long it goes on running it past those. On a Galera cluster every
// audited write takes the audit chain's head row, so two audited writes on two nodes at the same
// moment conflict and one loses at commit. Under CPU contention a loser can lose eight times in a
// row (a run of the cluster load test answered 9 case opens 409 so): a count alone gives up after
// half a second of backoff, while the person opening a case would rather wait a second or two.
// A transaction still losing after both is reported as a conflict.
const (
	txAttempts = 8
	txRetryFor = 5 * time.Second
)

// The backoff before attempt n+1 is a random time up to txBackoff·2ⁿ⁻¹, at most txBackoffMax:
// random, so that two losers do not meet again at the same moment.
const (
	txBackoff    = 4 * time.Millisecond
	txBackoffMax = 250 * time.Millisecond
)

// Error numbers of MySQL/MariaDB after which a transaction may run again from the start.
const (
	mysqlLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT: InnoDB rolled back the statement (innodb_rollback_on_timeout off) or all
	mysqlDeadlock        = 1213 // ER_LOCK_DEADLOCK: InnoDB's deadlock victim, or Galera's certification loser ("WSREP detected deadlock/conflict")
)

// mysqlParseError is ER_PARSE_ERROR, which MariaDB also gives every write to a table whose open
// copy holds a trigger it failed to parse (brokenTriggers).
const mysqlParseError = 1064

// Result codes of SQLite (the low byte of an extended code) after which likewise.
const (
	sqliteBusy   = 5 // SQLITE_BUSY: another process holds the database's write lock past busy_timeout
	sqliteLocked = 6 // SQLITE_LOCKED
)

// errChainMoved is an audit append that found its event's id taken: another node's append
// committed first (see appendAudit). Its transaction runs again like one that lost certification.
var errChainMoved = errors.New("the audit chain moved on: another append took the id")

// txFaults lets a test make a transaction fail the way a concurrent writer makes it fail (see
// export_test.go); production stores have none.
type txFaults struct {
	// beforeAttempt runs before attempt n (1-based) of the transaction named name, outside it.
	beforeAttempt func(name string, n int)
	// beforeCommit runs after the transaction's function succeeded, inside it; an error it
	// returns rolls the attempt back as a commit error would.
	beforeCommit func(name string, n int) error
}

// retryable reports whether err means the transaction was rolled back for a concurrent one
// (deadlock, lock wait timeout, Galera certification, an audit append whose id another node
// took, SQLite busy) or refused for triggers MariaDB failed to load (brokenTriggers), so that
// running it again
// from the start is the same as running it once later. An error of a connection lost during
// the commit is not: the commit may have landed.
func retryable(err error) bool {
	if errors.Is(err, errChainMoved) || brokenTriggers(err) {
		return true
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		return me.Number == mysqlDeadlock || me.Number == mysqlLockWaitTimeout
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqliteBusy || c == sqliteLocked
	}
	return false
}

// brokenTriggers reports the error MariaDB gives a write to a table whose triggers it failed to
// parse when it opened the table: "Unknown trigger has an error in its body: 'Query was empty'",
// though the trigger files are intact. On a Galera cluster it comes under a storm of certification
// aborts: 24 writers appending to the audit trail on three nodes with no pause between attempts
// got it 1,000–1,800 times in 15–20 s, on one node a run, a writer up to 19 times in a row; the
// fault tests met it after a node was killed and started again. The statement did nothing, and
// with retryTx's backoff the same writers did not meet it at all, so it is run again like a
// deadlock.
func brokenTriggers(err error) bool {
	var me *mysqldriver.MySQLError
	return errors.As(err, &me) && me.Number == mysqlParseError && strings.Contains(me.Message, "trigger has an error in its body")
}

// retryTx runs fn in a transaction and, when the transaction lost to a concurrent one
// (retryable), runs it again from the start with a jittered backoff: txAttempts times, and on
// while less than txRetryFor has passed.
// fn must be safe to run again: it reads what it decides on inside the transaction (a version
// check in its WHERE, the audit chain's head) and sets what it returns afresh on each run.
// A transaction that loses every attempt is ErrConflict, with the last error. name says which
// transaction it is, in that error.
func (s *Store) retryTx(ctx context.Context, name string, fn func(tx *gorm.DB) error) error {
	var err error
	start := time.Now()
	n := 1
	for ; n <= txAttempts || time.Since(start) < s.txRetryFor; n++ {
		if n > 1 {
			wait := min(txBackoff<<min(n-2, 16), txBackoffMax)
			t := time.NewTimer(rand.N(wait) + time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s: %w (after %d attempts, the last: %w)", name, ctx.Err(), n-1, err)
			case <-t.C:
			}
		}
		if s.faults != nil && s.faults.beforeAttempt != nil {
			s.faults.beforeAttempt(name, n)
		}
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := fn(tx); err != nil {
				return err
			}
			if s.faults != nil && s.faults.beforeCommit != nil {
				return s.faults.beforeCommit(name, n)
			}
			return nil
		})
		if err == nil || !retryable(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (after %d attempts, the last: %w)", name, ctx.Err(), n, err)
		}
	}
	if brokenTriggers(err) {
		// Not a conflict the person could settle by trying again: a failure, logged.
		return fmt.Errorf("%s refused %d times in %s: %w", name, n-1, time.Since(start).Round(time.Millisecond), err)
	}
	return fmt.Errorf("%s lost to concurrent writes %d times in %s: %w (the last: %w)", name, n-1, time.Since(start).Round(time.Millisecond), ErrConflict, err)
}

// onceTx runs fn in a transaction once: for the transactions that are not safe to run again as
// they are (they insert rows whose ids the caller keeps, or write files' records) or that run
// rarely (administration, bulk imports). One that loses to a concurrent transaction is
// ErrConflict, with the database's error, so that the person sees a conflict to retry and not a
// failure; nothing of it was written.
func (s *Store) onceTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := s.db.WithContext(ctx).Transaction(fn)
	if err != nil && retryable(err) && !brokenTriggers(err) && ctx.Err() == nil {
		return fmt.Errorf("lost to a concurrent write: %w (%w)", ErrConflict, err)
	}
	return err
}
