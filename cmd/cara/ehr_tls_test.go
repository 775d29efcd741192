package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/store"
)

// testCert is a certificate made for a test, signed by parent (itself when nil).
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func makeCert(t *testing.T, name string, parent *testCert, ca, server bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true, IsCA: ca}
	switch {
	case ca:
		tmpl.KeyUsage = x509.KeyUsageCertSign
	case server:
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.ParseIP("127.0.0.1")}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key, der: der}
}

func (c *testCert) files(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	kb, err := x509.MarshalECPrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func (c *testCert) tls(t *testing.T) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.der}, PrivateKey: c.key}
}

func TestServeTakesMLLPOverTLSFromSendersWithAClientCertificate(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	e.Addr = "127.0.0.1:0"
	if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
		t.Fatalf("facility add: %q %v", out, err)
	}
	dir := t.TempDir()
	ca := makeCert(t, "Registry CA", nil, true, false)
	caFile, _ := ca.files(t, dir, "ca")
	srvCert, srvKey := makeCert(t, "127.0.0.1", ca, false, true).files(t, dir, "server")
	lab := makeCert(t, "State lab", ca, false, false)
	rogue := makeCert(t, "Rogue", makeCert(t, "Other CA", nil, true, false), false, false)

	if _, err := (mllpConfig{TLSCert: srvCert}).tlsConfig(); err == nil || !strings.Contains(err.Error(), "give both --mllp-tls-cert and --mllp-tls-key") {
		t.Errorf("certificate without key: %v", err)
	}
	if _, err := (mllpConfig{TLSCert: srvCert, TLSKey: srvKey, ClientCA: srvKey}).tlsConfig(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a key as client CA: %v", err)
	}

	addr := serveMLLP(t, e, "--mllp-facility", "F1", "--mllp-tls-cert", srvCert, "--mllp-tls-key", srvKey, "--mllp-client-ca", caFile)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	send := func(client *testCert) (string, error) {
		cfg := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
		if client != nil {
			cfg.Certificates = []tls.Certificate{client.tls(t)}
		}
		var c *tls.Conn
		var err error
		for deadline := time.Now().Add(30 * time.Second); ; {
			d := &net.Dialer{Timeout: 5 * time.Second}
			if c, err = tls.DialWithDialer(d, "tcp", addr, cfg); err == nil || !strings.Contains(err.Error(), "refused") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the MLLP listener is not up: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := hl7.WriteFrame(c, []byte(ehrMessage("T1", "M9", "19550304"))); err != nil {
			return "", err
		}
		ack, err := hl7.ReadFrame(bufio.NewReader(c), 0)
		return string(ack), err
	}
	if ack, err := send(lab); err != nil || !strings.Contains(ack, "MSA|AA|T1") {
		t.Fatalf("the lab's message over TLS: %q, %v; want AA", ack, err)
	}
	for name, client := range map[string]*testCert{"no client certificate": nil, "a certificate of another CA": rogue} {
		if ack, err := send(client); err == nil {
			t.Errorf("%s: answered %q, want the connection refused", name, ack)
		}
	}
}
