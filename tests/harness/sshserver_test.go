package harness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// testSSH is an in-process SSH server on loopback that accepts one client
// key and runs "exec" requests with /bin/sh -c.
type testSSH struct {
	config        *ssh.ServerConfig
	clientKeyPEM  string // PEM private key the server accepts
	hostKeyAuthed string // the server's host key, authorized_keys format
	acceptEnv     func(name string) bool
}

// newTestSSH creates the keys and server configuration. acceptEnv decides
// which "env" requests the server accepts, like sshd's AcceptEnv.
func newTestSSH(t *testing.T, acceptEnv func(name string) bool) *testSSH {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	require.NoError(t, err)

	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	allowed, err := ssh.NewPublicKey(clientPub)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(clientPriv, "")
	require.NoError(t, err)

	config := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(key.Marshal(), allowed.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unknown public key")
		},
	}
	config.AddHostKey(hostSigner)

	return &testSSH{
		config:        config,
		clientKeyPEM:  string(pem.EncodeToMemory(block)),
		hostKeyAuthed: string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey())),
		acceptEnv:     acceptEnv,
	}
}

// listen starts serving on 127.0.0.1:0 and returns the port.
func (s *testSSH) listen(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.serve(t, ln)
	return ln.Addr().(*net.TCPAddr).Port
}

// serve accepts connections on ln until the test ends.
func (s *testSSH) serve(t *testing.T, ln net.Listener) {
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.handleConn(conn)
			}()
		}
	}()
}

func (s *testSSH) handleConn(conn net.Conn) {
	defer conn.Close()
	sconn, chans, reqs, err := ssh.NewServerConn(conn, s.config)
	if err != nil {
		return
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	for newCh := range chans {
		if newCh.ChannelType() != "session" {
			_ = newCh.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, chReqs, err := newCh.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handleSession(ch, chReqs)
		}()
	}
	wg.Wait()
}

func (s *testSSH) handleSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if err := ssh.Unmarshal(req.Payload, &kv); err != nil || (s.acceptEnv != nil && !s.acceptEnv(kv.Name)) {
				_ = req.Reply(false, nil)
				continue
			}
			env = append(env, kv.Name+"="+kv.Value)
			_ = req.Reply(true, nil)
		case "exec":
			var ex struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &ex); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			status := runExec(ch, ex.Command, env)
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// runExec runs command with /bin/sh -c, piping the channel to its stdin,
// stdout and stderr, and returns its exit status.
func runExec(ch ssh.Channel, command string, env []string) uint32 {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = env
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintln(ch.Stderr(), err)
		return 255
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(ch.Stderr(), err)
		return 127
	}
	go func() {
		_, _ = io.Copy(stdin, ch)
		stdin.Close()
	}()
	err = cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		return uint32(exitErr.ExitCode())
	default:
		fmt.Fprintln(ch.Stderr(), strings.TrimSpace(err.Error()))
		return 255
	}
}
