package store

import (
	"encoding/json"
	"maps"
	"testing"
)

// TestDecodeItemsMatchesJSON checks the fast items decoder of EachPendingPatient against
// encoding/json, on what Items.Value writes and on JSON it does not write itself.
func TestDecodeItemsMatchesJSON(t *testing.T) {
	cases := []string{
		`{}`, ` { } `, `{"a":"1"}`, `{"a":"","b":"x y"}`,
		`{"text":"line\nnext \"quoted\" back\\slash \u00e9 \ud83d\ude00 \u2028"}`,
		"{ \"a\" : \"1\" ,\n \"b\":\"2\" }",
		`{"a":"caf` + "\xc3\xa9" + `"}`,
		`{"a":"bad` + "\xff" + `"}`,
		`{"a":1}`, `{"a":"1",}`, `["a"]`, `{"a":"1"} x`, `{"a":"1"`,
	}
	v, _ := Items{"k\"ey": "v\x01\\", "plain": "ok", "bad": "\xff"}.Value()
	cases = append(cases, v.(string))
	for _, c := range cases {
		var want map[string]string
		wantErr := json.Unmarshal([]byte(c), &want)
		got, err := decodeItems([]byte(c), Items{})
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: error %v, encoding/json %v", c, err, wantErr)
			continue
		}
		if err == nil && !maps.Equal(map[string]string(got), want) {
			t.Errorf("%q: got %q, want %q", c, got, want)
		}
	}
}
