package naaccr

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
)

// Schema is the set of item definitions one file uses: its base dictionary and the user
// dictionaries it names. Readers and writers look items up here.
type Schema struct {
	Base  *Dictionary
	User  []*Dictionary
	items map[string]schemaItem
	order []*ItemDef
	// slots finds an item by the bytes of its naaccrId faster than the map: an open-addressing
	// table (a power of two, at least four times the items) of indexes into order, plus one, by
	// idHash, of the items whose naaccrId is a plainID (all of the base dictionaries').
	slots []idSlot
	// entries are the schemaItems by position in order, and ids their naaccrIds.
	entries []schemaItem
	ids     []string
}

// idSlot is a slot of Schema.slots: the idHash of an item's naaccrId (most misses end there) and
// its position in order, plus one (0 for an empty slot).
type idSlot struct {
	hash uint32
	pos  uint16
}

// idHash mixes a naaccrId's length with its first and last eight bytes: cheap, and enough to
// tell the items of a dictionary apart in the slot table (which compares the whole id anyway).
func idHash(id []byte) uint32 {
	n := len(id)
	var a, b uint64
	if n >= 8 {
		a, b = binary.LittleEndian.Uint64(id), binary.LittleEndian.Uint64(id[n-8:])
	} else {
		for i := 0; i < n; i++ {
			a |= uint64(id[i]) << (8 * i)
		}
	}
	// splitmix64's finaliser over the three.
	h := a ^ (b * 0x9E3779B97F4A7C15) ^ uint64(n)<<56
	h = (h ^ h>>30) * 0xBF58476D1CE4E5B9
	h = (h ^ h>>27) * 0x94D049BB133111EB
	return uint32(h ^ h>>31)
}

// buildSlots fills the slot table from order.
func (s *Schema) buildSlots() {
	n := 64
	for n < 4*len(s.order) {
		n *= 2
	}
	s.slots = make([]idSlot, n)
	s.entries = make([]schemaItem, len(s.order))
	s.ids = make([]string, len(s.order))
	for i, def := range s.order {
		s.entries[i], s.ids[i] = s.items[def.ID], def.ID
		if !plainID([]byte(def.ID)) {
			continue // read through the map (see lookupPlain)
		}
		h := idHash([]byte(def.ID))
		for k := h & uint32(n-1); ; k = (k + 1) & uint32(n-1) {
			if s.slots[k].pos == 0 {
				s.slots[k] = idSlot{hash: h, pos: uint16(i + 1)}
				break
			}
		}
	}
}

// lookupPlain finds an item whose naaccrId is a plainID by the bytes of its id; the slot table
// holds only those.
func (s *Schema) lookupPlain(id []byte) (schemaItem, bool) {
	mask := uint32(len(s.slots) - 1)
	h := idHash(id)
	for k := h & mask; ; k = (k + 1) & mask {
		sl := s.slots[k]
		if sl.pos == 0 {
			return schemaItem{}, false
		}
		if sl.hash == h && s.ids[sl.pos-1] == string(id) {
			return s.entries[sl.pos-1], true
		}
	}
}

// schemaItem is an item with its position in the schema, which readers use to track the items
// of a record in a bit set.
type schemaItem struct {
	def *ItemDef
	pos int
	// types has a bit per record type that carries the item (see recordTypeBit), so that the
	// reader checks an item's record type without comparing strings.
	types uint8
}

// recordTypeBit is the bit of a record type in schemaItem.types; 0 for an unknown one.
func recordTypeBit(rt string) uint8 {
	switch rt {
	case "A":
		return 1
	case "M":
		return 2
	case "C":
		return 4
	case "I":
		return 8
	}
	return 0
}

func newSchemaItem(def *ItemDef, pos int) schemaItem {
	si := schemaItem{def: def, pos: pos}
	if len(def.RecordTypes) == 0 {
		si.types = 0xF // no recordTypes: every record type (see ItemDef.InRecordType)
	}
	for _, rt := range def.RecordTypes {
		si.types |= recordTypeBit(rt)
	}
	return si
}

