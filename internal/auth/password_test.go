package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/cara-registry/cara/schemas"
)

// cheap are argon2id costs that keep the tests fast; the format and the checks are the same.
var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1}

func TestPasswordPolicyNamesTheRuleBroken(t *testing.T) {
	t.Parallel()
	p, err := LoadPasswordPolicy(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, password, username string
		role                     Role
		want                     string // the rule broken, "" for none
	}{
		{"eight characters for a registrar", "gq7-vexo", "rita", RoleRegistrar, ""},
		{"seven characters", "gq7-vex", "rita", RoleRegistrar, RuleTooShort},
		{"seven characters counted as code points", "ééééééé", "rita", RoleRegistrar, RuleTooShort},
		{"eight multi-byte characters", "éàüöñçßø", "rita", RoleRegistrar, ""},
		{"eleven characters for an administrator", "gq7-vexo-lu", "ada", RoleAdmin, RuleTooShort},
		{"twelve characters for an administrator", "gq7-vexo-lum", "ada", RoleAdmin, ""},
		{"a 64-character pass phrase", strings.Repeat("tall oak by ", 5) + "rive", "rita", RoleRegistrar, ""},
		{"256 characters", strings.Repeat("k3-", 85) + "x", "rita", RoleRegistrar, ""},
		{"257 characters", strings.Repeat("k3-", 85) + "xy", "rita", RoleRegistrar, RuleTooLong},
		{"password", "password", "rita", RoleRegistrar, RuleCommon},
		{"12345678", "12345678", "rita", RoleRegistrar, RuleCommon},
		{"common, other case", "PassWord123", "rita", RoleRegistrar, RuleCommon},
		{"common for an administrator", "Qwerty123456", "ada", RoleAdmin, RuleCommon},
		{"the username", "rita.alder", "Rita.Alder", RoleRegistrar, RuleUsername},
		{"the username in capitals", "RITA.ALDER", "rita.alder", RoleRegistrar, RuleUsername},
		{"contains the username", "my-rita.alder-1", "rita.alder", RoleRegistrar, RuleUsername},
		{"contains a short username", "al-gq7-vexo", "al", RoleRegistrar, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.password, tt.username, tt.role)
			var pe *PasswordError
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check(%q) = %v, want accepted", tt.password, err)
			case tt.want != "" && !errors.As(err, &pe):
				t.Errorf("Check(%q) = %v, want rule %s", tt.password, err, tt.want)
			case tt.want != "" && pe.Rule != tt.want:
				t.Errorf("Check(%q): rule %s (%s), want %s", tt.password, pe.Rule, pe.Message, tt.want)
			case tt.want != "" && pe.Message == "":
				t.Errorf("Check(%q): rule %s without a message", tt.password, pe.Rule)
			}
		})
	}
}

func TestCommonPasswordsListHasThousands(t *testing.T) {
	p, err := LoadPasswordPolicy(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.common) < 2000 {
		t.Errorf("%d common passwords, want a few thousand", len(p.common))
	}
}

func TestArgon2idHashVerifiesOnlyItsPassword(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a long pass phrase ", 14) // 266 bytes: bcrypt refused over 72
	for _, pw := range []string{"correct horse", long} {
		hash, err := h.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash %q is not a PHC argon2id string with its costs", hash)
		}
		if err := CheckPassword(hash, pw); err != nil {
			t.Errorf("CheckPassword(%.20q…) = %v, want nil", pw, err)
		}
		for _, wrong := range []string{pw + "x", pw[:len(pw)-1], ""} {
			if err := CheckPassword(hash, wrong); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("CheckPassword(%.20q…) = %v, want ErrWrongPassword", wrong, err)
			}
		}
		if h.NeedsRehash(hash) {
			t.Errorf("a hash of the hasher's own costs needs a rehash")
		}
	}
	other, err := NewHasher(Argon2Params{Memory: 128, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := h.Hash("x")
	if !other.NeedsRehash(hash) {
		t.Errorf("a hash of other costs does not need a rehash")
	}
}

func TestCheckPasswordStillVerifiesBcrypt(t *testing.T) {
	t.Parallel()
	b, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		password string
		want     error
	}{
		{"correct horse", nil},
		{"correct horsE", ErrWrongPassword},
		{"", ErrWrongPassword},
		{strings.Repeat("x", 100), ErrWrongPassword}, // bcrypt itself would fail on it
	} {
		if err := CheckPassword(string(b), tt.password); !errors.Is(err, tt.want) {
			t.Errorf("CheckPassword(bcrypt, %.20q) = %v, want %v", tt.password, err, tt.want)
		}
	}
	if !h.NeedsRehash(string(b)) {
		t.Error("a bcrypt hash does not need a rehash to argon2id")
	}
}

func TestCheckPasswordRefusesMalformedHashes(t *testing.T) {
	t.Parallel()
	for _, hash := range []string{
		"", "not a hash", "$argon2id$", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", // 95 GiB
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if err := CheckPassword(hash, "x"); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("CheckPassword(%q) = %v, want ErrWrongPassword", hash, err)
		}
	}
}

func TestHashPasswordSaltsEachHash(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.Hash("same password")
	b, _ := h.Hash("same password")
	if a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
}

func TestHashPasswordUsesDefaultCosts(t *testing.T) {
	t.Parallel()
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not argon2id at the default costs", hash)
	}
	if err := CheckPassword(hash, "correct horse"); err != nil {
		t.Error(err)
	}
}
