package asyncio_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/goasyncio/asyncio"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it;
// a real server loads its certificate with tls.LoadX509KeyPair.
func selfSigned() (tls.Certificate, *x509.CertPool) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:         true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// A TLS server and client: WithTLS makes the server's streams and the
// client's stream speak TLS, and the handler and the client read and write
// as on a plain connection.
func ExampleWithTLS() {
	cert, pool := selfSigned()
	asyncio.Run(func(ctx context.Context) (int, error) {
		serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
		srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *asyncio.Stream) error {
			name, err := s.ReadLine(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Conn(ctx), "hello, %s", name)
			return nil
		}, asyncio.StreamOptions(asyncio.WithTLS(serverTLS)))
		if err != nil {
			return 0, err
		}
		defer srv.Close()

		c, err := asyncio.OpenConnection(ctx, "tcp", srv.Addrs()[0].String(),
			asyncio.WithTLS(&tls.Config{RootCAs: pool}))
		if err != nil {
			return 0, err
		}
		defer c.Close()
		c.Write([]byte("gopher\n"))
		reply, err := c.ReadLine(ctx)
		fmt.Printf("%s", reply)
		return 0, err
	})
	// Output:
	// hello, gopher
}
