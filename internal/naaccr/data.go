package naaccr

// Patient is one Patient element of a NAACCR XML file: its items (naaccrId → value in the NAACCR
// string form) and its tumors.
type Patient struct {
	Items  map[string]string
	Tumors []Tumor
}

// Tumor is one Tumor element: its items, naaccrId → value.
type Tumor struct {
	Items map[string]string
}
