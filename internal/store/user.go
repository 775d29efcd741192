package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// CreateUser adds a user, who works for their home facility (if any); a username already in use
// is ErrDuplicate.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		if u.FacilityID == nil {
			return nil
		}
		return tx.Create(&UserFacility{UserID: u.ID, FacilityID: *u.FacilityID}).Error
	})
	if err != nil {
		return fmt.Errorf("store: create user %q: %w", u.Username, notFound(err))
	}
	return nil
}

// UserFacilities lists the facilities a user works for, home facility first, then by name.
func (s *Store) UserFacilities(ctx context.Context, u *User) ([]Facility, error) {
	var fs []Facility
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&UserFacility{}).Select("facility_id").Where("user_id = ?", u.ID)).
		Order("name, id").Find(&fs).Error
	if err != nil {
		return nil, fmt.Errorf("store: facilities of user %d: %w", u.ID, err)
	}
	if u.FacilityID != nil {
		for i, f := range fs {
			if f.ID == *u.FacilityID {
				copy(fs[1:i+1], fs[:i])
				fs[0] = f
				break
			}
		}
	}
	return fs, nil
}

// UserByUsername finds a user by username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("username = ?", username).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("store: user %q: %w", username, notFound(err))
	}
	return &u, nil
}

// UpgradePasswordHash replaces a user's password hash by a new hash of the same password (made
// at a sign-in, with today's algorithm and costs), unless the hash changed in the meantime. It is
// not audited: the password is the same.
func (s *Store) UpgradePasswordHash(ctx context.Context, userID uint, oldHash, newHash string) error {
	err := s.db.WithContext(ctx).Model(&User{}).Where("id = ? AND password_hash = ?", userID, oldHash).
		Update("password_hash", newHash).Error
	if err != nil {
		return fmt.Errorf("store: upgrade password hash of user %d: %w", userID, err)
	}
	return nil
}
