"""docker-compose.yml, validated against the Compose Specification's JSON schema (vendored:
deploy/schemas/SOURCES.md) and checked against the code. No Docker engine runs here; where
one does, `docker compose config -q` checks the same file."""
from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml

from shared import settings as settings_mod
from tests.deploy.manifests import ROOT, SCHEMAS, long_running_services

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # merge keys (<<:) resolved
SERVICES = COMPOSE["services"]
VALIDATOR = jsonschema.Draft7Validator(json.loads((SCHEMAS / "compose-spec.json").read_text()))
SETTINGS = {env for env, _, _ in settings_mod.documented()}
INFRASTRUCTURE = {"rabbitmq", "redis", "mongo", "s3"}
WORKERS = [name for name in long_running_services() if name != "gateway"]
PROMETHEUS = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())


def errors(document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_file_is_valid_compose():
    assert errors(COMPOSE) == []


@pytest.mark.parametrize("mistake", [
    lambda c: c["services"]["labeler"]["depends_on"]["redis"].update(condition="service_happy"),
    lambda c: c["services"]["gateway"].update(port=["8000:8000"]),
    lambda c: c["services"]["rabbitmq"]["healthcheck"].update(tests=["CMD", "true"]),
])
def test_the_schema_catches_mistakes(mistake):
    broken = copy.deepcopy(COMPOSE)
    mistake(broken)
    assert errors(broken)


def test_every_long_running_service_runs_from_the_dockerfile():
    for name in long_running_services():
        svc = SERVICES[name]
        assert svc["command"] == ["python", "-m", f"services.{name}"], name
        assert svc["build"] == "." and svc["image"] == "likely:latest", name
    assert (ROOT / "Dockerfile").exists()


def test_infrastructure_and_monitoring_are_there():
    assert SERVICES["rabbitmq"]["image"].endswith("-management") and "15672:15672" in SERVICES["rabbitmq"]["ports"]
    assert SERVICES["redis"]["image"].startswith("redis:") and SERVICES["mongo"]["image"].startswith("mongo:")
    assert SERVICES["prometheus"]["image"].startswith("prom/prometheus:v")
    assert SERVICES["grafana"]["image"].startswith("grafana/grafana:")
    for svc in SERVICES.values():  # pinned: no floating tags
        assert not svc["image"].endswith(":latest") or svc.get("build") == "."


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies():
    for name, svc in SERVICES.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for dep, cond in svc.get("depends_on", {}).items():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
            assert cond["condition"] == "service_healthy", f"{name} → {dep}"
    for name in long_running_services():
        assert set(SERVICES[name]["depends_on"]) >= INFRASTRUCTURE, name


def metrics_port(service: str) -> int:
    return int(SERVICES[service]["environment"]["LIKELY_METRICS_PORT"])


def test_workers_scale_freely_and_serve_their_health_and_metrics():
    """`docker compose up --scale labeler=4`: no fixed name, no host port, nothing per replica;
    each replica serves /metrics and /healthz on the same port of its own container."""
    for name in WORKERS:
        svc = SERVICES[name]
        assert "container_name" not in svc and "ports" not in svc, f"{name} would not scale"
        port = metrics_port(name)
        assert port > 0 and svc["environment"]["LIKELY_METRICS_HOST"] == "0.0.0.0", name  # reachable
        assert svc["healthcheck"]["test"] == ["CMD", "curl", "-fsS", f"http://127.0.0.1:{port}/healthz"], name
    assert SERVICES["labeler"]["deploy"]["replicas"] >= 2
    assert "LIKELY_METRICS_PORT" not in SERVICES["gateway"]["environment"]  # it serves /metrics on its own port


def test_services_are_configured_with_known_settings_pointing_at_the_containers():
    for name in long_running_services():
        env = SERVICES[name]["environment"]
        unknown = set(env) - SETTINGS - {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        assert not unknown, f"{name}: {unknown} are not settings of shared/settings.py"
        assert "@rabbitmq:5672" in env["LIKELY_AMQP_URL"] and "//redis:6379" in env["LIKELY_REDIS_URL"]
        assert "//mongo:27017" in env["LIKELY_MONGO_URL"] and env["LIKELY_IMAGE_STORE"] == "s3"
        assert env["LIKELY_S3_ENDPOINT_URL"] == "http://s3:9000"
    assert SERVICES["gateway"]["environment"]["LIKELY_GATEWAY_HOST"] == "0.0.0.0"


def test_prometheus_scrapes_the_gateway_rabbitmq_and_every_replica_of_every_worker():
    jobs = PROMETHEUS["scrape_configs"]
    static = {t for job in jobs for sc in job.get("static_configs", []) for t in sc["targets"]}
    assert static == {"gateway:8000", "rabbitmq:15692"}
    # Every worker by DNS (all replicas of a service), on the port it serves, and nothing else.
    dns = [(name, sd["port"]) for job in jobs for sd in job.get("dns_sd_configs", []) for name in sd["names"]]
    assert sorted(dns) == sorted((name, metrics_port(name)) for name in WORKERS)
    assert all(sd["type"] == "A" for job in jobs for sd in job.get("dns_sd_configs", []))
    waits_for = set(SERVICES["prometheus"]["depends_on"])
    assert waits_for >= {"gateway", "rabbitmq", *WORKERS}
    queues = [job for job in jobs if job.get("metrics_path") == "/metrics/detailed"]
    assert queues and "queue_coarse_metrics" in queues[0]["params"]["family"]  # per-queue depths


def test_the_local_prometheus_reads_the_targets_the_stack_writes():
    local = yaml.safe_load((ROOT / "deploy" / "prometheus" / "local.yml").read_text())
    (files,) = [sd["files"] for job in local["scrape_configs"] for sd in job.get("file_sd_configs", [])]
    written = re.search(r'"\$RUN/(prometheus-targets\.json)"', (ROOT / "scripts" / "stack.sh").read_text())
    run_dir = re.search(r'^RUN="\$VAR/(.+)"$', (ROOT / "scripts" / "stack.sh").read_text(), re.M).group(1)
    assert written and files == [f"../../var/{run_dir}/{written.group(1)}"]


SAMPLE_SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}


def test_grafana_is_provisioned_with_a_dashboard_of_metrics_that_exist():
    import prometheus_client

    import services.gateway.health
    import shared.worker_metrics

    mounts = {
        v.split(":")[0]
        for v in SERVICES["prometheus"]["volumes"] + SERVICES["grafana"]["volumes"]
        if v.startswith("./")
    }
    for mount in mounts:
        assert (ROOT / mount).exists(), mount
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "likely.json").read_text())
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    ours = set()
    for module in (shared.worker_metrics, services.gateway.health):
        for metric in vars(module).values():
            if isinstance(metric, prometheus_client.metrics.MetricWrapperBase):
                for family in metric.describe():
                    ours |= {f"{family.name}{suffix}" for suffix in SAMPLE_SUFFIXES[family.type]}
    used = set(re.findall(r"\blikely_[a-z_]+", exprs))
    assert used <= ours, f"not exported by any service: {sorted(used - ours)}"
    for needed in ("likely_messages_handled_total", "likely_message_handling_seconds_bucket",
                   "likely_messages_dead_lettered_total", "rabbitmq_detailed_queue_messages"):
        assert needed in exprs, needed
    assert "labeler.posts" in exprs and '.+\\\\.dead' in exprs
