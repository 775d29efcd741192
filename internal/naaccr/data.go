package naaccr

// Patient is one Patient element of a NAACCR XML file: its items (naaccrId → value in the NAACCR
// string form) and its tumors.
type Patient struct {
	Items  map[string]string
	Tumors []Tumor
	// Extensions are the Patient's elements of other namespaces, kept when the reader is asked
	// to (ReaderOptions.KeepExtensions); the writer writes them after the patient's items.
	Extensions []Extension
}

// Tumor is one Tumor element: its items, naaccrId → value.
type Tumor struct {
	Items      map[string]string
	Extensions []Extension // as Patient.Extensions, written after the tumor's items
}

// Extension is an element of another namespace than NAACCR's, which the specification allows
// after the items of NaaccrData, Patient and Tumor, kept as written so that a conversion carries
// it over. XML is the element, start tag to end tag; the reader adds to its start tag the
// namespace declarations it took from its Patient or Tumor, so that it needs only those of the
// NaaccrData element (FileInfo.Namespaces, Header.Namespaces).
type Extension struct {
	XML string
}

// NamespaceDecl is a namespace declaration of the NaaccrData element, xmlns:Prefix="URI".
type NamespaceDecl struct {
	Prefix, URI string
}

// Attribute is an attribute of the NaaccrData element in a namespace of its own (which the
// specification allows), Prefix:Local="Value"; Prefix is declared among the file's Namespaces.
type Attribute struct {
	Prefix, Local, Value string
}