// NewSchema combines a base dictionary with user dictionaries. A user item whose naaccrId or
// naaccrNum is already taken (by the base dictionary or an earlier user dictionary) is an error.
func NewSchema(base *Dictionary, user ...*Dictionary) (*Schema, error) {
	s := &Schema{Base: base, User: user, items: make(map[string]schemaItem, len(base.Items))}
	numbers := make(map[int]string, len(base.Items))
	for _, it := range base.Items {
		s.items[it.ID] = newSchemaItem(it, len(s.order))
		numbers[it.Number] = it.ID
		s.order = append(s.order, it)
	}
	for _, u := range user {
		for _, it := range u.Items {
			if _, dup := s.items[it.ID]; dup {
				return nil, fmt.Errorf("naaccr: user dictionary %s: item %q is already defined by another dictionary", clip(u.URI), it.ID)
			}
			if other, dup := numbers[it.Number]; dup {
				return nil, fmt.Errorf("naaccr: user dictionary %s: item %q uses naaccrNum %d of item %q", clip(u.URI), it.ID, it.Number, other)
			}
			s.items[it.ID] = newSchemaItem(it, len(s.order))
			numbers[it.Number] = it.ID
			s.order = append(s.order, it)
		}
	}
	if len(s.order) >= 1<<16-1 {
		return nil, fmt.Errorf("naaccr: %d items are more than a schema holds", len(s.order))
	}
	s.buildSlots()
	return s, nil
}

// Item returns the definition of an item.
func (s *Schema) Item(id string) (*ItemDef, bool) {
	it, ok := s.items[id]
	return it.def, ok
}

// Items returns every item: the base dictionary's in its order, then each user dictionary's.
func (s *Schema) Items() []*ItemDef { return s.order }

// Registry knows dictionaries by URI: the base dictionaries and any user dictionaries loaded.
type Registry struct {
	byURI map[string]*Dictionary
}

// NewRegistry makes a registry of the given dictionaries.
func NewRegistry(ds ...*Dictionary) (*Registry, error) {
	r := &Registry{byURI: map[string]*Dictionary{}}
	for _, d := range ds {
		if err := r.Add(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// BaseVersions are the NAACCR versions whose base dictionaries cara embeds.
var BaseVersions = []string{"240", "250", "260"}

// LoadRegistry loads every embedded base dictionary from fsys (the schemas file system).
func LoadRegistry(fsys fs.FS) (*Registry, error) {
	r := &Registry{byURI: map[string]*Dictionary{}}
	for _, v := range BaseVersions {
		d, err := LoadBaseDictionary(fsys, v)
		if err != nil {
			return nil, err
		}
		if err := r.Add(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Add registers a dictionary under its URI; a URI registered twice is an error.
func (r *Registry) Add(d *Dictionary) error {
	if _, dup := r.byURI[d.URI]; dup {
		return fmt.Errorf("naaccr: dictionary %s is loaded twice", clip(d.URI))
	}
	r.byURI[d.URI] = d
	return nil
}

// Lookup finds a dictionary by URI.
func (r *Registry) Lookup(uri string) (*Dictionary, bool) {
	d, ok := r.byURI[uri]
	return d, ok
}

// Schema builds the schema of a file from its baseDictionaryUri and userDictionaryUri attribute
// values (the latter a space-separated list, possibly empty).
func (r *Registry) Schema(baseURI, userURIs string) (*Schema, error) {
	base, ok := r.Lookup(baseURI)
	if !ok {
		return nil, fmt.Errorf("naaccr: unknown base dictionary %q", clip(baseURI))
	}
	var users []*Dictionary
	for _, u := range strings.Fields(userURIs) {
		d, ok := r.Lookup(u)
		if !ok {
			return nil, fmt.Errorf("naaccr: unknown user dictionary %q (load it with the file's dictionaries)", clip(u))
		}
		if d == base {
			continue
		}
		users = append(users, d)
	}
	return NewSchema(base, users...)
}
