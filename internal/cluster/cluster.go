// Package cluster starts, on loopback ports under one folder, a three-node MariaDB Galera
// cluster, cara serve processes on it and haproxy in front of them, and stops all of it again.
// It is the harness behind cmd/cara-cluster and the cluster tests (build tag cluster).
package cluster

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql" // the Galera nodes speak MySQL
)

// Paths of the tools the harness needs (Debian packages galera-4, mariadb-server, haproxy).
const (
	GaleraProvider = "/usr/lib/galera/libgalera_smm.so"
	Mariadbd       = "/usr/sbin/mariadbd"
	InstallDB      = "/usr/bin/mariadb-install-db"
	HAProxy        = "/usr/sbin/haproxy"
)

// Config says where the cluster lives and which ports it takes. Each node i (0-based) uses
// BasePort+10*i+{0: SQL, 1: gcomm, 2: IST, 3: SST}; cara process i listens on BasePort+100+i;
// haproxy on BasePort+200.
type Config struct {
	Dir      string // state folder: data directories, logs, pids, state.json
	BasePort int    // 0 means 24000
	Nodes    int    // 0 means 3
	Caras    int    // cara serve processes; 0 means 3
	CaraBin  string // path of a built cmd/cara; empty: start no cara processes
	// IntakeLease is the cara processes' CARA_INTAKE_LEASE (how long a running intake job's
	// heartbeat may be silent before another process takes it over); 0 leaves cara's default.
	IntakeLease time.Duration
}

// State is what up leaves in Dir/state.json for status and down.
type State struct {
	Dir       string   `json:"dir"`
	BasePort  int      `json:"base_port"`
	CaraBin   string   `json:"cara_bin"`
	Lease     string   `json:"intake_lease"`
	NodePorts []int    `json:"node_ports"`
	NodePIDs  []int    `json:"node_pids"`
	CaraPorts []int    `json:"cara_ports"`
	CaraPIDs  []int    `json:"cara_pids"`
	HAPort    int      `json:"haproxy_port"`
	HAPID     int      `json:"haproxy_pid"`
	AuditKey  string   `json:"audit_key"`
	Database  string   `json:"database"`
	Logs      []string `json:"logs"`
}

func (c *Config) defaults() {
	if c.BasePort == 0 {
		c.BasePort = 24000
	}
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.Caras == 0 {
		c.Caras = 3
	}
}

// NodeDSN is the go-sql-driver DSN of node i's database db.
func (s *State) NodeDSN(i int, db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", s.NodePorts[i], db)
}

// URL is the haproxy address cara is reached on.
func (s *State) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.HAPort) }

func (c Config) nodeDir(i int) string { return filepath.Join(c.Dir, fmt.Sprintf("node%d", i)) }

// gcommAddress lists every node's group-communication port.
func (c Config) gcommAddress() string {
	var hosts []string
	for i := 0; i < c.Nodes; i++ {
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", c.BasePort+10*i+1))
	}
	return "gcomm://" + strings.Join(hosts, ",")
}

// nodeConfig is node i's my.cnf: Galera needs ROW binlogs and interleaved auto-increment locks.
func (c Config) nodeConfig(i int) string {
	d := c.nodeDir(i)
	p := c.BasePort + 10*i
	return fmt.Sprintf(`[mariadbd]
datadir=%[1]s/data
socket=%[1]s/mysqld.sock
pid-file=%[1]s/mysqld.pid
log-error=%[1]s/error.log
bind-address=127.0.0.1
port=%[2]d
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
max_connections=300
wsrep_on=ON
wsrep_provider=%[3]s
wsrep_cluster_name=cara
wsrep_cluster_address=%[4]s
wsrep_node_name=node%[5]d
wsrep_node_address=127.0.0.1
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:%[6]d;ist.recv_addr=127.0.0.1:%[7]d;gcache.size=64M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:%[8]d
# Causal reads: a request read on one node sees what the request before it wrote through another
# (a sign-in form's pre-session, a case saved a moment ago), as on one server.
wsrep_sync_wait=1
`, d, p, GaleraProvider, c.gcommAddress(), i, p+1, p+2, p+3)
}

