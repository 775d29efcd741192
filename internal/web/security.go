package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/excerpt"
)

// hstsValue is the Strict-Transport-Security header of a cara served over HTTPS: a year, for
// every subdomain too.
const hstsValue = "max-age=31536000; includeSubDomains"

// proxies are the reverse proxies whose forwarding headers (X-Forwarded-For, -Proto, -Host) cara
// believes. Anyone else could write them, so from anyone else they are ignored.
type proxies []*net.IPNet

// trusts says whether the direct peer of a request is one of the proxies.
func (p proxies) trusts(req *http.Request) bool {
	if len(p) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range p {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// ipExtractor is how c.RealIP, and so every audit event's remote address, finds the client: the
// socket's address, or, behind configured proxies, the nearest address in X-Forwarded-For that
// is not one of them. Echo's default trusts loopback and private networks, which would let any
// client on the same network forge its address, so those are trusted only when configured.
func (p proxies) ipExtractor() echo.IPExtractor {
	if len(p) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range p {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// lastForwarded is the last value of a forwarding header: the one the nearest proxy wrote.
func lastForwarded(req *http.Request, name string) string {
	v := req.Header.Values(name)
	if len(v) == 0 {
		return ""
	}
	parts := strings.Split(v[len(v)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

// hsts tells browsers to come back only over HTTPS. Echo's Secure middleware sends the header
// only on a TLS request, which behind a TLS-terminating proxy cara never sees, so it is sent
// whenever cara is configured as served over HTTPS (secure cookies).
func hsts(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderStrictTransportSecurity, hstsValue)
		return next(c)
	}
}

// sameOrigin refuses an unsafe request that a browser says came from another site, before any
// handler (POST /login and the intake upload included) sees it. It backs up the CSRF token:
//   - Sec-Fetch-Site must be same-origin or none (typed by the user); same-site is refused too,
//     since a neighbouring subdomain is not cara;
//   - Origin, when sent, must be cara's own scheme and host (as a trusted proxy forwards them);
//   - the token must not be in the query string, where it would reach logs and Referer headers.
//
// A request without either header (an old browser, curl, a script) is left to the token check.
type sameOrigin struct {
	proxies proxies
	secure  bool // served over HTTPS, whatever the socket says
}

func (s sameOrigin) check(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return next(c)
		}
		if req.URL.Query().Has(csrfField) {
			return echo.NewHTTPError(http.StatusForbidden, "The form's security token was sent in the address (the query string), where it does not belong, so cara refused the request. Reload the page and use its form.")
		}
		switch site := req.Header.Get("Sec-Fetch-Site"); site {
		case "", "same-origin", "none":
		default:
			return echo.NewHTTPError(http.StatusForbidden, "This request came from another site (Sec-Fetch-Site: "+excerpt.Clip(site)+"), so cara refused it. Open cara itself and use its forms.")
		}
		if origin := req.Header.Get(echo.HeaderOrigin); origin != "" && !sameOriginAs(origin, s.ownOrigin(req)) {
			return echo.NewHTTPError(http.StatusForbidden, "This request came from another site (Origin "+excerpt.Clip(origin)+"), so cara refused it. Open cara itself and use its forms.")
		}
		return next(c)
	}
}

// ownOrigin is the scheme and host the browser sees cara at: the socket's, or what a trusted
// proxy says in X-Forwarded-Proto and X-Forwarded-Host.
func (s sameOrigin) ownOrigin(req *http.Request) string {
	scheme, host := "http", req.Host
	if req.TLS != nil || s.secure {
		scheme = "https"
	}
	if s.proxies.trusts(req) {
		if p := strings.ToLower(lastForwarded(req, echo.HeaderXForwardedProto)); p == "http" || p == "https" {
			scheme = p
		}
		if h := lastForwarded(req, "X-Forwarded-Host"); h != "" {
			host = h
		}
	}
	return scheme + "://" + host
}

// sameOriginAs compares two origins as browsers write them: case-insensitively, with the
// scheme's default port left out.
func sameOriginAs(a, b string) bool {
	return strings.EqualFold(withoutDefaultPort(a), withoutDefaultPort(b))
}

func withoutDefaultPort(origin string) string {
	if o, ok := strings.CutSuffix(origin, ":443"); ok && strings.HasPrefix(strings.ToLower(origin), "https://") {
		return o
	}
	if o, ok := strings.CutSuffix(origin, ":80"); ok && strings.HasPrefix(strings.ToLower(origin), "http://") {
		return o
	}
	return origin
}
