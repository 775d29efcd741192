package submission

import (
	"fmt"
	"io/fs"

	"github.com/cara-registry/cara/internal/naaccr"
)

// Formats are the NAACCR versions a batch can be written in: the stored version (260) and the
// older ones a registry may still take, with the translators to them.
type Formats struct {
	stored      *naaccr.Dictionary
	targets     map[string]*naaccr.Dictionary
	translators map[string]*naaccr.Translator
}

// BatchVersions are the versions offered for a batch, newest (the default) first.
var BatchVersions = []string{"260", "250"}

// LoadFormats loads the base dictionaries of BatchVersions and the translation rules from the
// schemas file system.
func LoadFormats(fsys fs.FS) (*Formats, error) {
	reg, err := naaccr.LoadRegistry(fsys)
	if err != nil {
		return nil, fmt.Errorf("submission: formats: %w", err)
	}
	stored, ok := reg.Lookup(naaccr.BaseDictionaryURI(naaccr.CurrentVersion))
	if !ok {
		return nil, fmt.Errorf("submission: formats: no dictionary of version %s", naaccr.CurrentVersion)
	}
	rules, err := naaccr.LoadTranslations(fsys)
	if err != nil {
		return nil, fmt.Errorf("submission: formats: %w", err)
	}
	from, err := naaccr.NewSchema(stored)
	if err != nil {
		return nil, fmt.Errorf("submission: formats: %w", err)
	}
	f := &Formats{stored: stored, targets: map[string]*naaccr.Dictionary{}, translators: map[string]*naaccr.Translator{}}
	for _, v := range BatchVersions {
		d, ok := reg.Lookup(naaccr.BaseDictionaryURI(v))
		if !ok {
			return nil, fmt.Errorf("submission: formats: no dictionary of version %s", v)
		}
		f.targets[v] = d
		if d == stored {
			continue
		}
		to, err := naaccr.NewSchema(d)
		if err != nil {
			return nil, fmt.Errorf("submission: formats: %w", err)
		}
		if f.translators[v], err = rules.NewTranslator(from, to); err != nil {
			return nil, fmt.Errorf("submission: formats: translate to %s: %w", v, err)
		}
	}
	return f, nil
}

// RecordTypes are the NAACCR record types a batch may be written as: A (everything), then
// I (incidence), C (confidential) and M (modified), which carry only their own items.
var RecordTypes = []string{"A", "I", "C", "M"}
