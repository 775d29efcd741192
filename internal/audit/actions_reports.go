package audit

// The registry reports' actions (internal/reports, the Reports page). Running a report shows
// counts that name no patient and is not recorded; a download is a file that leaves cara.
const (
	ReportDownload = "report.download" // a report downloaded as CSV or XLSX (its parameters, rows)
)