// Up starts the cluster, migrates the database once, starts the cara processes and haproxy,
// and returns when haproxy answers. On failure it stops what it started.
func Up(ctx context.Context, c Config) (st *State, err error) {
	c.defaults()
	if c.Dir == "" {
		return nil, errors.New("cluster: no state folder given")
	}
	// rsync SST's daemon runs as nobody when mariadbd runs as root: it must reach the joiner's
	// data directory (the harness's data is throwaway test data).
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	key := make([]byte, 32)
	if f, err := os.Open("/dev/urandom"); err == nil {
		_, _ = f.Read(key)
		f.Close()
	}
	st = &State{Dir: c.Dir, BasePort: c.BasePort, CaraBin: c.CaraBin, Database: "cara", AuditKey: base64.StdEncoding.EncodeToString(key)}
	if c.IntakeLease > 0 {
		st.Lease = c.IntakeLease.String()
	}
	defer func() {
		if err != nil {
			_ = Down(st)
		}
	}()
	for i := 0; i < c.Nodes; i++ {
		if err := c.startNode(ctx, st, i, i == 0); err != nil {
			return st, err
		}
		if err := st.save(); err != nil {
			return st, err
		}
		// The first node bootstraps; each further node joins by SST before the next starts, so
		// two joiners do not ask the same donor at once.
		if err := WaitSynced(ctx, st, i+1, 3*time.Minute); err != nil {
			return st, err
		}
	}
	db, err := sql.Open("mysql", st.NodeDSN(0, ""))
	if err != nil {
		return st, fmt.Errorf("cluster: %w", err)
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS cara CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	db.Close()
	if err != nil {
		return st, fmt.Errorf("cluster: create database: %w", err)
	}
	if c.CaraBin == "" {
		return st, st.save()
	}
	// One migration before the processes start: three goose runs at once would race.
	cmd := exec.CommandContext(ctx, c.CaraBin, "migrate")
	cmd.Env = st.caraEnv(0, 0)
	cmd.Dir = c.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return st, fmt.Errorf("cluster: cara migrate: %w: %s", err, out)
	}
	for i := 0; i < c.Caras; i++ {
		port := c.BasePort + 100 + i
		st.CaraPorts = append(st.CaraPorts, port)
		if err := st.startCara(c.CaraBin, i); err != nil {
			return st, err
		}
	}
	for i := range st.CaraPorts {
		if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", st.CaraPorts[i]), time.Minute); err != nil {
			return st, fmt.Errorf("cluster: cara %d: %w (log %s)", i, err, filepath.Join(c.Dir, fmt.Sprintf("cara%d.log", i)))
		}
	}
	st.HAPort = c.BasePort + 200
	if err := st.startHAProxy(); err != nil {
		return st, err
	}
	if err := waitHTTP(ctx, st.URL()+"/healthz", 30*time.Second); err != nil {
		return st, fmt.Errorf("cluster: haproxy: %w", err)
	}
	return st, st.save()
}

