package naaccr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// userDictXML is a user dictionary document with the given specification version and items.
func userDictXML(spec, items string) string {
	return `<?xml version="1.0"?>
<NaaccrDictionary xmlns="` + Namespace + `" dictionaryUri="http://example.org/user-dictionary.xml" specificationVersion="` + spec + `">
  <ItemDefs>` + items + `</ItemDefs>
</NaaccrDictionary>`
}

// itemXML is one item definition with the given extra attributes.
func itemXML(id, num, attrs string) string {
	return `<ItemDef naaccrId="` + id + `" naaccrNum="` + num + `" length="5" parentXmlElement="Tumor" ` + attrs + `/>`
}

func TestParseDictionaryRejectsWhatTheSpecificationForbids(t *testing.T) {
	const uri = "http://example.org/user-dictionary.xml"
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{
			name: "naaccrId starting with a digit",
			doc:  userDictXML("1.8", itemXML("1stItem", "10001", "")),
			want: []string{uri, `"1stItem"`, "must be a letter followed by letters and digits"},
		},
		{
			name: "naaccrId with an underscore",
			doc:  userDictXML("1.8", itemXML("my_item", "10001", "")),
			want: []string{uri, `"my_item"`, "letters and digits"},
		},
		{
			name: "naaccrId of 51 characters",
			doc:  userDictXML("1.8", itemXML("a"+strings.Repeat("b", 50), "10001", "")),
			want: []string{uri, "has 51 characters, at most 50"},
		},
		{
			name: "naaccrNum not a number",
			doc:  userDictXML("1.8", itemXML("myItem", "ten", "")),
			want: []string{uri, `"myItem"`, `naaccrNum must be a positive number, got "ten"`},
		},
		{
			name: "unknown specificationVersion",
			doc:  userDictXML("2.0", itemXML("myItem", "10001", "")),
			want: []string{uri, `specificationVersion "2.0" is not one of 1.0 to 1.8`},
		},
		{
			name: "unknown padding",
			doc:  userDictXML("1.8", itemXML("myItem", "10001", `padding="middle"`)),
			want: []string{uri, `"myItem"`, `unknown padding "middle"`},
		},
		{
			name: "unknown trim",
			doc:  userDictXML("1.8", itemXML("myItem", "10001", `trim="some"`)),
			want: []string{uri, `"myItem"`, `unknown trim "some"`},
		},
		{
			name: "allowUnlimitedText not a boolean",
			doc:  userDictXML("1.8", itemXML("myItem", "10001", `allowUnlimitedText="yes"`)),
			want: []string{uri, `"myItem"`, `allowUnlimitedText must be true or false, got "yes"`},
		},
		{
			name: "user naaccrNum below 9500 in specification 1.2",
			doc:  userDictXML("1.2", itemXML("myItem", "400", "")),
			want: []string{uri, `"myItem"`, "naaccrNum 400 is outside 9500-99999", "specification 1.2"},
		},
		{
			name: "user naaccrNum above 99999 in specification 1.0",
			doc: strings.Replace(userDictXML("1.0", itemXML("myItem", "100000", "")),
				`specificationVersion="1.0"`, `specificationVersion="1.0" naaccrVersion="160"`, 1),
			want: []string{uri, "naaccrNum 100000 is outside 9500-99999"},
		},
		{
			name: "user dictionary of specification 1.0 without naaccrVersion",
			doc:  userDictXML("1.0", itemXML("myItem", "10001", "")),
			want: []string{uri, "naaccrVersion is required of a user dictionary of specification 1.0"},
		},
		{
			name: "base dictionary URI without naaccrVersion",
			doc: strings.Replace(userDictXML("1.8", itemXML("myItem", "10001", "")),
				uri, BaseDictionaryURI("260"), 1),
			want: []string{BaseDictionaryURI("260"), `needs naaccrVersion "260", got ""`},
		},
		{
			name: "base dictionary URI with another naaccrVersion",
			doc: strings.Replace(userDictXML("1.8", itemXML("myItem", "10001", "")),
				`dictionaryUri="`+uri+`"`, `dictionaryUri="`+BaseDictionaryURI("260")+`" naaccrVersion="250"`, 1),
			want: []string{BaseDictionaryURI("260"), `needs naaccrVersion "260", got "250"`},
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

func TestParseDictionaryAcceptsOptionalAttributesOfTheSpecification(t *testing.T) {
	longID := "a" + strings.Repeat("B", MaxIDLength-1)
	d, err := ParseDictionary(strings.NewReader(userDictXML("1.8",
		itemXML("textItem", "10001", `allowUnlimitedText="true" startColumn="2340" padding="none" trim="none"`)+
			itemXML("codeItem", "10002", `allowUnlimitedText="0" padding="leftZero" sourceOfStandard="KCR"`)+
			itemXML(longID, "400", `padding="rightBlank"`))))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := d.Item("textItem")
	code, _ := d.Item("codeItem")
	long, _ := d.Item(longID)
	if text == nil || !text.AllowUnlimitedText || text.Padding != "" || text.Trim != "none" {
		t.Errorf("textItem = %+v, want unlimited text, no padding, trim none", text)
	}
	if code == nil || code.AllowUnlimitedText || code.Padding != "leftZero" || code.Trim != "all" {
		t.Errorf("codeItem = %+v, want limited text, padding leftZero, trim all", code)
	}
	if long == nil || long.Padding != "rightBlank" {
		t.Errorf("item with a 50-character id = %+v", long)
	}
	if d.IsBase() {
		t.Error("a user dictionary reports IsBase")
	}
}

func TestParseDictionaryDefaultsSpecificationVersionTo10(t *testing.T) {
	doc := strings.Replace(userDictXML("1.0", itemXML("myItem", "10001", "")), `specificationVersion="1.0"`, `naaccrVersion="160"`, 1)
	d, err := ParseDictionary(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if d.SpecificationVersion != "1.0" {
		t.Errorf("specification version %q, want 1.0", d.SpecificationVersion)
	}
}

func TestIsBaseTellsBaseFromUserDictionaries(t *testing.T) {
	base := loadDict260(t)
	user := loadExampleUserDictionary(t)
	versioned, err := ParseDictionary(strings.NewReader(dictXML(Namespace, itemXML("myItem", "10001", ""))))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    *Dictionary
		want bool
	}{
		{name: "base 260", d: base, want: true},
		{name: "example user dictionary", d: user, want: false},
		{name: "user dictionary with a naaccrVersion", d: versioned, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.IsBase(); got != tt.want {
				t.Errorf("IsBase() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExampleUserDictionaryCombinesWithBase260(t *testing.T) {
	user := loadExampleUserDictionary(t)
	s, err := NewSchema(loadDict260(t), user)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id     string
		parent Parent
	}{{"myVariable1", ParentTumor}, {"myVariable2", ParentPatient}, {"myVariable3", ParentRoot}, {"primarySite", ParentTumor}} {
		it, ok := s.Item(tt.id)
		if !ok || it.Parent != tt.parent {
			t.Errorf("Item(%q) = %+v, %v; want an item at %s", tt.id, it, ok, tt.parent)
		}
	}
	if it, _ := s.Item("myVariable6"); it == nil || !it.AllowUnlimitedText {
		t.Errorf("myVariable6 = %+v, want allowUnlimitedText", it)
	}
	if user.SpecificationVersion != "1.2" || user.NaaccrVersion != "" {
		t.Errorf("specification %q, naaccrVersion %q; want 1.2 and none", user.SpecificationVersion, user.NaaccrVersion)
	}
}

func TestNewSchemaRejectsUserItemsRedefiningBaseItems(t *testing.T) {
	tests := []struct {
		name string
		item string
		want []string
	}{
		{name: "naaccrId of a base item", item: itemXML("primarySite", "10001", ""), want: []string{`"primarySite"`, "already defined"}},
		{name: "naaccrNum of a base item", item: itemXML("mySite", "400", ""), want: []string{`"mySite"`, "naaccrNum 400", `"primarySite"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, err := ParseDictionary(strings.NewReader(userDictXML("1.8", tt.item)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewSchema(loadDict260(t), user)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, "http://example.org/user-dictionary.xml") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadDictionaryFileNamesTheFileInErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad-dictionary.xml")
	if err := os.WriteFile(bad, []byte(userDictXML("1.8", itemXML("my_item", "10001", ""))), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{name: "missing file", path: filepath.Join(dir, "none.xml"), want: []string{"none.xml"}},
		{name: "invalid dictionary", path: bad, want: []string{bad, `"my_item"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDictionaryFile(tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func loadExampleUserDictionary(t *testing.T) *Dictionary {
	t.Helper()
	d, err := LoadDictionaryFile("../../schemas/dictionaries/example-user-dictionary.xml")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
