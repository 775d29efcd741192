package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cara-registry/cara/internal/excerpt"
)

// errUsage marks a mistake in the command line: the exit status is 2, after the usage.
var errUsage = errors.New("usage")

// usageError is a refused command line. name is the command refused ("naaccr convert", or a
// group such as "naaccr"), fs its flags when it has a flag set: cli prints that command's usage
// after the message.
type usageError struct {
	name string
	fs   *flag.FlagSet
	msg  string
}

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

// helpRequest is -h or --help: run prints the command's usage to stdout and succeeds.
type helpRequest struct {
	name string
	fs   *flag.FlagSet
}

func (h *helpRequest) Error() string { return h.name + ": help requested" }

// newFlags is a command's flag set; the flag package prints nothing itself (parseFlags and cli
// say what went wrong, and print the usage once).
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's flags and refuses stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badArgs(fs, "unexpected argument %s", excerpt.Quote(fs.Arg(0)))
	}
	return nil
}

// parseFlagsArgs parses a command's flags and leaves its arguments (fs.Args) to the command.
func parseFlagsArgs(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return &helpRequest{name: fs.Name(), fs: fs}
	}
	if err != nil {
		return badArgs(fs, "%s", flagProblem(err))
	}
	return nil
}

// badArgs refuses a command line: the message starts with the command's name and should name
// the flag or argument and the reason.
func badArgs(fs *flag.FlagSet, format string, a ...any) error {
	return &usageError{name: fs.Name(), fs: fs, msg: fs.Name() + ": " + fmt.Sprintf(format, a...)}
}

// badGroupArgs refuses a command line that names no known command of a group (cara naaccr
// frobnicate); the usage printed is the group's.
func badGroupArgs(group, format string, a ...any) error {
	return &usageError{name: group, msg: group + ": " + fmt.Sprintf(format, a...)}
}

// onlyCommand checks the first argument of a group that has one command (cara user add): help
// for the group, or a refusal when it is not that command.
func onlyCommand(group, cmd string, args []string) error {
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help"):
		return &helpRequest{name: group}
	case len(args) == 0 || args[0] != cmd:
		return badGroupArgs(group, "say what to do, e.g. `cara %s %s`", group, cmd)
	}
	return nil
}

// flagProblem is the flag package's error, shortened: it quotes a bad value or an unknown flag
// whole, and an argument can be 128 KB long.
func flagProblem(err error) string { return excerpt.Clip(err.Error()) }

// printUsage prints the usage of command name (its lines of the overall usage, so that the two
// cannot differ) and its flags; a name the overall usage does not list gets the whole usage.
func printUsage(w io.Writer, name string, fs *flag.FlagSet) {
	lines := synopsis(name)
	if lines == "" {
		fmt.Fprint(w, usage)
		return
	}
	fmt.Fprintf(w, "Usage:\n%s", lines)
	if fs == nil {
		return
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nFlags:")
			first = false
		}
		// Written --name, as the usage and the README write flags (the flag package takes both).
		name, text := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(w, "  --%s%s\n        %s", f.Name, name, text)
		switch f.DefValue {
		case "", "0", "false":
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// synopsis is the entries of the overall usage for command name ("edits run", or a group such as
// "naaccr"): each line that starts "  cara NAME" and the indented lines that follow it.
func synopsis(name string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(usage, "\n") {
		switch {
		case strings.HasPrefix(l, "  cara "):
			rest, ok := strings.CutPrefix(l, "  cara "+name)
			in = ok && (rest == "" || rest[0] == ' ')
		case !strings.HasPrefix(l, "   "):
			in = false
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
