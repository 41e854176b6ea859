"""deploy/: the Prometheus rules pass promtool (syntax and their unit tests), the Grafana
dashboard and the alerts use only the metric names the admin port serves, the Kubernetes
manifests are well formed and probe the admin port, and the sample configurations start
a real server.
"""

import glob
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import IS_REDIS, REPO
from resp import RawConn

DEPLOY = os.path.join(REPO, "deploy")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package 'prometheus')")
pairdb_only = pytest.mark.skipif(IS_REDIS, reason="PairDB's configuration files")

METRICS = {
    "up", "pairdb_commands_total", "pairdb_command_errors_total",
    "pairdb_command_duration_seconds_bucket", "pairdb_command_duration_seconds_count",
    "pairdb_memory_used_bytes", "pairdb_memory_max_bytes", "pairdb_wal_writes_refused",
    "pairdb_wal_fsync_duration_seconds_bucket", "pairdb_snapshot_last_status",
}


def _metric_names(expr):
    return set(re.findall(r"\b(pairdb_[a-z_]+|up)\b", expr))


@needs_promtool
def test_alert_rules_pass_promtool():
    rules = os.path.join(DEPLOY, "prometheus", "pairdb-alerts.yml")
    out = subprocess.run([PROMTOOL, "check", "rules", rules], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 9 rules found" in out.stdout


@needs_promtool
def test_alert_rules_unit_tests():
    tests = os.path.join(DEPLOY, "prometheus", "pairdb-alerts.test.yml")
    out = subprocess.run([PROMTOOL, "test", "rules", tests], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_alerts_cover_the_runbook_and_use_known_metrics():
    with open(os.path.join(DEPLOY, "prometheus", "pairdb-alerts.yml")) as f:
        doc = yaml.safe_load(f)
    rules = [r for g in doc["groups"] for r in g["rules"]]
    names = {r["alert"] for r in rules}
    assert {"PairDBInstanceDown", "PairDBHighErrorRate", "PairDBHighLatency",
            "PairDBMemoryNearMax", "PairDBSnapshotFailing", "PairDBWritesRefused",
            "PairDBSlowDisk"} <= names
    for r in rules:
        assert _metric_names(r["expr"]) <= METRICS, r["alert"]
        assert r["labels"]["severity"] in ("critical", "warning", "info")


def test_grafana_dashboard_uses_known_metrics():
    with open(os.path.join(DEPLOY, "grafana", "pairdb.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    assert len(exprs) >= 10
    used = set()
    for e in exprs:
        used |= _metric_names(e)
    assert used <= METRICS
    assert METRICS - used <= {"pairdb_command_duration_seconds_count"}
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def test_kubernetes_manifests():
    docs = {}
    for path in glob.glob(os.path.join(DEPLOY, "k8s", "*.yaml")):
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                docs[d["kind"]] = d
    assert set(docs) == {"StatefulSet", "Service", "PodDisruptionBudget", "ConfigMap"}
    assert docs["Service"]["spec"]["clusterIP"] == "None"
    sts = docs["StatefulSet"]["spec"]
    assert sts["serviceName"] == docs["Service"]["metadata"]["name"]
    container = sts["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"resp": 6379, "admin": 9379}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "admin"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "admin"}
    labels = sts["selector"]["matchLabels"]
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels
    assert docs["Service"]["spec"]["selector"] == labels
    conf = docs["ConfigMap"]["data"]["pairdb.conf"]
    assert re.search(r"^admin-port 9379$", conf, re.M)
    assert "requirepass" not in conf


def _admin_port_supported(server):
    c = RawConn(server.host, server.port)
    try:
        return c.cmdp("CONFIG", "GET", "admin-port") != []
    finally:
        c.close()


def _conf_without(text, names):
    """The configuration with the lines that point at system paths dropped."""
    keep = [line for line in text.splitlines() if line.split(" ", 1)[0] not in names]
    return "\n".join(keep) + "\n"


@pairdb_only
@pytest.mark.parametrize("source", ["deploy/pairdb.conf", "deploy/k8s/configmap.yaml"])
def test_sample_configurations_start_a_server(server, start_server, tmp_path, source):
    if not _admin_port_supported(server):
        pytest.skip("this build has no admin port (admin-port)")
    with open(os.path.join(REPO, source)) as f:
        text = f.read()
    if source.endswith(".yaml"):
        text = yaml.safe_load(text)["data"]["pairdb.conf"]
    conf = tmp_path / "pairdb.conf"
    conf.write_text(_conf_without(text, {"dir", "logfile", "include", "bind", "port",
                                         "supervised", "admin-port", "admin-bind"}))
    s = start_server(str(conf), "--logfile", str(tmp_path / "server.log"), "--admin-port", "0")
    c = RawConn(s.host, s.port)
    try:
        assert c.cmd("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd("CONFIG", "GET", "slowlog-max-len") == \
            b"*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n256\r\n"
    finally:
        c.close()


def test_systemd_unit_is_well_formed():
    path = os.path.join(DEPLOY, "systemd", "pairdb.service")
    with open(path) as f:
        text = f.read()
    assert re.search(r"^Type=notify$", text, re.M)
    assert re.search(r"^ExecStart=/usr/bin/pairdb-server .*--supervised systemd", text, re.M)
    assert re.search(r"^ExecReload=/bin/kill -HUP \$MAINPID$", text, re.M)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    out = subprocess.run([analyze, "verify", path], capture_output=True, text=True, timeout=60)
    # The binary is not installed here; any other complaint is a real problem.
    problems = [line for line in (out.stdout + out.stderr).splitlines()
                if line and "is not executable" not in line]
    assert problems == []


# ---- the dashboard and the alerts, evaluated by a real Prometheus ---------------------------

PROMETHEUS = shutil.which("prometheus")


def _prom_query(web, expr):
    import urllib.parse
    import urllib.request
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (web, urllib.parse.urlencode({"query": expr}))
    with urllib.request.urlopen(url, timeout=5) as resp:
        doc = json.load(resp)
    assert doc["status"] == "success", (expr, doc)
    return doc["data"]["result"]


def _dashboard_exprs():
    with open(os.path.join(DEPLOY, "grafana", "pairdb.json")) as f:
        doc = json.load(f)
    exprs = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                exprs.append(node["expr"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc.get("panels", doc))
    return exprs


def _alert_exprs():
    with open(os.path.join(DEPLOY, "prometheus", "pairdb-alerts.yml")) as f:
        doc = yaml.safe_load(f)
    return [r["expr"] for g in doc["groups"] for r in g["rules"] if "expr" in r]


@pairdb_only
@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian package 'prometheus')")
def test_dashboard_and_alert_queries_return_data(start_server, tmp_path):
    import threading
    import time
    from conftest import free_port, wait_for
    admin = free_port()
    s = start_server("--admin-port", admin, "--appendonly", "yes", "--maxmemory", "1gb")
    web = free_port()
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: pairdb\n    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n" % admin)
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([PROMETHEUS, "--config.file=%s" % (tmp_path / "prometheus.yml"),
                             "--storage.tsdb.path=%s" % (tmp_path / "data"),
                             "--web.listen-address=127.0.0.1:%d" % web],
                            cwd=tmp_path, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    stop = threading.Event()

    def traffic():
        c = RawConn(s.host, s.port)
        n = 0
        while not stop.is_set():
            c.cmd("SET", "k%d" % (n % 100), "v")
            c.cmd("GET", "k%d" % (n % 100))
            c.cmd("INCR", "not-a-number-key" if n % 10 else "k0")  # some errors too
            n += 1
        c.close()
    t = threading.Thread(target=traffic)
    t.start()
    try:
        def scraped():
            try:
                return _prom_query(web, 'up{job="pairdb"} == 1')
            except OSError:
                return None
        assert wait_for(scraped, timeout=30), (tmp_path / "prometheus.log").read_text()[-2000:]
        time.sleep(6)  # several scrapes: rates need two samples in their window
        subst = {"$job": "pairdb", "$instance": ".*", "$__rate_interval": "10s"}
        for expr in _dashboard_exprs():
            for k, v in subst.items():
                expr = expr.replace(k, v)
            assert _prom_query(web, expr), "dashboard query returns no data: " + expr
        for expr in _alert_exprs():
            _prom_query(web, expr)  # valid PromQL against the live series
            for name in _metric_names(expr):
                assert _prom_query(web, 'count(%s{job="pairdb"})' % name), \
                    "alert uses a metric PairDB does not export: %s in %s" % (name, expr)
    finally:
        stop.set()
        t.join(10)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
