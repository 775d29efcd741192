package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

func facilityPath(id uint) string { return "/admin/facilities/" + idString(id) }

// listFacilities shows every facility.
func (h *adminHandler) listFacilities(c echo.Context) error {
	fs, err := h.store.ListFacilities(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.AdminFacilitiesView{Page: pageOf(c, "Facilities")}
	for _, f := range fs {
		v.Rows = append(v.Rows, views.AdminFacilityRow{URL: facilityPath(f.ID), Code: f.Code, Name: f.Name, NPI: f.NPI, IDNumber: f.IDNumber})
	}
	return render(c, http.StatusOK, views.AdminFacilities(v))
}

// readFacilityForm reads and checks a facility form (the rules are the store's, which the
// command line uses too); the errors are by field.
func readFacilityForm(c echo.Context) (store.Facility, map[string]string) {
	f := store.Facility{
		Code:     strings.TrimSpace(c.FormValue("code")),
		Name:     strings.TrimSpace(c.FormValue("name")),
		NPI:      strings.TrimSpace(c.FormValue("npi")),
		IDNumber: strings.TrimSpace(c.FormValue("id_number")),
	}
	errs := map[string]string{}
	for _, p := range store.CheckFacility(f) {
		errs[p.Field] = p.Message
	}
	return f, errs
}

// quoteValue quotes what a person entered for a message beside a field, shortened.
func quoteValue(s string) string { return views.Quoted(s) }

func facilityForm(c echo.Context, title string, f store.Facility, errs map[string]string) views.AdminFacilityFormView {
	return views.AdminFacilityFormView{Page: pageOf(c, title), Code: f.Code, Name: f.Name, NPI: f.NPI, IDNumber: f.IDNumber, Errors: errs}
}

func duplicateCode(code string) map[string]string {
	return map[string]string{"code": "Code: a facility with code " + quoteValue(code) + " exists already."}
}

// newFacility shows the empty facility form.
func (h *adminHandler) newFacility(c echo.Context) error {
	v := facilityForm(c, "Add a facility", store.Facility{}, nil)
	v.Action, v.New = "/admin/facilities", true
	return render(c, http.StatusOK, views.AdminFacilityForm(v))
}

// createFacility adds a facility (with facility.create, in one transaction).
func (h *adminHandler) createFacility(c echo.Context) error {
	f, errs := readFacilityForm(c)
	if len(errs) == 0 {
		err := h.store.AddFacility(c.Request().Context(), &f, actorOf(c))
		switch {
		case errors.Is(err, store.ErrDuplicate):
			errs = duplicateCode(f.Code)
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, facilityPath(f.ID)+"?created=1")
		}
	}
	v := facilityForm(c, "Add a facility", f, errs)
	v.Action, v.New = "/admin/facilities", true
	return render(c, http.StatusUnprocessableEntity, views.AdminFacilityForm(v))
}

// showFacility shows one facility's form.
func (h *adminHandler) showFacility(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, err := h.store.FacilityByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v := facilityForm(c, "Facility "+f.Code, *f, nil)
	v.Action = facilityPath(id)
	switch {
	case c.QueryParam("created") == "1":
		v.Notice = "Facility added."
	case c.QueryParam("saved") == "1":
		v.Notice = "Saved."
	}
	return render(c, http.StatusOK, views.AdminFacilityForm(v))
}

// updateFacility saves a facility's code, name, NPI and id number.
func (h *adminHandler) updateFacility(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := h.store.FacilityByID(ctx, id)
	if err != nil {
		return err
	}
	f, errs := readFacilityForm(c)
	f.ID = id
	if len(errs) == 0 {
		err := h.store.UpdateFacility(ctx, &f, actorOf(c))
		switch {
		case errors.Is(err, store.ErrDuplicate):
			errs = duplicateCode(f.Code)
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, facilityPath(id)+"?saved=1")
		}
	}
	v := facilityForm(c, "Facility "+cur.Code, f, errs)
	v.Action = facilityPath(id)
	return render(c, http.StatusUnprocessableEntity, views.AdminFacilityForm(v))
}
