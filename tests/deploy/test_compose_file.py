"""docker-compose.yml, validated against the Compose Specification's JSON schema (vendored:
deploy/schemas/SOURCES.md) and checked against the code. No Docker engine runs here; where
one does, `docker compose config -q` checks the same file."""
from __future__ import annotations

import copy
import json

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


def test_workers_scale_freely():
    """`docker compose up --scale labeler=4`: no fixed name, no host port, nothing per replica."""
    for name in long_running_services():
        if name == "gateway":
            continue
        svc = SERVICES[name]
        assert "container_name" not in svc and "ports" not in svc, f"{name} would not scale"
        assert svc["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/amqp_probe.py", "--pid", "1"]
        assert "init" not in svc  # the probe reads PID 1: the worker itself
    assert SERVICES["labeler"]["deploy"]["replicas"] >= 2


def test_services_are_configured_with_known_settings_pointing_at_the_containers():
    for name in long_running_services():
        env = SERVICES[name]["environment"]
        unknown = set(env) - SETTINGS - {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        assert not unknown, f"{name}: {unknown} are not settings of shared/settings.py"
        assert "@rabbitmq:5672" in env["LIKELY_AMQP_URL"] and "//redis:6379" in env["LIKELY_REDIS_URL"]
        assert "//mongo:27017" in env["LIKELY_MONGO_URL"] and env["LIKELY_IMAGE_STORE"] == "s3"
        assert env["LIKELY_S3_ENDPOINT_URL"] == "http://s3:9000"
    assert SERVICES["gateway"]["environment"]["LIKELY_GATEWAY_HOST"] == "0.0.0.0"


def test_prometheus_scrapes_what_exists_and_grafana_is_provisioned():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {"gateway:8000", "rabbitmq:15692"}
    mounts = {v.split(":")[0] for v in SERVICES["prometheus"]["volumes"] + SERVICES["grafana"]["volumes"] if v.startswith("./")}
    for mount in mounts:
        assert (ROOT / mount).exists(), mount
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "likely.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    assert "labeler.posts" in exprs and "likely_gateway_requests_total" in exprs
