package store

import (
	"sort"
	"strings"
)

func escapeLike(s string) string {
	// "!" is the escape character: unlike a backslash it means the same to SQLite and MySQL.
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(s)
}

func sortChanges(c []ItemChange) {
	sort.Slice(c, func(i, j int) bool {
		if c[i].Level != c[j].Level {
			return c[i].Level < c[j].Level
		}
		return c[i].Item < c[j].Item
	})
}
