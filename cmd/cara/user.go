package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

func cmdUser(ctx context.Context, e env, args []string, stdin io.Reader, stdout io.Writer) error {
	if err := onlyCommand("user", "add", args); err != nil {
		return err
	}
	fs := newFlags("user add")
	username := fs.String("username", "", "login name")
	roleName := fs.String("role", "", "registrar, reviewer or admin")
	var facilities []string
	fs.Func("facility", "a facility `CODE` the user works for (required except for admin); repeat it or separate codes with commas; the first is the home facility",
		func(v string) error {
			for _, code := range strings.Split(v, ",") {
				if code = strings.TrimSpace(code); code != "" && !slices.Contains(facilities, code) {
					facilities = append(facilities, code)
				}
			}
			return nil
		})
	name := fs.String("name", "", "full name shown in cara")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	*username = auth.NormalizeUsername(*username)
	if *username == "" || strings.ContainsAny(*username, " \t") || len(*username) > 64 {
		return badArgs(fs, "--username is required: up to 64 characters, no spaces")
	}
	role, err := auth.ParseRole(*roleName)
	if err != nil {
		return badArgs(fs, "--role: %s", excerpt.Clip(err.Error()))
	}
	if role.NeedsFacility() && len(facilities) == 0 {
		return badArgs(fs, "--facility is required for a %s", role)
	}
	password, err := readPassword(stdin, stdout)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	policy, err := auth.LoadPasswordPolicy(schemas.FS)
	if err != nil {
		return err
	}
	if err := policy.Check(password, *username, role); err != nil {
		return fmt.Errorf("user add: password: %w", err)
	}
	a, err := newApp(ctx, e, "user add", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	s := a.store
	u := &store.User{Username: *username, DisplayName: *name, Role: string(role)}
	var ids []uint
	for _, code := range facilities {
		f, err := a.facility(ctx, code)
		if err != nil {
			return err
		}
		ids = append(ids, f.ID)
	}
	if len(ids) > 0 {
		u.FacilityID = &ids[0]
	}
	if u.PasswordHash, err = auth.HashPassword(password); err != nil {
		return err
	}
	// The user and its user.create event are stored in one transaction.
	if err := s.AddUser(ctx, store.NewUser{User: u, Facilities: ids, Via: "command line"}); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("user add: a user named %s exists already", excerpt.Quote(*username))
		}
		return err
	}
	fmt.Fprintf(stdout, "user %s added (%s)\n", u.Username, role)
	return nil
}

// readPassword asks twice without echo on a terminal; otherwise it reads the first line of stdin.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	var pw string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stdout, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", fmt.Errorf("the two passwords differ")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	return pw, nil
}

func cmdFacility(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if err := onlyCommand("facility", "add", args); err != nil {
		return err
	}
	fs := newFlags("facility add")
	code := fs.String("code", "", "short code, e.g. the facility's registry number: letters, digits, - and _, up to 32")
	name := fs.String("name", "", "the facility's name")
	npi := fs.String("npi", "", "National Provider Identifier (10 digits)")
	idNumber := fs.String("id-number", "", "the facility's number in submission files: Reporting Facility [540], 10 digits")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	f := &store.Facility{Code: *code, Name: *name, NPI: *npi, IDNumber: *idNumber}
	if ps := store.CheckFacility(*f); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = "--" + strings.ReplaceAll(p.Field, "_", "-") + ": " + strings.TrimSuffix(p.Message, ".")
		}
		return badArgs(fs, "%s", strings.Join(msgs, "; "))
	}
	a, err := newApp(ctx, e, "facility add", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.store.CreateFacility(ctx, f); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("facility add: a facility with code %s exists already", excerpt.Quote(*code))
		}
		return err
	}
	fmt.Fprintf(stdout, "facility %s added\n", f.Code)
	return nil
}
