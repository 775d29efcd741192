// Package schemas embeds the data that drives cara: NAACCR dictionaries, form layouts and code
// lists, the list of common passwords, the SEER EOD staging data. Nothing here is code; the files
// are read by internal/naaccr, internal/codes, internal/auth, internal/staging and the forms.
package schemas

import "embed"

// FS holds every data file cara needs at run time, so the binary never reads ../shared.
//
//go:embed auth/*.txt dictionaries/*.xml dictionaries/*.csv forms/*.yaml forms/*.csv codes/*.csv codes/items/*.csv edits/*.yaml edits/tables/*.csv staging/*.zip ehr/*.yaml reports/*.yaml reports/*.csv
var FS embed.FS