// startNode starts node i: the first time (a fresh data directory) or again after it stopped,
// when it rejoins by IST or SST from the others. bootstrap starts a new cluster from it
// (--wsrep-new-cluster): the first node of a new cluster, or of a whole cluster restarted.
func (c Config) startNode(ctx context.Context, st *State, i int, bootstrap bool) error {
	d := c.nodeDir(i)
	if err := os.MkdirAll(filepath.Join(d, "data"), 0o777); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	for _, p := range []string{c.Dir, d, filepath.Join(d, "data")} {
		_ = os.Chmod(p, 0o777)
	}
	cnf := filepath.Join(d, "my.cnf")
	if err := os.WriteFile(cnf, []byte(c.nodeConfig(i)), 0o600); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	user := []string{}
	if os.Geteuid() == 0 {
		user = []string{"--user=root"}
	}
	// Only the bootstrap node gets a fresh system database; a joiner's data directory stays
	// empty and SST fills it (files left by install-db would refuse rsync's writes).
	if _, err := os.Stat(filepath.Join(d, "data", "mysql")); i == 0 && err != nil {
		args := append([]string{"--defaults-file=" + cnf, "--auth-root-authentication-method=normal", "--skip-test-db"}, user...)
		install := exec.CommandContext(ctx, InstallDB, args...)
		if out, err := install.CombinedOutput(); err != nil {
			return fmt.Errorf("cluster: mariadb-install-db node%d: %w: %s", i, err, out)
		}
	}
	args := append([]string{"--defaults-file=" + cnf}, user...)
	if bootstrap {
		args = append(args, "--wsrep-new-cluster")
	} else {
		// A node that rejoins asks for what it missed from its position: IST, from a donor's
		// gcache. A node that was killed left no position (seqno -1); recover it from InnoDB.
		pos, err := c.recoverPosition(ctx, i, cnf, user)
		if err != nil {
			return err
		}
		if pos != "" {
			args = append(args, "--wsrep-start-position="+pos)
		}
		// When IST cannot serve, rsync SST does, as nobody (see Up): it must write over the
		// files and folders the node made as root.
		if err := openToSST(filepath.Join(d, "data")); err != nil {
			return err
		}
	}
	log, err := os.Create(filepath.Join(d, "stdout.log"))
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(Mariadbd, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: start node%d: %w", i, err)
	}
	go func() { _ = cmd.Wait() }()
	if i < len(st.NodePIDs) {
		st.NodePIDs[i] = cmd.Process.Pid
		return nil
	}
	st.NodePorts = append(st.NodePorts, c.BasePort+10*i)
	st.NodePIDs = append(st.NodePIDs, cmd.Process.Pid)
	st.Logs = append(st.Logs, filepath.Join(d, "error.log"))
	return nil
}

var (
	crashedState      = regexp.MustCompile(`(?m)^seqno:\s+-1\s*$`)
	recoveredPosition = regexp.MustCompile(`WSREP: Recovered position: ([0-9a-f-]+:-?[0-9]+)`)
)

// recoverPosition finds the last committed position of node i when it stopped without
// recording it (killed: grastate.dat says seqno -1), as Debian's galera_recovery does for
// systemd: mariadbd --wsrep-recover reads it from InnoDB and exits. "" when the state has a
// position (a clean stop), or none is found (the node then takes a full SST).
func (c Config) recoverPosition(ctx context.Context, i int, cnf string, user []string) (string, error) {
	d := c.nodeDir(i)
	b, err := os.ReadFile(filepath.Join(d, "data", "grastate.dat"))
	if err != nil || !crashedState.Match(b) {
		return "", nil
	}
	logf := filepath.Join(d, "recover.log")
	_ = os.Remove(logf)
	args := append([]string{"--defaults-file=" + cnf, "--wsrep-recover", "--log-error=" + logf}, user...)
	if out, err := exec.CommandContext(ctx, Mariadbd, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cluster: recover node%d's position: %w: %s", i, err, out)
	}
	log, err := os.ReadFile(logf)
	if err != nil {
		return "", fmt.Errorf("cluster: recover node%d's position: %w", i, err)
	}
	if m := recoveredPosition.FindSubmatch(log); m != nil {
		return string(m[1]), nil
	}
	return "", nil
}

// openToSST lets rsync SST's daemon (nobody) write everywhere in a data directory.
func openToSST(dir string) error {
	return filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o666)
		if e.IsDir() {
			mode = 0o777
		}
		return os.Chmod(path, mode)
	})
}

