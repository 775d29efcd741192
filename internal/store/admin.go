package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// Actor is who makes an administrative change, for its audit event.
type Actor struct {
	UserID     *uint
	RemoteAddr string
}

// UserRow is a user with every facility they work for (home facility first).
type UserRow struct {
	User       User
	Facilities []Facility
}

// FacilityIDs lists the ids of the row's facilities.
func (r *UserRow) FacilityIDs() []uint {
	ids := make([]uint, len(r.Facilities))
	for i, f := range r.Facilities {
		ids[i] = f.ID
	}
	return ids
}

// ListUsers returns every user by username, each with their facilities, in two queries.
func (s *Store) ListUsers(ctx context.Context) ([]UserRow, error) {
	db := s.db.WithContext(ctx)
	var users []User
	if err := db.Order("username").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	byUser, err := s.facilitiesByUser(db, nil)
	if err != nil {
		return nil, err
	}
	out := make([]UserRow, len(users))
	for i, u := range users {
		out[i] = UserRow{User: u, Facilities: homeFirst(byUser[u.ID], u.FacilityID)}
	}
	return out, nil
}

// UserByID returns one user with their facilities.
func (s *Store) UserByID(ctx context.Context, id uint) (*UserRow, error) {
	db := s.db.WithContext(ctx)
	var u User
	if err := db.Take(&u, id).Error; err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, notFound(err))
	}
	byUser, err := s.facilitiesByUser(db, &id)
	if err != nil {
		return nil, err
	}
	return &UserRow{User: u, Facilities: homeFirst(byUser[id], u.FacilityID)}, nil
}

// facilitiesByUser reads the user_facilities rows with their facilities, of one user or all.
func (s *Store) facilitiesByUser(db *gorm.DB, userID *uint) (map[uint][]Facility, error) {
	var rows []struct {
		UserID uint
		Facility
	}
	q := db.Table("user_facilities").
		Select("user_facilities.user_id, facilities.*").
		Joins("JOIN facilities ON facilities.id = user_facilities.facility_id").
		Order("facilities.name, facilities.id")
	if userID != nil {
		q = q.Where("user_facilities.user_id = ?", *userID)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: facilities of users: %w", err)
	}
	out := map[uint][]Facility{}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.Facility)
	}
	return out, nil
}

// homeFirst moves the home facility to the front, keeping the others in order.
func homeFirst(fs []Facility, home *uint) []Facility {
	if home == nil {
		return fs
	}
	for i, f := range fs {
		if f.ID == *home {
			copy(fs[1:i+1], fs[:i])
			fs[0] = f
			break
		}
	}
	return fs
}

// NewUser is a user an administrator adds: the user, with its home facility in FacilityID, and
// every facility they work for (the home facility is added when missing).
type NewUser struct {
	User       *User
	Facilities []uint
	By         Actor
	Via        string // how the user was added when not by a signed-in user, e.g. "command line"
}

// AddUser stores a user, their facilities and the user.create event in one transaction; a
// username already in use is ErrDuplicate.
func (s *Store) AddUser(ctx context.Context, in NewUser) error {
	u := in.User
	ids := withHome(in.Facilities, u.FacilityID)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		if err := setUserFacilities(tx, u.ID, ids); err != nil {
			return err
		}
		details := map[string]any{"role": u.Role, "display_name": u.DisplayName, "home_facility": u.FacilityID,
			"facilities": ids, "must_change_password": u.MustChangePassword}
		if in.Via != "" {
			details["by"] = in.Via
		}
		return s.audit(tx, AuditEntry{
			UserID: in.By.UserID, Action: audit.UserCreate, Entity: "user", EntityID: u.Username,
			Details: details, RemoteAddr: in.By.RemoteAddr,
		})
	})
	if err != nil {
		return fmt.Errorf("store: add user %q: %w", u.Username, notFound(err))
	}
	return nil
}

// UserUpdate is an administrator's edit of a user: name, role, home facility and facilities.
type UserUpdate struct {
	ID           uint
	DisplayName  string
	Role         string
	HomeFacility *uint
	Facilities   []uint
	By           Actor
}

// Change is one field's old and new value, for the audit trail.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// UpdateUser writes a user's name, role and facilities, and the user.update event with what
// changed, in one transaction. Nothing changed writes nothing.
func (s *Store) UpdateUser(ctx context.Context, in UserUpdate) (*UserRow, error) {
	ids := withHome(in.Facilities, in.HomeFacility)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, in.ID).Error; err != nil {
			return err
		}
		var oldIDs []uint
		if err := tx.Model(&UserFacility{}).Where("user_id = ?", in.ID).Order("facility_id").Pluck("facility_id", &oldIDs).Error; err != nil {
			return err
		}
		var changes []Change
		if u.DisplayName != in.DisplayName {
			changes = append(changes, Change{"display_name", u.DisplayName, in.DisplayName})
		}
		if u.Role != in.Role {
			changes = append(changes, Change{"role", u.Role, in.Role})
		}
		if !sameID(u.FacilityID, in.HomeFacility) {
			changes = append(changes, Change{"home_facility", u.FacilityID, in.HomeFacility})
		}
		if !slices.Equal(oldIDs, ids) {
			changes = append(changes, Change{"facilities", oldIDs, ids})
		}
		if len(changes) == 0 {
			return nil
		}
		err := tx.Model(&User{}).Where("id = ?", in.ID).Updates(map[string]any{
			"display_name": in.DisplayName, "role": in.Role, "facility_id": in.HomeFacility, "updated_at": s.now().UTC(),
		}).Error
		if err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", in.ID).Delete(&UserFacility{}).Error; err != nil {
			return err
		}
		if err := setUserFacilities(tx, in.ID, ids); err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: in.By.UserID, Action: audit.UserUpdate, Entity: "user", EntityID: u.Username,
			Details: map[string]any{"changes": changes}, RemoteAddr: in.By.RemoteAddr,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: update user %d: %w", in.ID, notFound(err))
	}
	return s.UserByID(ctx, in.ID)
}

