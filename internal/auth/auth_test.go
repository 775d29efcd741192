package auth

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewTokenIsUniqueAndURLSafe(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 {
			t.Errorf("token %q has %d characters, want 43 (32 bytes, unpadded base64)", tok, len(tok))
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not URL-safe", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q was made twice", tok)
		}
		seen[tok] = true
	}
}

func TestHashTokenIsDeterministicHexSHA256(t *testing.T) {
	h := HashToken("abc")
	// SHA-256 of "abc" (FIPS 180-2 test vector).
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; h != want {
		t.Errorf("HashToken(abc) = %s, want %s", h, want)
	}
	if HashToken("abc") != h {
		t.Error("HashToken is not deterministic")
	}
	if HashToken("abd") == h {
		t.Error("two tokens have one hash")
	}
	if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
		t.Errorf("hash %q is not 64 hex digits", h)
	}
}

func TestTokensEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same token", "tok123", "tok123", true},
		{"different tokens", "tok123", "tok124", false},
		{"prefix", "tok", "tok123", false},
		{"both empty", "", "", false},
		{"empty and not", "", "tok", false},
		{"not and empty", "tok", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TokensEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("TokensEqual(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	tests := []struct {
		in           string
		want         Role
		wantErr      bool
		needFacility bool
	}{
		{"registrar", RoleRegistrar, false, true},
		{"reviewer", RoleReviewer, false, true},
		{"admin", RoleAdmin, false, false},
		{"Admin", "", true, false},
		{" admin", "", true, false},
		{"", "", true, false},
		{"boss", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRole(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseRole(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
					t.Errorf("error %q does not name the role", err)
				}
				return
			}
			if got.NeedsFacility() != tt.needFacility {
				t.Errorf("%s.NeedsFacility() = %v, want %v", got, got.NeedsFacility(), tt.needFacility)
			}
		})
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"  ALICE\t\n", "alice"},
		{"jo.doe", "jo.doe"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeUsername(tt.in); got != tt.want {
			t.Errorf("NormalizeUsername(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
