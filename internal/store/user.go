package store

import (
	"context"
	"fmt"
)

// CreateUser adds a user; a username already in use is ErrDuplicate.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if err := s.db.WithContext(ctx).Create(u).Error; err != nil {
		return fmt.Errorf("store: create user %q: %w", u.Username, notFound(err))
	}
	return nil
}

// UserByUsername finds a user by username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("username = ?", username).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("store: user %q: %w", username, notFound(err))
	}
	return &u, nil
}
