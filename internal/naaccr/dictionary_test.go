package naaccr

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestBaseDictionariesLoadWithTheirItemCounts(t *testing.T) {
	// Counts taken from the ItemDef elements of schemas/dictionaries/naaccr-dictionary-*.xml.
	tests := []struct {
		version                  string
		items, root, pat, tumors int
	}{
		{version: "240", items: 783, root: 5, pat: 51, tumors: 727},
		{version: "250", items: 780, root: 5, pat: 49, tumors: 726},
		{version: "260", items: 771, root: 5, pat: 49, tumors: 717},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			d, err := LoadBaseDictionary(os.DirFS("../../schemas"), tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if d.URI != BaseDictionaryURI(tt.version) || d.NaaccrVersion != tt.version {
				t.Errorf("URI %q version %q, want %q and %q", d.URI, d.NaaccrVersion, BaseDictionaryURI(tt.version), tt.version)
			}
			if len(d.Items) != tt.items {
				t.Errorf("%d items, want %d", len(d.Items), tt.items)
			}
			for _, lv := range []struct {
				p    Parent
				want int
			}{{ParentRoot, tt.root}, {ParentPatient, tt.pat}, {ParentTumor, tt.tumors}} {
				if got := len(d.ItemsAt(lv.p)); got != lv.want {
					t.Errorf("%d items at %s, want %d", got, lv.p, lv.want)
				}
			}
		})
	}
}

func TestBaseDictionary260ItemsHaveTheDefinitionsOfTheXML(t *testing.T) {
	d := loadDict260(t)
	tests := []struct {
		id      string
		number  int
		name    string
		length  int
		typ     DataType
		parent  Parent
		padding string
		rts     []string
	}{
		{id: "primarySite", number: 400, name: "Primary Site", length: 4, typ: TypeText, parent: ParentTumor, rts: []string{"A", "M", "C", "I"}},
		{id: "dateOfDiagnosis", number: 390, name: "Date of Diagnosis", length: 8, typ: TypeDate, parent: ParentTumor, rts: []string{"A", "M", "C", "I"}},
		{id: "dateOfBirth", number: 240, name: "Date of Birth", length: 8, typ: TypeDate, parent: ParentPatient, rts: []string{"A", "M", "C", "I"}},
		{id: "race1", number: 160, name: "Race 1", length: 2, typ: TypeDigits, parent: ParentPatient, padding: "leftZero", rts: []string{"A", "M", "C", "I"}},
		{id: "registryId", number: 40, name: "Registry ID", length: 10, typ: TypeDigits, parent: ParentRoot, padding: "leftZero", rts: []string{"A", "M", "C", "I"}},
		{id: "pathDateSpecCollect1", number: 7320, name: "Path Date Spec Collect 1", length: 25, typ: TypeDateTime, parent: ParentTumor, rts: []string{"A", "M"}},
		{id: "nameLast", number: 2230, name: "Name--Last", length: 40, typ: TypeText, parent: ParentPatient, rts: []string{"A", "M", "C"}},
		{id: "addrAtDxState", number: 80, name: "Addr at DX--State", length: 2, typ: TypeAlpha, parent: ParentTumor, rts: []string{"A", "M", "C", "I"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			it, ok := d.Item(tt.id)
			if !ok {
				t.Fatalf("item %s not found", tt.id)
			}
			if it.Number != tt.number || it.Name != tt.name || it.Length != tt.length || it.DataType != tt.typ ||
				it.Parent != tt.parent || it.Padding != tt.padding || it.Trim != "all" {
				t.Errorf("got %+v", *it)
			}
			if !slices.Equal(it.RecordTypes, tt.rts) {
				t.Errorf("record types %v, want %v", it.RecordTypes, tt.rts)
			}
			byNum, ok := d.ItemByNumber(tt.number)
			if !ok || byNum != it {
				t.Errorf("ItemByNumber(%d) = %v, %v; want the same item as Item(%q)", tt.number, byNum, ok, tt.id)
			}
		})
	}
	if _, ok := d.Item("noSuchItem"); ok {
		t.Error(`Item("noSuchItem") found an item`)
	}
}

func TestItemsAtKeepsDictionaryOrder(t *testing.T) {
	d := loadDict260(t)
	var want []string
	for _, it := range d.Items {
		if it.Parent == ParentPatient {
			want = append(want, it.ID)
		}
	}
	var got []string
	for _, it := range d.ItemsAt(ParentPatient) {
		got = append(got, it.ID)
	}
	if len(got) == 0 || !slices.Equal(got, want) {
		t.Errorf("ItemsAt(Patient) = %v, want %v", got, want)
	}
}

