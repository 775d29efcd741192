package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Items is a NAACCR item map (naaccrId → value) stored as a JSON object.
type Items map[string]string

// Value encodes the items as JSON; a nil map is stored as {}.
func (it Items) Value() (driver.Value, error) {
	if it == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(it))
	if err != nil {
		return nil, fmt.Errorf("store: encode items: %w", err)
	}
	return string(b), nil
}

// Scan decodes the JSON object read from the database.
func (it *Items) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*it = Items{}
		return nil
	default:
		return fmt.Errorf("store: items column holds %T", src)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("store: decode items: %w", err)
	}
	*it = m
	return nil
}

// Facility is a hospital or other reporting facility.
type Facility struct {
	ID        uint
	Code      string
	Name      string
	NPI       string `gorm:"column:npi"`
	CreatedAt time.Time
}

// User is a person who signs in.
type User struct {
	ID           uint
	Username     string
	DisplayName  string
	PasswordHash string
	Role         string
	FacilityID   *uint
	DisabledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Session is a signed-in browser; only a hash of its token is kept.
type Session struct {
	ID         uint
	TokenHash  string
	UserID     uint
	CSRFToken  string `gorm:"column:csrf_token"`
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// Patient is a person with one or more tumors; Items holds the Patient-level NAACCR items, and
// the named columns are copies of some of them for lists and search.
type Patient struct {
	ID              uint
	FacilityID      uint
	PatientIDNumber string `gorm:"column:patient_id_number"`
	NameLast        string
	NameFirst       string
	DateOfBirth     string
	Items           Items
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Tumor is one primary of a patient: the unit a registrar abstracts and a reviewer approves.
type Tumor struct {
	ID                  uint
	PatientID           uint
	MedicalRecordNumber string
	AccessionNumber     string
	SequenceNumber      string
	PrimarySite         string
	Histology           string
	Behavior            string
	DateOfDiagnosis     string
	Status              string
	AssignedTo          *uint
	ReviewedBy          *uint
	EditErrors          int
	EditWarnings        int
	Items               Items
	Version             int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// AuditEvent is one append-only line of the audit trail.
type AuditEvent struct {
	ID         uint
	At         time.Time
	UserID     *uint
	Action     string
	Entity     string
	EntityID   string
	Details    string
	RemoteAddr string
}

// promote copies the items that have their own columns, so lists and indexes see them.
func (p *Patient) promote() {
	p.PatientIDNumber = p.Items["patientIdNumber"]
	p.NameLast = p.Items["nameLast"]
	p.NameFirst = p.Items["nameFirst"]
	p.DateOfBirth = p.Items["dateOfBirth"]
}

func (t *Tumor) promote() {
	t.MedicalRecordNumber = t.Items["medicalRecordNumber"]
	t.AccessionNumber = t.Items["accessionNumberHosp"]
	t.SequenceNumber = sequenceOf(t.Items)
	t.PrimarySite = t.Items["primarySite"]
	t.Histology = t.Items["histologicTypeIcdO3"]
	t.Behavior = t.Items["behaviorCodeIcdO3"]
	t.DateOfDiagnosis = t.Items["dateOfDiagnosis"]
}
