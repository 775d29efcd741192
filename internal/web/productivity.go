package web

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/views"
)

// productivityWeeks is the default period: this week and the eleven before it.
const productivityWeeks = 12

// maxProductivityDays bounds a period, so that the weekly table stays readable.
const maxProductivityDays = 2 * 366

// productivity shows the registrars' figures for a period of the user's scope (reviewers and
// administrators only): internal/quality takes the medians of the steps the store reads.
func (h *reabstractionHandler) productivity(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	today := h.now().UTC()
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	from := quality.WeekStart(to).AddDate(0, 0, -7*(productivityWeeks-1))
	v := views.ProductivityView{Page: pageOf(c, "Productivity")}
	qf, qt := c.QueryParam("from"), c.QueryParam("to")
	f, errF := time.Parse(time.DateOnly, qf)
	t, errT := time.Parse(time.DateOnly, qt)
	switch {
	case qf == "" && qt == "":
	case qf != "" && errF != nil:
		v.Error = "From: " + strconv.Quote(qf) + " is not a date (YYYY-MM-DD); showing the last 12 weeks."
	case qt != "" && errT != nil:
		v.Error = "To: " + strconv.Quote(qt) + " is not a date (YYYY-MM-DD); showing the last 12 weeks."
	case qf != "" && qt != "" && t.Before(f):
		v.Error = "To: the period ends before it starts; showing the last 12 weeks."
	default:
		if qf != "" {
			from = f
		}
		if qt != "" {
			to = t
		}
		if to.Sub(from).Hours()/24 > maxProductivityDays {
			from = to.AddDate(0, 0, -maxProductivityDays)
			v.Error = "The period is limited to two years; it starts on " + from.Format(time.DateOnly) + "."
		}
	}
	v.From, v.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	p, err := h.quality.Productivity(c.Request().Context(), quality.ProductivityQuery{
		Scope: scopeOf(currentUser(c)), From: from, To: to.AddDate(0, 0, 1), // the "to" day is included
	})
	if err != nil {
		return err
	}
	for _, w := range p.Weeks {
		v.Weeks = append(v.Weeks, w.Format("Jan 2"))
	}
	v.Skipped = p.Total.DxDatesSkipped
	cases := views.Chart{Title: "Cases abstracted per registrar", Unit: "cases", TestID: "chart-cases"}
	dx := views.Chart{Title: "Median days from diagnosis to abstract", Unit: "days", TestID: "chart-dx"}
	review := views.Chart{Title: "Median days in review", Unit: "days", TestID: "chart-review"}
	rate := views.Chart{Title: "Return rate", Unit: "%", TestID: "chart-returns"}
	editsChart := views.Chart{Title: "Mean edit failures per case", Unit: "", TestID: "chart-edits"}
	for _, r := range p.Registrars {
		v.Rows = append(v.Rows, productivityRow(r, false))
		cases.Bars = append(cases.Bars, views.Bar{Label: r.Name, Value: float64(r.Cases)})
		for _, b := range []struct {
			chart *views.Chart
			value float64
		}{{&dx, r.MedianDxToSendDays}, {&review, r.MedianReviewDays}, {&rate, r.ReturnRate}, {&editsChart, r.MeanEditFailures}} {
			if !math.IsNaN(b.value) {
				b.chart.Bars = append(b.chart.Bars, views.Bar{Label: r.Name, Value: b.value})
			}
		}
	}
	v.Rows = append(v.Rows, productivityRow(p.Total, true))
	weekly := views.Chart{Title: "Cases abstracted per week", Unit: "cases", TestID: "chart-weeks"}
	for i, w := range v.Weeks {
		weekly.Bars = append(weekly.Bars, views.Bar{Label: "Week of " + w, Value: float64(p.Total.PerWeek[i])})
	}
	v.Charts = []views.Chart{weekly, cases, dx, review, rate, editsChart}
	return render(c, http.StatusOK, views.Productivity(v))
}

func productivityRow(r quality.RegistrarProductivity, total bool) views.ProductivityRow {
	return views.ProductivityRow{
		Name: r.Name, Total: total, PerWeek: r.PerWeek, Cases: r.Cases,
		MedianDx: figure(r.MedianDxToSendDays, ""), DxSkipped: r.DxDatesSkipped,
		MedianReview: figure(r.MedianReviewDays, ""), Reviews: r.Reviews,
		MeanEdits: figure(r.MeanEditFailures, ""), Returns: r.Returns, Approvals: r.Approvals,
		ReturnRate: figure(r.ReturnRate, "%"),
	}
}

// figure writes a figure as the tables show it; "–" when there was nothing to take it of.
func figure(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	return views.FormatChartValue(v) + unit
}
