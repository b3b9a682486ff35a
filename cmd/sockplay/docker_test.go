package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is where the Dockerfile is, from this package's directory.
const repoRoot = "../.."

// TestDockerfile checks what the image promises without building it: a
// trimmed build, a non-root user, a health check against /healthz, the
// sockplay entry point listening beyond loopback, the /data volume, and
// the tools later features need (python3, bubblewrap).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(repoRoot + "/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	runtime := df[strings.LastIndex(df, "\nFROM "):] // the final stage
	for _, want := range []struct{ what, re string }{
		{"a trimmed build", `go build -trimpath`},
		{"python3, bubblewrap and ca-certificates in the runtime", `apt-get install[^\n]*ca-certificates python3 bubblewrap`},
		{"a non-root user", `(?m)^USER sockplay$`},
		{"a health check against /healthz", `(?m)^HEALTHCHECK [^\n]*\\\n\s+CMD \[[^\n]*/healthz`},
		{"the sockplay entry point", `(?m)^ENTRYPOINT \["sockplay"\]$`},
		{"a CMD listening on all addresses with its data in /data", `(?m)^CMD \["--addr", "0\.0\.0\.0:8080",[^\n]*"--data", "/data"\]$`},
		{"the /data volume", `(?m)^VOLUME /data$`},
	} {
		if !regexp.MustCompile(want.re).MatchString(runtime) && !regexp.MustCompile(want.re).MatchString(df) {
			t.Errorf("Dockerfile lacks %s (%s)", want.what, want.re)
		}
	}
	if strings.Contains(runtime, "golang") {
		t.Error("the runtime stage is based on the Go image; want a small one")
	}
	ignore, err := os.ReadFile(repoRoot + "/.dockerignore")
	if err != nil || !regexp.MustCompile(`(?m)^\.git$`).Match(ignore) {
		t.Errorf(".dockerignore does not leave out .git (%v)", err)
	}
}

// TestDockerImage builds the image and runs it: /healthz answers through
// the published port, the process is not root, python3 and bwrap are
// there. Without docker (or its daemon) it is skipped, saying so.
func TestDockerImage(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		fmt.Println("TestDockerImage: skipped: no docker on this machine, the container image is not built")
		t.Skip("no docker on this machine: the container image is not built")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		fmt.Println("TestDockerImage: skipped: the docker daemon does not answer")
		t.Skipf("the docker daemon does not answer: %v\n%s", err, out)
	}
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	tag := fmt.Sprintf("sockplay-test:%d", os.Getpid())
	docker("build", "-t", tag, repoRoot)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })

	if v := docker("run", "--rm", "--entrypoint", "sh", tag, "-c", "id -u && python3 --version && bwrap --version"); strings.HasPrefix(v, "0\n") {
		t.Errorf("the image runs as root:\n%s", v)
	}
	id := docker("run", "-d", "-p", "127.0.0.1::8080", tag)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	hostPort := docker("port", id, "8080/tcp")
	hostPort = strings.Split(hostPort, "\n")[0]

	var health struct{ Status string }
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + hostPort + "/healthz")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			if err == nil && health.Status == "ok" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz of the container: %v; logs:\n%s", err, docker("logs", id))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
