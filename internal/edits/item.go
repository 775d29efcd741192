package edits

// CheckItem runs the field checks of one item's value (length, data type, code list) as
// Runner.Patient runs them on every item of a record: nil when the value passes, is blank, or the
// item has no field rule. It reads the rules prepared once for the set, so it is cheap and safe
// for concurrent use.
func (s *Set) CheckItem(id, value string) *Result {
	ref, ok := s.itemIndex[id]
	if !ok || ref.rule < 0 || value == "" {
		return nil
	}
	fr := &s.rules[ref.rule]
	if rule := fr.broken(value); rule != "" {
		return fr.result(value, rule)
	}
	return nil
}
