// Package migrations embeds the SQL migrations of cara, one folder per database dialect. Both
// folders carry the same version numbers; a test checks that they build the same schema.
package migrations

import "embed"

// FS holds mysql/*.sql and sqlite/*.sql.
//
//go:embed mysql/*.sql sqlite/*.sql
var FS embed.FS
