package auth

import (
	"bufio"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Password lengths, in characters (Unicode code points), after NIST SP 800-63B: at least 8, at
// least 12 for an administrator, whose account opens every facility; up to 256, so that a pass
// phrase or a password manager's output fits.
const (
	MinPasswordLength      = 8
	MinAdminPasswordLength = 12
	MaxPasswordLength      = 256
)

// CommonPasswordsFile is where the list of common and breached passwords is kept in schemas.FS.
const CommonPasswordsFile = "auth/common-passwords.txt"

// The rules a password can break; PasswordError.Rule is one of them.
const (
	RuleTooShort = "too-short"
	RuleTooLong  = "too-long"
	RuleCommon   = "common"
	RuleUsername = "username"
)

// PasswordError says which rule a password breaks, in words for the person choosing it.
type PasswordError struct {
	Rule    string
	Message string
}

func (e *PasswordError) Error() string { return e.Message }

// PasswordPolicy is the one check of every password a person sets: on the account page, by an
// administrator, and with `cara user add`.
type PasswordPolicy struct {
	common map[string]struct{}
}

// LoadPasswordPolicy reads the list of common passwords (CommonPasswordsFile) from fsys.
func LoadPasswordPolicy(fsys fs.FS) (*PasswordPolicy, error) {
	f, err := fsys.Open(CommonPasswordsFile)
	if err != nil {
		return nil, fmt.Errorf("auth: common passwords: %w", err)
	}
	defer f.Close()
	p := &PasswordPolicy{common: map[string]struct{}{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p.common[strings.ToLower(line)] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth: read %s: %w", CommonPasswordsFile, err)
	}
	if len(p.common) == 0 {
		return nil, fmt.Errorf("auth: %s lists no passwords", CommonPasswordsFile)
	}
	return p, nil
}

// minUsernameInPassword is the shortest username a password may not contain; a shorter one
// ("al") is refused only as the whole password, or it would rule out too many good ones.
const minUsernameInPassword = 4

// Check returns a *PasswordError naming the first rule the password breaks for a user of that
// username and role, or nil.
func (p *PasswordPolicy) Check(password, username string, role Role) error {
	n := utf8.RuneCountInString(password)
	minLen, who := MinPasswordLength, ""
	if role == RoleAdmin {
		minLen, who = MinAdminPasswordLength, " for an administrator"
	}
	lower, user := strings.ToLower(password), NormalizeUsername(username)
	switch {
	case n < minLen:
		return &PasswordError{RuleTooShort, "at least " + strconv.Itoa(minLen) + " characters" + who + " (this one has " + strconv.Itoa(n) + ")."}
	case n > MaxPasswordLength:
		return &PasswordError{RuleTooLong, "at most " + strconv.Itoa(MaxPasswordLength) + " characters (this one has " + strconv.Itoa(n) + ")."}
	case user != "" && (lower == user || utf8.RuneCountInString(user) >= minUsernameInPassword && strings.Contains(lower, user)):
		return &PasswordError{RuleUsername, "it must not be or contain the username."}
	}
	if _, ok := p.common[lower]; ok {
		return &PasswordError{RuleCommon, "it is on the list of common or breached passwords; choose one that is harder to guess."}
	}
	return nil
}
