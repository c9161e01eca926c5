"""The whole arrangement of several nodes on one machine (issue 16, item 8): a PostgreSQL cluster of
its own, one site on it served by three `broadsheet serve` processes (one thread each, each with
its own site folder as separate machines would have), haproxy in front of them with health checks
on /readyz, Varnish in front of haproxy with the VCL of docs/caching.md, an S3 server (npm's
s3rver, as tests/integration/test_s3.py runs it) holding the media, and an SMTP sink.

    Arrangement.start()  ->  .nodes[0..2], .haproxy_port, .varnish_port, .smtp.messages

Every node is also reachable on its own port, so a test can write through one and read through
another. The binary comes from $BROADSHEET_BIN, as in tests/integration.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import harness  # noqa: E402  (tests/integration's)

CLUSTER_SH = os.path.join(harness.SOURCE, "tests", "postgres", "cluster.sh")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
VARNISHD = shutil.which("varnishd") or ("/usr/sbin/varnishd" if os.path.exists("/usr/sbin/varnishd") else None)
INITDB = "/usr/lib/postgresql/15/bin/initdb"


def missing():
    """What this machine lacks to run the arrangement (empty: nothing)."""
    lacks = []
    if not os.path.exists(INITDB):
        lacks.append("PostgreSQL 15 (postgresql-15)")
    if not HAPROXY:
        lacks.append("haproxy")
    if not VARNISHD:
        lacks.append("varnishd (varnish, varnish-modules)")
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        lacks.append("python3-aiosmtpd")
    if not shutil.which("node") or not os.path.isdir(os.path.join(harness.SOURCE, "node_modules", "s3rver")):
        lacks.append("node and npm's s3rver (npm ci)")
    return lacks


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise AssertionError("%s exited: %s" % (what, process.stdout.read() if process.stdout else ""))
            time.sleep(0.1)
    raise AssertionError("%s did not start listening on %d" % (what, port))


def get(port, path, headers=None, method="GET", body=None, timeout=10):
    """(status, headers with lower-case names, body bytes) from 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