func sameID(a, b *uint) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// withHome returns the facility ids sorted, without repeats, with the home facility included.
func withHome(ids []uint, home *uint) []uint {
	out := slices.Clone(ids)
	if home != nil {
		out = append(out, *home)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func setUserFacilities(tx *gorm.DB, userID uint, ids []uint) error {
	if len(ids) == 0 {
		return nil
	}
	rows := make([]UserFacility, len(ids))
	for i, id := range ids {
		rows[i] = UserFacility{UserID: userID, FacilityID: id}
	}
	return tx.Create(&rows).Error
}

// SetUserDisabled disables a user (who can no longer sign in; their sessions end in the same
// transaction) or enables them again, audited as user.disable or user.enable. Setting what is
// already so changes nothing and records nothing.
func (s *Store) SetUserDisabled(ctx context.Context, id uint, disabled bool, by Actor) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, id).Error; err != nil {
			return err
		}
		if (u.DisabledAt != nil) == disabled {
			return nil
		}
		var at *time.Time
		action := audit.UserEnable
		if disabled {
			now := s.now().UTC()
			at, action = &now, audit.UserDisable
			if err := tx.Where("user_id = ?", id).Delete(&Session{}).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"disabled_at": at, "updated_at": s.now().UTC()}).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{UserID: by.UserID, Action: action, Entity: "user", EntityID: u.Username, RemoteAddr: by.RemoteAddr})
	})
	if err != nil {
		return fmt.Errorf("store: disable user %d (%v): %w", id, disabled, notFound(err))
	}
	return nil
}

// ResetPassword gives a user a new password hash chosen by an administrator, marks that they must
// change it at their next sign-in, and ends their sessions, audited as password.reset.
func (s *Store) ResetPassword(ctx context.Context, id uint, hash string, by Actor) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, id).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
			"password_hash": hash, "must_change_password": true, "updated_at": s.now().UTC(),
		}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", id).Delete(&Session{}).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{UserID: by.UserID, Action: audit.PasswordReset, Entity: "user", EntityID: u.Username, RemoteAddr: by.RemoteAddr})
	})
	if err != nil {
		return fmt.Errorf("store: reset password of user %d: %w", id, notFound(err))
	}
	return nil
}

// ChangePassword stores a user's own new password, clears must_change_password and ends their
// other sessions (keepSession stays), audited as password.change.
func (s *Store) ChangePassword(ctx context.Context, userID uint, hash string, keepSession uint, remoteAddr string) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
			"password_hash": hash, "must_change_password": false, "updated_at": s.now().UTC(),
		}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND id <> ?", userID, keepSession).Delete(&Session{}).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{UserID: &userID, Action: audit.PasswordChange, Entity: "user", EntityID: u.Username, RemoteAddr: remoteAddr})
	})
	if err != nil {
		return fmt.Errorf("store: change password of user %d: %w", userID, notFound(err))
	}
	return nil
}

// DeleteUserSessions ends every session of a user and returns how many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID uint) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: end sessions of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected, nil
}

// ListFacilities returns every facility by name.
func (s *Store) ListFacilities(ctx context.Context) ([]Facility, error) {
	var fs []Facility
	if err := s.db.WithContext(ctx).Order("name, id").Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("store: list facilities: %w", err)
	}
	return fs, nil
}

// AddFacility stores a facility with its facility.create event; a code in use is ErrDuplicate.
func (s *Store) AddFacility(ctx context.Context, f *Facility, by Actor) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(f).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: by.UserID, Action: audit.FacilityCreate, Entity: "facility", EntityID: fmt.Sprint(f.ID),
			Details: map[string]string{"code": f.Code, "name": f.Name, "npi": f.NPI, "id_number": f.IDNumber}, RemoteAddr: by.RemoteAddr,
		})
	})
	if err != nil {
		return fmt.Errorf("store: add facility %q: %w", f.Code, notFound(err))
	}
	return nil
}

// UpdateFacility writes a facility's code, name, NPI and id number with a facility.update event
// holding what changed; a code in use by another facility is ErrDuplicate.
func (s *Store) UpdateFacility(ctx context.Context, f *Facility, by Actor) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var cur Facility
		if err := tx.Take(&cur, f.ID).Error; err != nil {
			return err
		}
		var changes []Change
		for _, c := range []Change{{"code", cur.Code, f.Code}, {"name", cur.Name, f.Name}, {"npi", cur.NPI, f.NPI}, {"id_number", cur.IDNumber, f.IDNumber}} {
			if c.Old != c.New {
				changes = append(changes, c)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Model(&Facility{}).Where("id = ?", f.ID).Updates(map[string]any{
			"code": f.Code, "name": f.Name, "npi": f.NPI, "id_number": f.IDNumber,
		}).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: by.UserID, Action: audit.FacilityUpdate, Entity: "facility", EntityID: fmt.Sprint(f.ID),
			Details: map[string]any{"changes": changes}, RemoteAddr: by.RemoteAddr,
		})
	})
	if err != nil {
		return fmt.Errorf("store: update facility %d: %w", f.ID, notFound(err))
	}
	return nil
}

// Usernames maps user ids to usernames, in one query; unknown ids are left out.
func (s *Store) Usernames(ctx context.Context, ids []uint) (map[uint]string, error) {
	out := map[uint]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []User
	if err := s.db.WithContext(ctx).Select("id", "username").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("store: usernames: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u.Username
	}
	return out, nil
}
