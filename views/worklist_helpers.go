package views

// ariaSort is a column heading's aria-sort: how the list is sorted by it, if it is.
func ariaSort(c SortLink) string {
	switch {
	case !c.Active:
		return "none"
	case c.Desc:
		return "descending"
	}
	return "ascending"
}

// seqShown is a sequence number as a link's text: never empty, so the link can be followed.
func seqShown(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
