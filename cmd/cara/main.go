// Command cara is the cancer registry abstraction tool: a web server and its command-line jobs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cara-registry/cara/internal/excerpt"
)

const usage = `cara: cancer registry abstraction

Usage:
  cara serve [--mllp-addr ADDR [--mllp-facility F]]
                                  run the web server (migrates the database first); with an MLLP
                                  address, also take in HL7 v2 pathology reports there (ACK each),
                                  for the facility, or from senders with a token in MSH-8
  cara migrate                    apply database migrations
  cara demo                       create the demo facility, users and cases (once)
  cara export --out FILE [--status S] [--facility F] [--from D] [--to D] [--version V]
                                  write cases as a NAACCR XML file (record type A, v26 by default)
  cara import --facility F FILE   import a NAACCR XML v26 file into the case store
  cara naaccr validate [--format json] [--workers N] FILE...
                                  check NAACCR XML files; exit status 1 when there are problems
  cara naaccr stats FILE          patients, tumors, items, top sites of a file
  cara naaccr convert --to V IN OUT
                                  translate a file to NAACCR version V (240, 250, 260)
  cara naaccr generate --patients N [--out F]
                                  make a synthetic NAACCR XML file
  cara edits run [--format text|csv|json|html] [--workers N] [--out F] FILE
                                  run the field and inter-field edits over a NAACCR XML file;
                                  exit status 1 when an error-severity edit fails
  cara edits run --store [--facility F]
                                  run the edits over stored cases and update their counts
  cara edits list                 list the edits
  cara staging schemas [--format text|csv|json]
                                  list the SEER EOD staging schemas: id, Schema ID, name, number of
                                  inputs, discriminators
  cara staging run [--format csv|json] FILE
                                  derive Schema ID, Derived Summary Stage 2018, Derived Summary
                                  Grade 2018 ... for every tumor of a NAACCR XML file and report them
                                  per tumor with the invalid inputs; a summary on stderr
  cara staging explain --site C504 --hist 8500 [--behavior 3] [--year 2024] [--item ID=VALUE]...
                      [--format text|json]
                                  which schema and why, the inputs as staged, each table walked with
                                  the row matched and what it gave, and the errors; exit status 1
                                  when the tumor cannot be staged
  cara staging rederive [--facility F] [--status S] [--user NAME] [--dry-run]
                                  derive the derived items of stored cases again (after a staging
                                  data update) and save those that changed, each change audited
  cara intake [--facility CODE] [--accept] [--format text|csv|html] FILE
                                  check a submission file as the intake page does and print the
                                  report; --accept imports its records without errors as received;
                                  exit status 1 on structural errors or when no record is acceptable
  (commands that read files take --relaxed and --user-dictionary FILE)
  cara user add --username NAME --role ROLE [--facility CODE] [--name "Full Name"]
                                  add a user; the password is read from a prompt or stdin
  cara facility add --code CODE --name NAME [--npi NPI] [--id-number N]
                                  add a facility (code: letters, digits, - and _; NPI and
                                  Reporting Facility [540] id number: 10 digits each)
  cara submission create --facility CODE [--from D --to D] [--version 260|250] [--record-type A|I|C|M]
                      [--correction] [--gzip] [--out FILE]
                                  make a submission batch of the facility's approved cases (edits first;
                                  cases with errors are held back); exit status 1 when nothing was sent
  cara submission list [--facility CODE]
                                  list the submission batches
  cara casefinding import --facility F [--source S] FILE
                                  read a casefinding CSV file (header: mrn, last_name, first_name,
                                  date_of_birth, sex, encounter_date, icd10cm_codes; source, text
                                  optional) into the facility's suspense list: screened, matched,
                                  the same rows again add nothing; exit status 1 when a row is refused
  cara casefinding list --facility F [--format text|csv] [--status S,...]
                                  print the facility's suspense list
  cara ehr import --facility F FILE
                                  read HL7 v2 pathology reports (ORU^R01, one or many, CR or LF
                                  segment ends) onto the facility's suspense list; each message is
                                  accepted, a duplicate (same sender and MSH-10), or refused with
                                  the segment, field and reason; exit status 1 when one is refused
  cara ehr sender add --facility F --name NAME
                                  allow a sender of electronic reports: prints its token once, for
                                  MSH-8 on the MLLP listener (serve without --mllp-facility) or as
                                  the FHIR endpoint's bearer token; cara keeps the token's hash
  cara ehr sender list [--facility F]
                                  list the senders of electronic reports
  cara ehr sender revoke ID
                                  end a sender's token
  cara ehr purge [--dry-run] [--before CCYYMMDD]
                                  blank the raw messages of the electronic reports received before
                                  the retention period (CARA_EHR_RETENTION_YEARS, 7), keeping their
                                  SHA-256, suggestions and suspense records
  cara ehr fhir --facility F [--outcome] FILE.json
                                  take a FHIR R4 bundle (transaction or collection, mCODE) into the
                                  facility's suspense list with the item values it suggests; the
                                  same bundle again adds nothing; exit status 1 when refused
  cara report NAME [--facility F] [--from YEAR] [--to YEAR] [--class analytic|nonanalytic] [--status S] [--format csv|xlsx|html] [--suppress] --out FILE
  cara followup due --facility F [--format text|csv] [--month CCYYMM] [--lost] [--physician P]
                      [--site-group G]
                                  list the follow-up due list: followed cases of living patients
                                  last contacted more than 12 months ago
  cara followup rate --facility F [--reference-date CCYYMMDD]
                                  the CoC follow-up rate, since the reference date and the last 5 years
  cara followup deaths --facility F [--confirm ROW=PATIENT,...] FILE.csv
                                  match a state death file with the living patients; --confirm
                                  records the deaths; exit status 1 when the file has bad rows
  cara followup letters --facility F --month CCYYMM --out FILE.pdf
                                  print the month's follow-up letters as one PDF and record them sent
  cara loadtest --url URL [--registrars 45] [--reviewers 5] [--duration 1m] [--think 1s]
                      [--intake-patients 500] [--save-p99 50ms] [--max-actions N] [--cases N]
                                  seed a run's own facility, users and demo cases in the database and
                                  drive the cara at URL (loopback only) as that many people at once;
                                  print p50/p95/p99 per request kind; exit status 1 when an update was
                                  lost, a request failed other than by a conflict, or the save p99
                                  missed its target
  cara audit verify [--checkpoint FILE]...
                                  check the audit trail's keyed hash chain, and against each
                                  checkpoint given; exit status 1 when broken
  cara audit checkpoint [--out FILE]
                                  verify the trail and write a signed checkpoint of its last event,
                                  to keep outside the database

Configuration (environment):
  CARA_DATABASE_URL   MySQL DSN, e.g. cara:secret@tcp(127.0.0.1:3306)/cara
                      (unset: embedded SQLite at ./data/cara.db)
  CARA_ADDR           listen address of serve (default localhost:8080)
  CARA_SECURE_COOKIES set to true when cara is served over HTTPS
  CARA_INTAKE_DIR     where uploaded intake files are kept (default data/intake)
  CARA_INTAKE_MAX_BYTES  upload limit in bytes (default 2147483648, 2 GiB)
  CARA_SUBMISSION_DIR where submission batch files are kept (default ./data/submissions)
  CARA_AUDIT_KEY_FILE the audit key's file (default ./data/audit.key, made when missing)
  CARA_AUDIT_KEY      the audit key itself (base64), instead of a file; every cara process of
                      one installation needs the same key
  CARA_MLLP_ADDR      serve: listen for HL7 v2 pathology reports (MLLP) here, as --mllp-addr
  CARA_MLLP_FACILITY  serve: the facility whose suspense list MLLP reports join (none: senders'
                      tokens name it)
  CARA_MLLP_MAX_BYTES limit of one MLLP message in bytes (default 16777216, 16 MiB)
  CARA_MLLP_READ_TIMEOUT  seconds an MLLP sender may stay silent before it is disconnected (default 60)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := cli(ctx, os.Args[1:], envFromOS(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// cli runs a command line and returns its exit status: 0; 1 when the command failed, or ran to
// the end and found problems; 2 when the command line is refused, after the message and the
// usage of the command refused.
func cli(ctx context.Context, args []string, env env, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(ctx, args, env, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "cara:", err)
	var ue *usageError
	switch {
	case errors.Is(err, errProblems):
		// The command printed what it found; the status says so.
		return 1
	case errors.As(err, &ue):
		fmt.Fprintln(stderr)
		printUsage(stderr, ue.name, ue.fs)
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, "\n", usage)
		return 2
	}
	return 1
}

// run dispatches a command line; it is what tests call.
// -h or --help prints the command's usage to stdout and succeeds.
func run(ctx context.Context, args []string, env env, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, env, stdin, stdout, stderr)
	var h *helpRequest
	if errors.As(err, &h) {
		printUsage(stdout, h.name, h.fs)
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, env env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command given: %w", errUsage)
	}
	env.notices = stderr
	switch args[0] {
	case "serve":
		return cmdServe(ctx, env, args[1:], stderr)
	case "migrate":
		return cmdMigrate(ctx, env, args[1:], stdout)
	case "demo":
		return cmdDemo(ctx, env, args[1:], stdout)
	case "export":
		return cmdExport(ctx, env, args[1:], stdout)
	case "import":
		return cmdImport(ctx, env, args[1:], stdout, stderr)
	case "naaccr":
		return cmdNaaccr(ctx, env, args[1:], stdout, stderr)
	case "edits":
		return cmdEdits(ctx, env, args[1:], stdout)
	case "staging":
		return cmdStaging(ctx, env, args[1:], stdout, stderr)
	case "intake":
		return cmdIntake(ctx, env, args[1:], stdout)
	case "user":
		return cmdUser(ctx, env, args[1:], stdin, stdout)
	case "facility":
		return cmdFacility(ctx, env, args[1:], stdout)
	case "audit":
		return cmdAudit(ctx, env, args[1:], stdout)
	case "followup":
		return cmdFollowUp(ctx, env, args[1:], stdout)
	case "submission":
		return cmdSubmission(ctx, env, args[1:], stdout)
	case "casefinding":
		return cmdCasefinding(ctx, env, args[1:], stdout)
	case "ehr":
		return cmdEHR(ctx, env, args[1:], stdout)
	case "report":
		return cmdReport(ctx, env, args[1:], stdout)
	case "loadtest":
		return cmdLoadtest(ctx, env, args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %s: %w", excerpt.Quote(args[0]), errUsage)
}
