package abstract

import (
	"os"
	"testing"
	"testing/fstest"
)

// intersects reports whether some value (blank included) is in both sets.
func (v *valueSet) intersects(w *valueSet) bool {
	if v.any || w.any || (v.blank && w.blank) {
		return true
	}
	for _, a := range v.ranges {
		for _, b := range w.ranges {
			if len(a[0]) == len(b[0]) && max(a[0], b[0]) <= min(a[1], b[1]) {
				return true
			}
		}
	}
	return false
}

// Select relies on no input matching rows of two schemas; a data update must keep it so.
func TestSchemaSelectionTablesDoNotOverlap(t *testing.T) {
	sel, err := LoadSchemaSelector(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sel.names); n != 141 {
		t.Errorf("%d schemas, want the 141 of EOD 3.3", n)
	}
	for _, o := range overlaps(sel) {
		t.Errorf("schemas %s (%s) and %s (%s) share an input", o[0], sel.names[o[0]], o[1], sel.names[o[1]])
	}
}

func TestOverlapsFindsRowsOfTwoSchemasSharingAnInput(t *testing.T) {
	data := "schema_id,schema,name,site,histology,behavior,year_dx,sex_at_birth,discriminator_1,discriminator_2\n" +
		"00001,a,A,C500-C509,8000-8700,*,2018-2022,*,1,*\n" +
		"00002,b,B,C509,8500,*,2022-9998,*,\"1,2\",*\n" + // shares C509/8500/2022/1 with A
		"00003,c,C,C509,8500,*,2023-9998,*,\"1,2\",*\n" + // year apart from A
		"00004,d,D,C509,8500,*,2018-2022,*,\"0,\",*\n" //  discriminator apart from A and B
	sel, err := LoadSchemaSelector(fstest.MapFS{
		SchemaSelectionFile: {Data: []byte(data)},
		topographyFile:      {Data: []byte("code,description\nC509,Breast\n")},
		morphologyFiles[0]:  {Data: []byte("code,behavior,description,category\n8500,3,x,y\n")},
		morphologyFiles[1]:  {Data: []byte("code,behavior,description,category\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := overlaps(sel)
	if len(got) != 2 || got[0] != [2]string{"00001", "00002"} || got[1] != [2]string{"00002", "00003"} {
		t.Errorf("overlaps = %v, want A-B and B-C", got)
	}
}

// overlaps lists the pairs of schemas with rows that some input matches both.
func overlaps(sel *SchemaSelector) [][2]string {
	var out [][2]string
	for i := range sel.rows {
		for j := i + 1; j < len(sel.rows); j++ {
			a, b := &sel.rows[i], &sel.rows[j]
			if a.id == b.id {
				continue
			}
			overlap := true
			for k := range numSchemaKeys {
				if !a.cells[k].intersects(&b.cells[k]) {
					overlap = false
					break
				}
			}
			if overlap {
				out = append(out, [2]string{a.id, b.id})
			}
		}
	}
	return out
}
