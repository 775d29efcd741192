package followup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/go-pdf/fpdf"
	"gopkg.in/yaml.v3"

	"github.com/cara-registry/cara/internal/store"
)

// The recipient kinds of follow-up letters, one template each (schemas/forms/letter-KIND.yaml).
const (
	RecipientPhysician = "physician"
	RecipientPatient   = "patient"
	RecipientHospital  = "hospital"
)

// RecipientKinds are the kinds, in the order their templates are loaded.
var RecipientKinds = []string{RecipientPhysician, RecipientPatient, RecipientHospital}

// Letter is one letter template: who it goes to and its text.
type Letter struct {
	Kind string
	// NextFollowUpSources are the Next Follow-up Source (#1800) codes that send this letter.
	NextFollowUpSources []string
	subject, body       *template.Template
}

type letterFile struct {
	Kind                string   `yaml:"kind"`
	NextFollowUpSources []string `yaml:"nextFollowUpSources"`
	Subject             string   `yaml:"subject"`
	Body                string   `yaml:"body"`
}

// LetterData is what a template is filled with.
type LetterData struct {
	Facility    string
	Date        string // the letter's date, as people read it
	Recipient   string
	Address     []string // the recipient's address lines
	PatientName string
	DateOfBirth string
	MRN         string
	LastContact string
	Tumors      []LetterTumor
}

// LetterTumor is one of the patient's cases a letter asks about.
type LetterTumor struct {
	Site            string
	DateOfDiagnosis string
}

// Letters are the loaded templates by kind.
type Letters map[string]*Letter

// LoadLetters reads the template of each recipient kind from fsys (schemas.FS) and checks it by
// filling it with sample data, so that a template naming an unknown field fails at start-up.
func LoadLetters(fsys fs.FS) (Letters, error) {
	out := Letters{}
	seen := map[string]string{}
	for _, kind := range RecipientKinds {
		name := "forms/letter-" + kind + ".yaml"
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("followup: letters: %w", err)
		}
		var lf letterFile
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&lf); err != nil {
			return nil, fmt.Errorf("followup: %s: %w", name, err)
		}
		if lf.Kind != kind {
			return nil, fmt.Errorf("followup: %s: kind is %q, want %q", name, lf.Kind, kind)
		}
		for _, c := range lf.NextFollowUpSources {
			if other, dup := seen[c]; dup {
				return nil, fmt.Errorf("followup: %s: next follow-up source %s already sends the %s letter", name, c, other)
			}
			seen[c] = kind
		}
		l := &Letter{Kind: kind, NextFollowUpSources: lf.NextFollowUpSources}
		opt := template.New(kind).Option("missingkey=error")
		if l.subject, err = opt.New("subject").Parse(lf.Subject); err != nil {
			return nil, fmt.Errorf("followup: %s: subject: %w", name, err)
		}
		if l.body, err = opt.New("body").Parse(lf.Body); err != nil {
			return nil, fmt.Errorf("followup: %s: body: %w", name, err)
		}
		sample := LetterData{Tumors: []LetterTumor{{}}}
		if _, _, err := l.fill(sample); err != nil {
			return nil, fmt.Errorf("followup: %s: %w", name, err)
		}
		out[kind] = l
	}
	return out, nil
}

func (l *Letter) fill(d LetterData) (subject, body string, err error) {
	var b strings.Builder
	if err := l.subject.Execute(&b, d); err != nil {
		return "", "", err
	}
	subject = b.String()
	b.Reset()
	if err := l.body.Execute(&b, d); err != nil {
		return "", "", err
	}
	return subject, b.String(), nil
}

// kindFor is the letter a next follow-up source sends ("" for none: a chart requisition or a
// phone call is not a letter).
func (ls Letters) kindFor(next string) string {
	for _, kind := range RecipientKinds {
		if l := ls[kind]; l != nil && slices.Contains(l.NextFollowUpSources, next) {
			return kind
		}
	}
	return ""
}

// LetterQuery is a month's letters of a facility.
type LetterQuery struct {
	Scope    store.Scope
	Facility *store.Facility
	Month    string // CCYYMM: the cases falling due that month
}

// LetterRun is what a printing did.
type LetterRun struct {
	Letters  int   // letters printed (one a patient and recipient)
	Cases    int   // cases they ask about
	NoLetter []Due // cases due whose next follow-up source sends no letter
}

