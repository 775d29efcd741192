package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

func senderRevokePath(id uint) string { return "/admin/senders/" + idString(id) + "/revoke" }

// sendersView is the senders page with every sender and the add form.
func (h *adminHandler) sendersView(c echo.Context) (views.AdminSendersView, map[uint]store.Facility, error) {
	ctx := c.Request().Context()
	v := views.AdminSendersView{Page: pageOf(c, "Senders")}
	facs, err := h.store.ListFacilities(ctx)
	if err != nil {
		return v, nil, err
	}
	byID := make(map[uint]store.Facility, len(facs))
	for _, f := range facs {
		byID[f.ID] = f
		v.Facilities = append(v.Facilities, views.Option{Code: idString(f.ID), Label: f.Code + " — " + f.Name})
	}
	list, err := ehr.NewSenders(h.store).List(ctx, 0)
	if err != nil {
		return v, nil, err
	}
	for _, snd := range list {
		r := views.AdminSenderRow{ID: idString(snd.ID), Name: snd.Name, Facility: byID[snd.FacilityID].Code,
			Added: snd.CreatedAt.UTC().Format(time.DateOnly), RevokeURL: senderRevokePath(snd.ID)}
		if snd.RevokedAt != nil {
			r.Revoked = snd.RevokedAt.UTC().Format(time.DateOnly)
		}
		v.Rows = append(v.Rows, r)
	}
	return v, byID, nil
}

// listSenders shows the senders and the form to add one.
func (h *adminHandler) listSenders(c echo.Context) error {
	v, _, err := h.sendersView(c)
	if err != nil {
		return err
	}
	if n, err := strconv.ParseUint(c.QueryParam("revoked"), 10, 32); err == nil {
		v.Notice = "Sender #" + strconv.FormatUint(n, 10) + " was revoked."
	}
	return render(c, http.StatusOK, views.AdminSenders(v))
}

// createSender adds a sender and shows its token, once (the page is not redirected to, so the
// token is in no URL and no history entry).
func (h *adminHandler) createSender(c echo.Context) error {
	facility, name := c.FormValue("facility"), c.FormValue("name")
	errs := map[string]string{}
	var facID uint
	if n, err := strconv.ParseUint(facility, 10, 32); err == nil {
		facID = uint(n)
	}
	v, byID, err := h.sendersView(c)
	if err != nil {
		return err
	}
	if _, ok := byID[facID]; !ok && facility != "" {
		errs["facility"] = "Facility: no facility " + quoteValue(facility) + "; choose one from the list."
	}
	if len(errs) == 0 {
		snd, tok, err := ehr.NewSenders(h.store).Add(c.Request().Context(), actorOf(c), facID, name)
		var p *ehr.SenderProblem
		switch {
		case errors.As(err, &p):
			errs[p.Field] = senderFieldLabel(p.Field) + ": " + p.Message + "."
		case err != nil:
			return err
		default:
			if v, _, err = h.sendersView(c); err != nil {
				return err
			}
			v.Token, v.TokenFor = tok, "sender #"+idString(snd.ID)+" ("+snd.Name+")"
			c.Response().Header().Set("Cache-Control", "no-store")
			return render(c, http.StatusCreated, views.AdminSenders(v))
		}
	}
	v.Facility, v.Name, v.Errors = facility, name, errs
	return render(c, http.StatusUnprocessableEntity, views.AdminSenders(v))
}

func senderFieldLabel(field string) string {
	if field == "facility" {
		return "Facility"
	}
	return "Name"
}

// revokeSender asks first (a plain post without confirm=1), then ends the sender's token.
func (h *adminHandler) revokeSender(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	_, byID, err := h.sendersView(c)
	if err != nil {
		return err
	}
	list, err := ehr.NewSenders(h.store).List(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	var snd *store.EHRSender
	for i := range list {
		if list[i].ID == id && list[i].RevokedAt == nil {
			snd = &list[i]
		}
	}
	if snd == nil {
		return echo.NewHTTPError(http.StatusNotFound, "No active sender #"+idString(id)+": it may have been revoked already.")
	}
	if c.FormValue("confirm") != "1" {
		return render(c, http.StatusOK, views.AdminSenderRevoke(views.AdminSenderRevokeView{Page: pageOf(c, "Revoke sender"),
			ID: idString(id), Name: snd.Name, Facility: byID[snd.FacilityID].Code, URL: senderRevokePath(id)}))
	}
	err = ehr.NewSenders(h.store).Revoke(c.Request().Context(), actorOf(c), id)
	if errors.Is(err, ehr.ErrNoSender) {
		return echo.NewHTTPError(http.StatusNotFound, "No active sender #"+idString(id)+": it may have been revoked already.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/senders?revoked="+idString(id))
}