// dictXML wraps item definitions in a dictionary document.
func dictXML(ns, items string) string {
	return `<?xml version="1.0"?>
<NaaccrDictionary xmlns="` + ns + `" dictionaryUri="http://example.org/test-dictionary.xml" naaccrVersion="260" specificationVersion="1.8">
  <ItemDefs>` + items + `</ItemDefs>
</NaaccrDictionary>`
}

func TestParseDictionaryRejectsInvalidDocuments(t *testing.T) {
	const good = `<ItemDef naaccrId="itemA" naaccrNum="10001" naaccrName="Item A" length="2" recordTypes="A,M" parentXmlElement="Tumor" dataType="digits"/>`
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{
			name: "duplicate naaccrId",
			doc:  dictXML(Namespace, good+`<ItemDef naaccrId="itemA" naaccrNum="10002" length="1" parentXmlElement="Tumor"/>`),
			want: []string{"duplicate naaccrId", `"itemA"`},
		},
		{
			name: "duplicate naaccrNum",
			doc:  dictXML(Namespace, good+`<ItemDef naaccrId="itemB" naaccrNum="10001" length="1" parentXmlElement="Tumor"/>`),
			want: []string{"naaccrNum 10001", `"itemA"`, `"itemB"`},
		},
		{
			name: "unknown dataType",
			doc:  dictXML(Namespace, `<ItemDef naaccrId="itemA" naaccrNum="10001" length="2" parentXmlElement="Tumor" dataType="float"/>`),
			want: []string{`unknown dataType "float"`, `"itemA"`},
		},
		{
			name: "unknown parentXmlElement",
			doc:  dictXML(Namespace, `<ItemDef naaccrId="itemA" naaccrNum="10001" length="2" parentXmlElement="Tumour"/>`),
			want: []string{`unknown parentXmlElement "Tumour"`, `"itemA"`},
		},
		{
			name: "zero length",
			doc:  dictXML(Namespace, `<ItemDef naaccrId="itemA" naaccrNum="10001" length="0" parentXmlElement="Tumor"/>`),
			want: []string{"length must be a positive number", `"itemA"`},
		},
		{
			name: "missing naaccrNum",
			doc:  dictXML(Namespace, `<ItemDef naaccrId="itemA" length="2" parentXmlElement="Tumor"/>`),
			want: []string{"naaccrNum must be a positive number"},
		},
		{
			name: "unknown record type",
			doc:  dictXML(Namespace, `<ItemDef naaccrId="itemA" naaccrNum="10001" length="2" recordTypes="A,X" parentXmlElement="Tumor"/>`),
			want: []string{`unknown record type "X"`},
		},
		{
			name: "wrong namespace",
			doc:  dictXML("http://example.org/not-naaccr", good),
			want: []string{`namespace "http://example.org/not-naaccr"`, Namespace},
		},
		{
			name: "missing dictionaryUri",
			doc:  strings.Replace(dictXML(Namespace, good), `dictionaryUri="http://example.org/test-dictionary.xml"`, "", 1),
			want: []string{"missing dictionaryUri"},
		},
		{
			name: "not XML",
			doc:  "this is not a dictionary",
			want: []string{"parse dictionary"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDictionary(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("no error; dictionary %+v", d)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseDictionaryDefaultsTypeToTextAndTrimToAll(t *testing.T) {
	d, err := ParseDictionary(strings.NewReader(dictXML(Namespace,
		`<ItemDef naaccrId="itemA" naaccrNum="10001" naaccrName="Item A" length="3" parentXmlElement="Patient"/>`+
			`<ItemDef naaccrId="itemB" naaccrNum="10002" length="3" parentXmlElement="Tumor" trim="none" padding="rightBlank"/>`)))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := d.Item("itemA")
	b, _ := d.Item("itemB")
	if a == nil || a.DataType != TypeText || a.Trim != "all" || len(a.RecordTypes) != 0 {
		t.Errorf("itemA = %+v, want text, trim all, no record types", a)
	}
	if b == nil || b.Trim != "none" || b.Padding != "rightBlank" {
		t.Errorf("itemB = %+v, want trim none, padding rightBlank", b)
	}
	if got := []string{d.Items[0].ID, d.Items[1].ID}; !slices.Equal(got, []string{"itemA", "itemB"}) {
		t.Errorf("items in order %v, want the document's order", got)
	}
}

func TestLoadBaseDictionaryFailsForUnknownVersion(t *testing.T) {
	_, err := LoadBaseDictionary(os.DirFS("../../schemas"), "999")
	if err == nil || !strings.Contains(err.Error(), "999") {
		t.Fatalf("err = %v, want an error naming version 999", err)
	}
}