class Node:
    """One `broadsheet serve` on its own copy of the site folder, on a fixed port (haproxy's
    configuration names it before the node starts, and a restarted node keeps it)."""

    def __init__(self, name, site, env):
        self.name = name
        self.site = site
        self.env = env
        self.port = free_port()
        self.process = None
        self.log = []

    def start(self):
        self.process = subprocess.Popen(
            [harness.BIN, "serve", "--site", self.site, "--listen", "127.0.0.1:%d" % self.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env)
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("node %s exited: %s" % (self.name, "".join(self.log)))
            try:
                if get(self.port, "/readyz", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("node %s did not become ready: %s" % (self.name, "".join(self.log)))

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def get(self, path, headers=None):
        return get(self.port, path, headers)

    def request(self, method, path, headers=None, body=None):
        return get(self.port, path, headers, method, body)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._close_log()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self._close_log()

    def _close_log(self):
        self.drainer.join(timeout=5)  # the process has exited: its stderr ends
        self.process.stderr.close()


class Front:
    """Something with a port that tests/integration's helpers (Browser, comment) can talk to."""

    def __init__(self, port):
        self.port = port

    def get(self, path, headers=None):
        return get(self.port, path, headers)

    def request(self, method, path, headers=None, body=None):
        return get(self.port, path, headers, method, body)


HAPROXY_CONFIG = """
global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  retry-on conn-failure empty-response response-timeout
frontend readers
  bind 127.0.0.1:{port}
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 200ms fall 2 rise 2
{servers}
"""


class Arrangement:
    """PostgreSQL, three nodes, haproxy, Varnish and an SMTP sink, started and stopped together."""

    def __init__(self, nodes=3, env=None, smtp_handler=None):
        self.count = nodes
        self.extra_env = env or {}
        self.smtp_handler = smtp_handler
        self.work = tempfile.mkdtemp(prefix="broadsheet-cluster-")
        os.chmod(self.work, 0o755)
        self.nodes = []
        self.processes = []
        self.smtp = None
        self.s3 = None

    # -- PostgreSQL ------------------------------------------------------------------------------

    def postgres(self, action):
        done = subprocess.run(["sh", CLUSTER_SH, action, self.pg_dir], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self):
        self.pg_dir = os.path.join(self.work, "postgres")
        self.postgres("start")
        with open(os.path.join(self.pg_dir, "url")) as f:
            cluster_url = f.read().strip()
        done = subprocess.run(["psql", cluster_url, "-Atqc", "CREATE DATABASE site"], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        self.database_url = cluster_url.replace("/postgres", "/site", 1)

        # The SMTP sink every node mails through.
        from aiosmtpd.controller import Controller
        from test_newsletter import RecordingSmtp
        self.smtp_handler = self.smtp_handler or RecordingSmtp()
        smtp_port = free_port()
        self.smtp = Controller(self.smtp_handler, hostname="127.0.0.1", port=smtp_port)
        self.smtp.start()

        self.haproxy_port = free_port()
        self.varnish_port = free_port()
        env = dict(os.environ, BROADSHEET_THREADS="1", BROADSHEET_DRAIN_S="0",
                   BROADSHEET_COMMENTS_PER_MINUTE="0", BROADSHEET_COMMENTS_PER_HOUR="0",
                   BROADSHEET_SEARCHES_PER_MINUTE="0",
                   BROADSHEET_TRUSTED_PROXIES="127.0.0.1,::1",
                   BROADSHEET_CACHE_S_MAXAGE_S="3600",
                   BROADSHEET_CACHE_PURGE="http://127.0.0.1:%d" % self.varnish_port,
                   BROADSHEET_SMTP_URL="smtp://127.0.0.1:%d" % smtp_port,
                   BROADSHEET_MAIL_FROM="The Test Review <news@test.example>",
                   BROADSHEET_BASE_URL="http://test.example",
                   BROADSHEET_NEWSLETTER_RETRY_AFTER_S="1")
        from test_s3 import SECRET, S3rver, media_config, set_media
        self.s3 = S3rver()
        env["BROADSHEET_S3_SECRET_ACCESS_KEY"] = SECRET
        env.update(self.extra_env)
        self.env = env

        # One site, made once; every node gets its own copy of the folder, as machines would. The
        # media go to the bucket (the import's images too).
        first = os.path.join(self.work, "node0")
        done = harness.run("init", first, "--database-url", self.database_url)
        assert done.returncode == 0, done.stderr
        set_media(first, media_config(self.s3.port))
        content = os.path.join(self.work, "content")
        harness.write_tree(content, harness.CONTENT)
        done = subprocess.run([harness.BIN, "import", "markdown", content, "--site", first], capture_output=True,
                              text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        for i in range(1, self.count):
            shutil.copytree(first, os.path.join(self.work, "node%d" % i))
        self.nodes = [Node(chr(ord("A") + i), os.path.join(self.work, "node%d" % i), env)
                      for i in range(self.count)]

        self.start_varnish()
        for node in self.nodes:
            node.start()
        self.start_haproxy()
        self.wait_until_all_up()
        return self

    def site(self):
        """A site folder to run commands against (the first node's)."""
        return self.nodes[0].site

    def cli(self, *args, **kwargs):
        return subprocess.run([harness.BIN, *args, "--site", self.site()], capture_output=True, text=True,
                              timeout=kwargs.get("timeout", 120), env=self.env, input=kwargs.get("input"))

    def database(self):
        return harness.Database(url=self.database_url)

    # -- haproxy and Varnish ---------------------------------------------------------------------

    def start_haproxy(self):
        servers = "\n".join("  server %s 127.0.0.1:%d check" % (node.name, node.port) for node in self.nodes)
        config = os.path.join(self.work, "haproxy.cfg")
        with open(config, "w") as out:
            out.write(HAPROXY_CONFIG.format(port=self.haproxy_port, servers=servers))
        self.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", config], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.processes.append(self.haproxy)
        wait_for_port(self.haproxy_port, self.haproxy, "haproxy")

    def start_varnish(self):
        with open(os.path.join(harness.SOURCE, "docs", "caching.md")) as doc:
            text = doc.read()
        block = text.split("<!-- vcl:begin -->", 1)[1].split("<!-- vcl:end -->", 1)[0]
        vcl_text = block.split("```vcl", 1)[1].split("```", 1)[0]
        vcl_text = vcl_text.replace('.port = "8080";', '.port = "%d";' % self.haproxy_port)
        vcl = os.path.join(self.work, "broadsheet.vcl")
        with open(vcl, "w") as out:
            out.write(vcl_text)
        os.chmod(vcl, 0o644)
        self.varnish = subprocess.Popen(
            [VARNISHD, "-F", "-j", "none", "-n", os.path.join(self.work, "varnish"), "-a",
             "127.0.0.1:%d" % self.varnish_port, "-f", vcl, "-s", "malloc,32m", "-T", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.processes.append(self.varnish)
        wait_for_port(self.varnish_port, self.varnish, "varnishd")

    def wait_until_all_up(self, seconds=20):
        """Until haproxy's health checks have seen every node ready (it starts them as up, but a
        restarted node needs `rise` checks)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            for _ in range(3 * len(self.nodes)):
                try:
                    if get(self.haproxy_port, "/readyz")[0] != 200:
                        break
                except OSError:
                    break
            else:
                return
            time.sleep(0.2)
        raise AssertionError("haproxy never saw every node ready")

    def close(self):
        for node in self.nodes:
            node.stop()
        for process in self.processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
        if self.smtp:
            self.smtp.stop()
        if self.s3:
            self.s3.close()
        if getattr(self, "pg_dir", None):
            subprocess.run(["sh", CLUSTER_SH, "stop", self.pg_dir], capture_output=True, timeout=120)
        shutil.rmtree(self.work, ignore_errors=True)


def eventually(check, seconds):
    """Calls check() until it is true or `seconds` pass; the seconds it took, or None."""
    started = time.time()
    while True:
        if check():
            return time.time() - started
        if time.time() - started > seconds:
            return None
        time.sleep(0.02)


def title_of(page):
    found = re.search(rb"<title>(.*?)</title>", page, re.S)
    return found.group(1).decode() if found else ""
