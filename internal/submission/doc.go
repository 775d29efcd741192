// Package submission turns stored cases into NAACCR XML submission files (batches) and checks
// and imports the files a registry receives (intake). One concern a file:
//
// Batches (a facility's approved cases out):
//
//	batch.go          Batcher: Create, the read → edits → write pipeline, held cases
//	batch_formats.go  Formats: the NAACCR versions and record types a batch is written in
//	batch_file.go     the batch file writer (gzip, SHA-256) and FileSHA256
//	export.go         Export: the cases in scope as one NAACCR XML file (cara export)
//
// Intake (a received file in):
//
//	intake.go           Intaker, IntakeStore, Process: one check of an uploaded file
//	intake_judge.go     judge: one patient's edit results as failures and acceptable tumors
//	intake_processor.go processor: the counts, failures and duplicates of one run
//	intake_writer.go    intakeWriter: a run's database work in a goroutine of its own
//	intake_accept.go    Accept, AcceptResult: import the acceptable tumors as received
//	intake_runner.go    Runner: the background jobs, resumed after a crash
//	intake_report.go    WriteReport: the text, CSV and HTML reports
//	import.go           Import: a file's patients stored as cases (cara import)
//	unpack.go           the unpacked-size limit of gzip uploads
package submission
