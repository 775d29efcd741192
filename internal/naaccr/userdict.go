package naaccr

import (
	"fmt"
	"os"
	"strings"
)

// Base dictionary URIs have the form baseURIPrefix + version + baseURISuffix.
const (
	baseURIPrefix = "http://naaccr.org/naaccrxml/naaccr-dictionary-"
	baseURISuffix = ".xml"
)

// IsBase reports whether d is a NAACCR base dictionary: its URI is the base dictionary URI of its
// naaccrVersion. Every other dictionary is a user dictionary, even one that names the NAACCR
// version it goes with (naaccrVersion is optional there, and NAACCR's own default user
// dictionaries carry it).
func (d *Dictionary) IsBase() bool {
	return d.NaaccrVersion != "" && d.URI == BaseDictionaryURI(d.NaaccrVersion)
}

// baseURIVersion returns the version a base dictionary URI names, if uri is one.
func baseURIVersion(uri string) (string, bool) {
	v, ok := strings.CutPrefix(uri, baseURIPrefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(v, baseURISuffix)
}

// checkVersion checks naaccrVersion against the kind of dictionary: a base dictionary URI must
// come with the same naaccrVersion, and a user dictionary of specification 1.0 must name its
// NAACCR version (it became optional in 1.1).
func (d *Dictionary) checkVersion() error {
	if v, ok := baseURIVersion(d.URI); ok {
		if d.NaaccrVersion != v {
			return fmt.Errorf("a base dictionary URI for version %s needs naaccrVersion %q, got %q", clip(v), clip(v), clip(d.NaaccrVersion))
		}
		return nil
	}
	if d.NaaccrVersion == "" && d.SpecificationVersion == "1.0" {
		return fmt.Errorf("naaccrVersion is required of a user dictionary of specification 1.0")
	}
	return nil
}

// User dictionaries of specifications 1.0 to 1.2 had to number their items in this range; 1.3
// dropped the rule, leaving only that numbers must not clash with the base dictionary's (which
// NewSchema checks).
const (
	minUserNumber = 9500
	maxUserNumber = 99999
)

// checkUserNumber checks the naaccrNum of an item of a user dictionary of the given
// specification version.
func checkUserNumber(spec string, n int) error {
	if spec >= "1.3" { // versions are "1.0" to "1.8": string order is version order
		return nil
	}
	if n < minUserNumber || n > maxUserNumber {
		return fmt.Errorf("naaccrNum %d is outside %d-%d, the range for user dictionaries of specification %s",
			n, minUserNumber, maxUserNumber, spec)
	}
	return nil
}

// LoadDictionaryFile reads and checks a dictionary file, typically a registry's user
// dictionary. Combine it with a base dictionary through NewSchema (or a Registry), which rejects
// items that redefine an id or number already taken.
func LoadDictionaryFile(path string) (*Dictionary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("naaccr: load dictionary: %w", err)
	}
	defer f.Close()
	d, err := ParseDictionary(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return d, nil
}
