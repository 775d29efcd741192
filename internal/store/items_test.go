package store

import (
	"encoding/json"
	"testing"
)

func TestItemsValueIsJSONThatDecodesToTheSameItems(t *testing.T) {
	tests := []Items{
		nil,
		{},
		{"a": "1"},
		{"nameLast": `O"Brien\back`, "text": "line1\nline2\ttab\r\x01", "b": "é ü 中", "u": "\u2028\u2029"},
		{"bad": "\xff\xfe"},
	}
	for _, in := range tests {
		v, err := in.Value()
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]string
		if err := json.Unmarshal([]byte(v.(string)), &out); err != nil {
			t.Fatalf("Value() = %q is not JSON: %v", v, err)
		}
		want, _ := json.Marshal(map[string]string(in))
		if in == nil {
			want = []byte("{}")
		}
		if string(want) != v.(string) {
			t.Errorf("Value() = %s, encoding/json gives %s", v, want)
		}
	}
}

func FuzzItemsValueDecodesLikeEncodingJSON(f *testing.F) {
	f.Add("k", "v")
	f.Add("\x00", "\u2028\xff<>&")
	f.Fuzz(func(t *testing.T, k, v string) {
		in := Items{k: v, "z": v + k}
		got, _ := in.Value()
		var dec map[string]string
		if err := json.Unmarshal([]byte(got.(string)), &dec); err != nil {
			t.Fatalf("Value() = %q is not JSON: %v", got, err)
		}
		// encoding/json's round trip is the reference: it also turns invalid UTF-8 into U+FFFD.
		std, _ := json.Marshal(map[string]string(in))
		var want map[string]string
		json.Unmarshal(std, &want)
		if len(dec) != len(want) || dec[k] != want[k] || dec["z"] != want["z"] {
			t.Fatalf("Value() = %s decodes to %q, want %q", got, dec, want)
		}
	})
}
