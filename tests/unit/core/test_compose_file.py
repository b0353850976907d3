"""docker-compose.yml (no Docker engine runs here, so the file is parsed and checked)."""
from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[3] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
WORKERS = ("labeler", "inferer", "ingestor", "builder")


def test_infrastructure_is_there():
    assert "management" in SERVICES["rabbitmq"]["image"] and "15672:15672" in SERVICES["rabbitmq"]["ports"]
    assert SERVICES["redis"]["image"].startswith("redis")
    assert SERVICES["mongo"]["image"].startswith("mongo")
    assert "s3" in SERVICES and "sandbox" in SERVICES


def test_every_service_runs_its_module():
    for name in ("gateway", *WORKERS):
        assert SERVICES[name]["command"][:3] == ["python", "-m", f"services.{name}"], name


def test_workers_scale_freely():
    for name in WORKERS:
        svc = SERVICES[name]
        assert "container_name" not in svc and "ports" not in svc, f"{name} would not scale"
    assert SERVICES["labeler"]["deploy"]["replicas"] >= 2


def test_services_point_at_the_containers_not_localhost():
    env = SERVICES["gateway"]["environment"]
    assert "rabbitmq:5672" in env["LIKELY_AMQP_URL"] and "redis:6379" in env["LIKELY_REDIS_URL"]
    assert "mongo:27017" in env["LIKELY_MONGO_URL"] and env["LIKELY_IMAGE_STORE"] == "s3"
    for name in WORKERS:
        assert set(SERVICES[name]["depends_on"]) >= {"rabbitmq", "redis", "mongo"}
