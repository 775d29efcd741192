package main

import (
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/web"
)

// defaultSQLitePath is where the embedded database lives, relative to the working directory.
const defaultSQLitePath = "data/cara.db"

// env is cara's configuration from the environment.
type env struct {
	DatabaseURL   string
	Addr          string
	SecureCookies bool
	Now           func() time.Time
	// SubmissionDir keeps submission batch files (CARA_SUBMISSION_DIR; default beside the SQLite file).
	SubmissionDir string
	// ReleaseDir keeps release extracts until they expire (CARA_RELEASE_DIR; default beside the
	// SQLite file).
	ReleaseDir string
	// IntakeDir keeps uploaded intake files (CARA_INTAKE_DIR; default data/intake) and
	// IntakeMaxBytes limits an upload (CARA_INTAKE_MAX_BYTES; default 2 GiB).
	IntakeDir      string
	IntakeMaxBytes int64
	// IntakeMaxUnpackedBytes limits what an intake's gzip file unpacks to
	// (CARA_INTAKE_MAX_UNPACKED_BYTES; default ten times IntakeMaxBytes, 20 GiB); -1 when the
	// variable is not a whole number above 0 (see intakeLimits).
	IntakeMaxUnpackedBytes int64
	// IntakeLease is how long a running intake job's heartbeat may be silent before another
	// process takes the job over (CARA_INTAKE_LEASE, a Go duration such as 2m; default 2m); its
	// heartbeat beats six times a lease. Empty here when not set; serve checks it (intakeLease).
	IntakeLease string
	// AuditKey (CARA_AUDIT_KEY, base64) or AuditKeyFile (CARA_AUDIT_KEY_FILE; default
	// data/audit.key) is the audit key (see auditkey.go).
	AuditKey     string
	AuditKeyFile string
	notices      io.Writer // where a command says what it did on the side, such as make a key: stderr
	// TrustedProxies lists the reverse proxies whose forwarding headers are believed
	// (CARA_TRUSTED_PROXIES: IP addresses and CIDR ranges, separated by commas); see
	// trustedProxies.
	TrustedProxies string
}

func envFromOS() env {
	e := env{
		DatabaseURL:   os.Getenv("CARA_DATABASE_URL"),
		Addr:          os.Getenv("CARA_ADDR"),
		SecureCookies: os.Getenv("CARA_SECURE_COOKIES") == "true",
		Now:           time.Now,
		SubmissionDir: os.Getenv("CARA_SUBMISSION_DIR"),
		ReleaseDir:    os.Getenv("CARA_RELEASE_DIR"),
		IntakeDir:     os.Getenv("CARA_INTAKE_DIR"),
		IntakeLease:   os.Getenv("CARA_INTAKE_LEASE"),
		AuditKey:      os.Getenv("CARA_AUDIT_KEY"),
		AuditKeyFile:  os.Getenv("CARA_AUDIT_KEY_FILE"),
		// Parsed (and a bad entry refused) by serve.
		TrustedProxies: os.Getenv("CARA_TRUSTED_PROXIES"),
	}
	if e.IntakeDir == "" {
		e.IntakeDir = "data/intake"
	}
	// A bad limit is refused by serve and intake (see intakeLimits); here it stays -1.
	e.IntakeMaxBytes = 2 << 30
	if v := os.Getenv("CARA_INTAKE_MAX_BYTES"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			e.IntakeMaxBytes = n
		} else {
			e.IntakeMaxBytes = -1
		}
	}
	if v := os.Getenv("CARA_INTAKE_MAX_UNPACKED_BYTES"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			e.IntakeMaxUnpackedBytes = n
		} else {
			e.IntakeMaxUnpackedBytes = -1
		}
	}
	if e.Addr == "" {
		e.Addr = "localhost:8080"
	}
	return e
}

// intakeLease is the lease of a running intake job (CARA_INTAKE_LEASE), or an error naming the
// variable when it is not a duration of a few seconds or more; 0 is the runner's default (2m).
func (e env) intakeLease(cmd string) (time.Duration, error) {
	if e.IntakeLease == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(e.IntakeLease)
	if err != nil || d < 3*time.Second {
		return 0, fmt.Errorf("%s: CARA_INTAKE_LEASE: give how long a running intake's heartbeat may be silent as a duration of 3s or more, such as 2m (got %q)", cmd, e.IntakeLease)
	}
	return d, nil
}

// intakeLimits are the upload and unpacked-size limits of intake, or an error naming the
// variable that is not a whole number above 0. The unpacked limit is ten times the upload limit
// when not set (NAACCR XML packs some eight to ten times; see submission.DefaultIntakeMaxUnpackedBytes).
func (e env) intakeLimits(cmd string) (maxBytes, maxUnpacked int64, err error) {
	maxBytes = e.IntakeMaxBytes
	switch {
	case maxBytes < 0:
		return 0, 0, fmt.Errorf("%s: CARA_INTAKE_MAX_BYTES: give the upload limit in bytes, a whole number above 0", cmd)
	case maxBytes == 0:
		maxBytes = web.DefaultIntakeMaxBytes
	}
	switch {
	case e.IntakeMaxUnpackedBytes < 0:
		return 0, 0, fmt.Errorf("%s: CARA_INTAKE_MAX_UNPACKED_BYTES: give the limit of what an uploaded gzip file unpacks to in bytes, a whole number above 0", cmd)
	case e.IntakeMaxUnpackedBytes == 0:
		maxUnpacked = maxBytes * 10
		if maxUnpacked/10 != maxBytes { // overflow
			maxUnpacked = math.MaxInt64
		}
	default:
		maxUnpacked = e.IntakeMaxUnpackedBytes
	}
	return maxBytes, maxUnpacked, nil
}

// submissionDir is where batch files go: CARA_SUBMISSION_DIR, else data/submissions.
func (e env) submissionDir() string {
	if e.SubmissionDir != "" {
		return e.SubmissionDir
	}
	return defaultSubmissionDir
}

// trustedProxies parses CARA_TRUSTED_PROXIES: IP addresses (a single host) and CIDR ranges,
// separated by commas. None (the default) trusts no forwarding header, so the socket's address
// is the client's.
func (e env) trustedProxies() ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, entry := range strings.Split(e.TrustedProxies, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			_, n, err := net.ParseCIDR(entry)
			if err != nil {
				return nil, fmt.Errorf("CARA_TRUSTED_PROXIES: %q is not a CIDR range (like 10.0.0.0/8 or fd00::/8)", entry)
			}
			nets = append(nets, n)
			continue
		}
		ip := net.ParseIP(entry)
		if ip == nil {
			return nil, fmt.Errorf("CARA_TRUSTED_PROXIES: %q is not an IP address or CIDR range (like 10.0.0.5 or 10.0.0.0/8)", entry)
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return nets, nil
}

// releaseDir is where release extracts go: CARA_RELEASE_DIR, else data/releases.
func (e env) releaseDir() string {
	if e.ReleaseDir != "" {
		return e.ReleaseDir
	}
	return "data/releases"
}

// defaultSubmissionDir is beside the default SQLite database.
const defaultSubmissionDir = "data/submissions"
