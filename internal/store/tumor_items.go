package store

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// tumorItems is a tumor's items, in a table of their own: the tumors rows stay narrow, so that
// a worklist, a status change or a batch reads and rewrites little (see
// migrations/*/00008_tumor_items.sql).
type tumorItems struct {
	TumorID uint `gorm:"primaryKey;autoIncrement:false"`
	Items   Items
}

func (tumorItems) TableName() string { return "tumor_items" }

// itemsBatch is how many tumors' items one statement reads or writes.
const itemsBatch = 500

// insertTumorItems stores the items of tumors just created, in the creating transaction.
func insertTumorItems(tx *gorm.DB, ts []*Tumor) error {
	if len(ts) == 0 {
		return nil
	}
	rows := make([]tumorItems, len(ts))
	for i, t := range ts {
		if t.ID == 0 {
			return fmt.Errorf("items of a tumor not yet stored")
		}
		rows[i] = tumorItems{TumorID: t.ID, Items: t.Items}
		if rows[i].Items == nil {
			rows[i].Items = Items{}
		}
	}
	if err := tx.CreateInBatches(rows, itemsBatch).Error; err != nil {
		return fmt.Errorf("tumor items: %w", err)
	}
	return nil
}

// saveTumorItems replaces a tumor's items.
func saveTumorItems(tx *gorm.DB, tumorID uint, items Items) error {
	if items == nil {
		items = Items{}
	}
	row := tumorItems{TumorID: tumorID, Items: items}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "tumor_id"}}, DoUpdates: clause.AssignmentColumns([]string{"items"})}).
		Create(&row).Error
	if err != nil {
		return fmt.Errorf("tumor %d: items: %w", tumorID, err)
	}
	return nil
}

// loadOneTumorItems fills the Items of one tumor read without them.
func loadOneTumorItems(db *gorm.DB, t *Tumor) error {
	ts := []Tumor{*t}
	if err := loadTumorItems(db, ts); err != nil {
		return err
	}
	t.Items = ts[0].Items
	return nil
}

// loadTumorItems fills the Items of tumors read without them. A tumor with no items row (which
// the store never leaves) gets empty items.
func loadTumorItems(db *gorm.DB, ts []Tumor) error {
	byID := make(map[uint]*Tumor, min(len(ts), itemsBatch))
	for start := 0; start < len(ts); start += itemsBatch {
		part := ts[start:min(start+itemsBatch, len(ts))]
		clear(byID)
		ids := make([]uint, len(part))
		for i := range part {
			ids[i] = part[i].ID
			part[i].Items = Items{}
			byID[part[i].ID] = &part[i]
		}
		var rows []tumorItems
		if err := db.Where("tumor_id IN ?", ids).Find(&rows).Error; err != nil {
			return fmt.Errorf("tumor items: %w", err)
		}
		for _, r := range rows {
			if t := byID[r.TumorID]; t != nil {
				t.Items = r.Items
			}
		}
	}
	return nil
}
