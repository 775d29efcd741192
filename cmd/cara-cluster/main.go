// Command cara-cluster starts and stops, on loopback ports, a three-node MariaDB Galera cluster,
// three cara serve processes on it and haproxy in front of them (see internal/cluster).
//
//	cara-cluster up     [-dir DIR] [-cara bin/cara] [-port 24000]
//	cara-cluster status [-dir DIR]
//	cara-cluster down   [-dir DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/cara-registry/cara/internal/cluster"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cara-cluster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: cara-cluster up|status|env|down [-dir DIR]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join(os.TempDir(), "cara-cluster"), "state folder: data directories, logs, state.json")
	bin := fs.String("cara", "bin/cara", "the cara binary the serve processes run")
	port := fs.Int("port", 24000, "first port: nodes take port+10*i+0..3, cara port+100+i, haproxy port+200")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch args[0] {
	case "up":
		if _, err := cluster.Load(*dir); err == nil {
			return fmt.Errorf("a cluster is already recorded in %s: run down first", *dir)
		}
		abs, err := filepath.Abs(*bin)
		if err != nil {
			return err
		}
		st, err := cluster.Up(ctx, cluster.Config{Dir: *dir, BasePort: *port, CaraBin: abs})
		if err != nil {
			return err
		}
		fmt.Printf("cluster up: haproxy %s, nodes on ports %v, cara on %v, state in %s\n", st.URL(), st.NodePorts, st.CaraPorts, st.Dir)
		return nil
	case "status":
		st, err := cluster.Load(*dir)
		if err != nil {
			return err
		}
		for i, ns := range cluster.Status(ctx, st) {
			if ns.Err != nil {
				fmt.Printf("node%d 127.0.0.1:%d down: %v\n", i, ns.Port, ns.Err)
				continue
			}
			fmt.Printf("node%d 127.0.0.1:%d cluster_size=%d state=%s\n", i, ns.Port, ns.ClusterSize, ns.State)
		}
		fmt.Printf("haproxy %s, cara %v\n", st.URL(), st.CaraPorts)
		return nil
	case "env":
		// What a cara command needs to work on the cluster's database as its serve processes
		// do (cara loadtest seeds there), as shell assignments: eval "$(cara-cluster env)".
		st, err := cluster.Load(*dir)
		if err != nil {
			return err
		}
		fmt.Printf("export CARA_DATABASE_URL='mysql://%s' CARA_AUDIT_KEY='%s' CARA_CLUSTER_URL='%s'\n", st.NodeDSN(0, st.Database), st.AuditKey, st.URL())
		return nil
	case "down":
		st, err := cluster.Load(*dir)
		if err != nil {
			return err
		}
		if err := cluster.Down(st); err != nil {
			return err
		}
		// The data directories are throwaway: a next up starts from a new cluster.
		return os.RemoveAll(*dir)
	}
	return fmt.Errorf("unknown subcommand %q: up, status, env or down", args[0])
}
