package views

import "embed"

// Static holds the CSS and JavaScript served under /static/. vendor/htmx.min.js is copied there
// by `make` from the Go module cache and is not committed.
//
//go:embed static
var Static embed.FS