// PrintLetters prints the letters of a month's due list as one PDF, one letter a page (a patient's
// cases due that month share one letter to each recipient), records them sent and writes the PDF
// to w. Nothing is recorded when the PDF cannot be made.
func (s *Service) PrintLetters(ctx context.Context, a Actor, ls Letters, q LetterQuery, w io.Writer) (*LetterRun, error) {
	if q.Month == "" {
		return nil, fmt.Errorf("%w: letters need the month due (CCYYMM)", ErrBadQuery)
	}
	var due []Due
	dq := DueQuery{Scope: q.Scope, Month: q.Month, Limit: 5000}
	for {
		list, err := s.Due(ctx, a, dq)
		if err != nil {
			return nil, err
		}
		due = append(due, list.Rows...)
		if len(list.Rows) == 0 || int64(len(due)) >= list.Total {
			break
		}
		dq.Offset = len(due)
	}
	run := &LetterRun{}
	type key struct {
		patient   uint
		kind, who string
	}
	var order []key
	groups := map[key][]Due{}
	for _, d := range due {
		kind := ls.kindFor(d.NextFollowUpSource)
		if kind == "" {
			run.NoLetter = append(run.NoLetter, d)
			continue
		}
		who, _ := recipient(kind, d)
		k := key{d.PatientID, kind, who}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], d)
	}
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetMargins(25, 25, 25)
	pdf.SetAutoPageBreak(true, 20)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // the core fonts are cp1252
	facility := ""
	if q.Facility != nil {
		facility = q.Facility.Name
	}
	date := s.opt.Now().Format("January 2, 2006")
	var sent []store.FollowUpLetter
	for _, k := range order {
		cases := groups[k]
		first := cases[0]
		who, addr := recipient(k.kind, first)
		d := LetterData{
			Facility: facility, Date: date, Recipient: who, Address: addr,
			PatientName: strings.TrimSpace(first.NameFirst + " " + first.NameLast), DateOfBirth: readableDate(first.PatientItems["dateOfBirth"]),
			MRN: first.MedicalRecordNumber, LastContact: readableDate(first.LastContact),
		}
		for _, c := range cases {
			d.Tumors = append(d.Tumors, LetterTumor{Site: s.siteLabel(c.PrimarySite), DateOfDiagnosis: readableDate(c.DateOfDiagnosis)})
		}
		subject, body, err := ls[k.kind].fill(d)
		if err != nil {
			return nil, fmt.Errorf("followup: %s letter for patient %d: %w", k.kind, k.patient, err)
		}
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 5, tr(facility+"\nCancer Registry"), "", "L", false)
		pdf.Ln(6)
		pdf.MultiCell(0, 5, tr(date), "", "L", false)
		pdf.Ln(6)
		pdf.MultiCell(0, 5, tr(strings.Join(append([]string{who}, addr...), "\n")), "", "L", false)
		pdf.Ln(8)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.MultiCell(0, 5, tr(subject), "", "L", false)
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 5, tr(body), "", "L", false)
		run.Letters++
		for _, c := range cases {
			run.Cases++
			sent = append(sent, store.FollowUpLetter{FacilityID: c.FacilityID, PatientID: c.PatientID, TumorID: c.TumorID,
				RecipientKind: k.kind, Recipient: clipRunes(who, 200), DueMonth: q.Month})
		}
	}
	if run.Letters == 0 {
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 5, tr("No follow-up letters are due in "+q.Month+"."), "", "L", false)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("followup: letters PDF: %w", err)
	}
	if err := s.store.RecordLetters(ctx, q.Scope, sent, actorUser(a), a.RemoteAddr); err != nil {
		return nil, err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("followup: write letters: %w", err)
	}
	return run, nil
}

// recipient is who a letter of a kind goes to for a case, with the address lines known.
func recipient(kind string, d Due) (string, []string) {
	p, t := d.PatientItems, d.TumorItems
	switch kind {
	case RecipientPhysician:
		var lines []string
		if c := t["physicianFollowUp"]; c != "" {
			lines = append(lines, "Physician "+c)
		}
		if npi := t["npiPhysicianFollowUp"]; npi != "" {
			lines = append(lines, "NPI "+npi)
		}
		return "Doctor", lines
	case RecipientHospital:
		if h := t["institutionReferredTo"]; h != "" {
			return "facility " + h, nil
		}
		return "the hospital caring for the patient", nil
	}
	if name := strings.TrimSpace(t["followUpContactName"]); name != "" {
		return name, addressLines(t["followUpContactNost"], t["followUpContactSuppl"], t["followUpContactCity"], t["followUpContactState"], t["followUpContactPostal"])
	}
	return strings.TrimSpace(p["nameFirst"] + " " + p["nameLast"]),
		addressLines(p["addrCurrentNoStreet"], p["addrCurrentSupplementl"], p["addrCurrentCity"], p["addrCurrentState"], p["addrCurrentPostalCode"])
}

func addressLines(street, suppl, city, state, postal string) []string {
	var out []string
	for _, l := range []string{street, suppl, joinNonEmpty(" ", joinNonEmpty(", ", city, state), postal)} {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// siteLabel is a primary site with its ICO-O-3 topography term when the tables have it.
func (s *Service) siteLabel(site string) string {
	return s.label("primarySite", site)
}

// readableDate is a CCYYMMDD date as people read it (a partial one as far as it goes).
func readableDate(d string) string {
	for _, f := range []struct{ in, out string }{{"20060102", "January 2, 2006"}, {"200601", "January 2006"}, {"2006", "2006"}} {
		if len(d) == len(f.in) {
			if t, err := time.Parse(f.in, d); err == nil {
				return t.Format(f.out)
			}
		}
	}
	if d == "" {
		return "none recorded"
	}
	return d
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