// caraEnv is the environment of cara process i, on node i mod nodes.
func (st *State) caraEnv(i, port int) []string {
	node := i % len(st.NodePorts)
	env := os.Environ()
	if st.Lease != "" {
		env = append(env, "CARA_INTAKE_LEASE="+st.Lease)
	}
	return append(env,
		"CARA_DATABASE_URL=mysql://"+st.NodeDSN(node, st.Database),
		"CARA_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"CARA_AUDIT_KEY="+st.AuditKey,
		"CARA_TRUSTED_PROXIES=127.0.0.1",
		"CARA_INTAKE_DIR="+filepath.Join(st.Dir, "intake"),
		"CARA_SUBMISSION_DIR="+filepath.Join(st.Dir, "submissions"),
	)
}

func (st *State) startCara(bin string, i int) error {
	log, err := os.OpenFile(filepath.Join(st.Dir, fmt.Sprintf("cara%d.log", i)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = st.caraEnv(i, st.CaraPorts[i])
	cmd.Dir = st.Dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: start cara %d: %w", i, err)
	}
	go func() { _ = cmd.Wait() }()
	if i < len(st.CaraPIDs) {
		st.CaraPIDs[i] = cmd.Process.Pid
		return nil
	}
	st.CaraPIDs = append(st.CaraPIDs, cmd.Process.Pid)
	return nil
}

// haproxyConfig balances round robin, without stickiness, and checks /healthz every second.
func (st *State) haproxyConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 5m
  timeout server 5m
  retries 2
  option redispatch
frontend cara
  bind 127.0.0.1:%d
  default_backend caras
backend caras
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
`, st.HAPort)
	for i, p := range st.CaraPorts {
		fmt.Fprintf(&b, "  server cara%d 127.0.0.1:%d check inter 1s fall 2 rise 1\n", i, p)
	}
	return b.String()
}

func (st *State) startHAProxy() error {
	cfg := filepath.Join(st.Dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(st.haproxyConfig()), 0o600); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	log, err := os.Create(filepath.Join(st.Dir, "haproxy.log"))
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(HAProxy, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: start haproxy: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	st.HAPID = cmd.Process.Pid
	return nil
}

// NodeStatus is what a node says of itself.
type NodeStatus struct {
	Port        int
	ClusterSize int
	State       string // wsrep_local_state_comment: Synced, Joining, Donor/Desynced ...
	Err         error
}

// Status asks each node for wsrep_cluster_size and wsrep_local_state_comment.
func Status(ctx context.Context, st *State) []NodeStatus {
	var out []NodeStatus
	for i, p := range st.NodePorts {
		ns := NodeStatus{Port: p}
		ns.ClusterSize, ns.State, ns.Err = nodeStatus(ctx, st.NodeDSN(i, ""))
		out = append(out, ns)
	}
	return out
}

func nodeStatus(ctx context.Context, dsn string) (int, string, error) {
	db, err := sql.Open("mysql", dsn+"?timeout=2s")
	if err != nil {
		return 0, "", err
	}
	defer db.Close()
	vals := map[string]string{}
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_local_state_comment')")
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return 0, "", err
		}
		vals[k] = v
	}
	n, _ := strconv.Atoi(vals["wsrep_cluster_size"])
	return n, vals["wsrep_local_state_comment"], rows.Err()
}

// WaitSynced waits until the first n nodes each report cluster size n and state Synced.
func WaitSynced(ctx context.Context, st *State, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last string
	for time.Now().Before(deadline) {
		ok := true
		var parts []string
		for i := 0; i < n; i++ {
			size, state, err := nodeStatus(ctx, st.NodeDSN(i, ""))
			parts = append(parts, fmt.Sprintf("node%d size=%d state=%q err=%v", i, size, state, err))
			if err != nil || size != n || state != "Synced" {
				ok = false
			}
		}
		if ok {
			return nil
		}
		last = strings.Join(parts, "; ")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("cluster: %d nodes not Synced after %s: %s (logs under %s)", n, limit, last, st.Dir)
}

func waitHTTP(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		var resp *http.Response
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer in %s: %w", url, limit, err)
}

func (st *State) save() error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(st.Dir, "state.json"), b, 0o600)
}

// Load reads the state that Up left in dir.
func Load(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, fmt.Errorf("cluster: no cluster state in %s: %w", dir, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("cluster: %s/state.json: %w", dir, err)
	}
	return &st, nil
}

// Down stops haproxy, the cara processes and the nodes (TERM, then KILL after 20 s), by the
// process ids Up recorded.
func Down(st *State) error {
	if st == nil {
		return nil
	}
	stop := func(pids ...int) {
		for _, p := range pids {
			if p > 0 {
				_ = syscall.Kill(p, syscall.SIGTERM)
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		for _, p := range pids {
			for p > 0 && alive(p) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if p > 0 && alive(p) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	}
	stop(st.HAPID)
	stop(st.CaraPIDs...)
	// Nodes stop last first, so the bootstrap node's state is the newest.
	for i := len(st.NodePIDs) - 1; i >= 0; i-- {
		stop(st.NodePIDs[i])
	}
	return nil
}

// alive says whether pid is a running process (a zombie child counts as stopped).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) < 3 || f[2] != "Z"
}

// The faults the cluster tests make, and the restarts after them.

func (st *State) config() Config {
	return Config{Dir: st.Dir, BasePort: st.BasePort, Nodes: len(st.NodePorts), Caras: len(st.CaraPorts), CaraBin: st.CaraBin}
}

// KillNode kills node i with SIGKILL, as a crash or a pulled plug would, and waits until it is gone.
func (st *State) KillNode(i int) error { return kill(st.NodePIDs[i], syscall.SIGKILL, 10*time.Second) }

// StopNode stops node i cleanly (SIGTERM): it leaves the cluster and records its position, so
// that it can rejoin by IST, or bootstrap the cluster again when it was the last to stop.
func (st *State) StopNode(i int) error { return kill(st.NodePIDs[i], syscall.SIGTERM, 2*time.Minute) }

// StartNode starts node i again after it stopped; bootstrap makes it the first node of a
// cluster started again (the last node that stopped, whose state is the newest). It does not
// wait for it to be Synced (WaitSynced).
func (st *State) StartNode(ctx context.Context, i int, bootstrap bool) error {
	if err := st.config().startNode(ctx, st, i, bootstrap); err != nil {
		return err
	}
	return st.save()
}

// KillCara kills cara process i with SIGKILL and waits until it is gone.
func (st *State) KillCara(i int) error { return kill(st.CaraPIDs[i], syscall.SIGKILL, 10*time.Second) }

// StartCara starts cara process i again and waits until it answers /healthz.
func (st *State) StartCara(ctx context.Context, i int) error {
	if err := st.startCara(st.CaraBin, i); err != nil {
		return err
	}
	if err := st.save(); err != nil {
		return err
	}
	return waitHTTP(ctx, st.CaraURL(i)+"/healthz", time.Minute)
}

// CaraURL is cara process i's own address, past haproxy.
func (st *State) CaraURL(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", st.CaraPorts[i]) }

// Cara runs a cara command (such as audit verify) with the environment of cara process i, on its
// node, with stdin as its input, and returns what it printed.
func (st *State) Cara(ctx context.Context, i int, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, st.CaraBin, args...)
	cmd.Env = st.caraEnv(i, 0)
	cmd.Dir = st.Dir
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("cluster: cara %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// kill sends sig to pid and waits until the process is gone, at most limit.
func kill(pid int, sig syscall.Signal, limit time.Duration) error {
	if pid <= 0 || !alive(pid) {
		return nil
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("cluster: kill %d: %w", pid, err)
	}
	deadline := time.Now().Add(limit)
	for alive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: process %d still running %s after signal %d", pid, limit, sig)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
