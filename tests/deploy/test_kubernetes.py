"""deploy/k8s: each overlay rendered by kustomize, every object validated against the
Kubernetes schemas (kubernetes-validate) or its vendored CRD, and checked against the code:
settings, queue names, services, probes, limits, security."""
from __future__ import annotations

import re

import kubernetes_validate
import pytest

from shared import settings as settings_mod
from shared.broker import topology
from tests.deploy.manifests import (
    K8S,
    KUBERNETES_VERSIONS,
    OVERLAYS,
    ROOT,
    consumed_queue,
    crd_schemas,
    env_file,
    long_running_services,
    of_kind,
    render,
    unknown_fields,
    validate_custom_resource,
)

SETTINGS = {env for env, _, _ in settings_mod.documented()}
NOT_SETTINGS_IN_SECRET = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}  # boto3's own chain
KEDA_SCALED = {"labeler": topology.LABELER_POSTS.name, "inferer": topology.INFERER_REQUESTS.name}


def ours(objects) -> dict[str, dict]:
    """The Deployments that run the Likely image's services (not dev's MongoDB, Redis, MinIO, sandbox)."""
    return {n: d for n, d in of_kind(objects, "Deployment").items()
            if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/part-of") == "likely"}


def app(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_for_kubernetes_or_its_crd(overlay):
    objects = render(overlay)
    assert len(objects) > 20
    for obj in objects:
        where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
        if (obj["apiVersion"], obj["kind"]) in crd_schemas():
            assert validate_custom_resource(obj) == [], where
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{where} on Kubernetes {version}: {exc.message} at {list(exc.path)}")


def test_the_validators_catch_mistakes():
    """The checks above can fail: a misspelt KEDA field, a wrong type, a bad Deployment field."""
    scaled = dict(of_kind(render("production"), "ScaledObject")["labeler"])
    assert validate_custom_resource({**scaled, "spec": {**scaled["spec"], "maxReplicas": 3}})  # not KEDA's name
    assert validate_custom_resource({**scaled, "spec": {**scaled["spec"], "minReplicaCount": "two"}})
    schema = crd_schemas()[("rabbitmq.com/v1beta1", "RabbitmqCluster")]
    assert unknown_fields({"spec": {"replica": 3}}, schema) == [".spec.replica"]
    deployment = of_kind(render("production"), "Deployment")["gateway"]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_long_running_service_is_deployed(overlay):
    deployed = ours(render(overlay))
    assert sorted(deployed) == long_running_services()
    for name, deployment in deployed.items():
        assert app(deployment)["command"] == ["python", "-m", f"services.{name}"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmap_and_secret_name_every_setting_once(overlay):
    objects = render(overlay)
    (configmap,) = [c for n, c in of_kind(objects, "ConfigMap").items() if n.startswith("likely-settings-")]
    secret_keys = set(env_file(K8S / "overlays" / overlay / "secrets.env.example")) - NOT_SETTINGS_IN_SECRET
    config_keys = set(configmap["data"])
    assert not config_keys & secret_keys, "a setting in both the ConfigMap and the Secret"
    assert config_keys | secret_keys == SETTINGS, (
        f"missing: {sorted(SETTINGS - config_keys - secret_keys)}; "
        f"unknown: {sorted((config_keys | secret_keys) - SETTINGS)}"
    )
    # Nothing secret is committed: the Secret is made from secrets.env, never rendered.
    assert not of_kind(objects, "Secret")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_settings_parse_as_the_services_read_them(overlay, monkeypatch):
    objects = render(overlay)
    (configmap,) = [c for n, c in of_kind(objects, "ConfigMap").items() if n.startswith("likely-settings-")]
    for key, value in {**configmap["data"], **env_file(K8S / "overlays" / overlay / "secrets.env.example")}.items():
        monkeypatch.setenv(key, value)
    s = settings_mod.load()  # int/float settings that do not parse raise here
    assert s.gateway_host == "0.0.0.0" and s.image_store == "s3"  # reachable; images shared between pods
    assert s.data_dir == "/app/var"  # the image's (Dockerfile), where run/ is an emptyDir
    for deployment in ours(objects).values():
        refs = [next(iter(r.values()))["name"] for r in app(deployment)["envFrom"]]
        assert refs == [configmap["metadata"]["name"], "likely-secrets"]
    gateway = app(ours(objects)["gateway"])
    assert gateway["ports"][0]["containerPort"] == s.gateway_port
    if overlay == "production":
        assert s.labeler == "rekognition" and s.public_url.startswith("https://") and not s.s3_endpoint_url


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_scales_the_workers_on_their_real_queues(overlay):
    objects = render(overlay)
    (cluster,) = of_kind(objects, "RabbitmqCluster").values()
    namespace = cluster["metadata"]["namespace"]
    auth = of_kind(objects, "TriggerAuthentication")
    scaled = of_kind(objects, "ScaledObject")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled.values()} == set(KEDA_SCALED)
    for so in scaled.values():
        target = so["spec"]["scaleTargetRef"]["name"]
        (trigger,) = so["spec"]["triggers"]
        meta = trigger["metadata"]
        assert meta["queueName"] == KEDA_SCALED[target] == consumed_queue(target)
        assert meta["queueName"] in {q.name for q in topology.WORK_QUEUES}
        assert meta["mode"] == "QueueLength" and float(meta["value"]) > 0
        assert meta["host"] == f"http://{cluster['metadata']['name']}.{namespace}.svc:15672"
        assert 1 <= so["spec"]["minReplicaCount"] <= so["spec"]["maxReplicaCount"]
        refs = auth[trigger["authenticationRef"]["name"]]["spec"]["secretTargetRef"]
        assert {r["name"] for r in refs} == {f"{cluster['metadata']['name']}-default-user"}
        # KEDA owns the replica count: a `replicas` in the Deployment would reset it on every apply.
        assert "replicas" not in of_kind(objects, "Deployment")[target]["spec"]
    (hpa,) = of_kind(objects, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "replicas" not in of_kind(objects, "Deployment")["gateway"]["spec"]


def test_rabbitmq_is_three_nodes_in_production():
    (cluster,) = of_kind(render("production"), "RabbitmqCluster").values()
    assert cluster["spec"]["replicas"] == 3
    for queue in topology.WORK_QUEUES + topology.DEAD_QUEUES:
        assert queue.queue_arguments["x-queue-type"] == "quorum"  # replicated over the three


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_limits_security_and_termination(overlay):
    s = settings_mod.load()
    dockerfile = (ROOT / "Dockerfile").read_text()
    uid = int(re.search(r"^USER (\d+)$", dockerfile, re.M).group(1))
    minimum_grace = {  # what the longest message (or request) of each takes, at most
        "gateway": 5 + 10,  # preStop sleep + gunicorn --graceful-timeout
        "labeler": s.download_timeout + 5, "inferer": s.rpc_timeout, "builder": 30, "ingestor": 60, "janitor": 10,
    }
    for name, deployment in ours(render(overlay)).items():
        pod = deployment["spec"]["template"]["spec"]
        c = app(deployment)
        for kind in ("requests", "limits"):
            assert set(c["resources"][kind]) == {"cpu", "memory"}, f"{name} {kind}"
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == uid
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert pod["automountServiceAccountToken"] is False
        # The one place a service writes (the gateway's Prometheus files) is an emptyDir.
        assert {m["mountPath"] for m in c["volumeMounts"]} >= {"/tmp", "/app/var/run"}
        assert name in minimum_grace, f"{name}: how long does its longest message take? (minimum_grace)"
        assert pod["terminationGracePeriodSeconds"] >= minimum_grace[name], name
        if name == "gateway":
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        else:  # the worker's own /healthz: 200 while its consumer is connected (shared.worker_metrics)
            for probe in ("livenessProbe", "readinessProbe"):
                assert c[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, f"{name} {probe}"
        assert c["livenessProbe"].get("initialDelaySeconds", 0) >= 5, name  # time to start before a kill


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_worker_exposes_its_metrics_port_to_prometheus(overlay):
    objects = render(overlay)
    (configmap,) = [c for n, c in of_kind(objects, "ConfigMap").items() if n.startswith("likely-settings-")]
    port = int(configmap["data"]["LIKELY_METRICS_PORT"])
    assert port > 0 and configmap["data"]["LIKELY_METRICS_HOST"] == "0.0.0.0"  # reachable from outside the pod
    workers = {n: d for n, d in ours(objects).items() if n != "gateway"}
    assert sorted(workers) == [n for n in long_running_services() if n != "gateway"]
    for name, deployment in {**workers, "gateway": ours(objects)["gateway"]}.items():
        c = app(deployment)
        (served,) = [p for p in c["ports"] if p["name"] == ("http" if name == "gateway" else "metrics")]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == served["containerPort"], name
        if name != "gateway":
            assert served["containerPort"] == port, name
    # Prometheus (namespace `monitoring`) may reach that port on every worker pod.
    allowed = [p["spec"] for p in of_kind(objects, "NetworkPolicy").values()
               if any(src.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                      == "monitoring" and {"port": port, "protocol": "TCP"} in rule.get("ports", [])
                      for rule in p["spec"].get("ingress", []) for src in rule.get("from", []))]
    assert [spec["podSelector"] for spec in allowed] == [{"matchLabels": {"app.kubernetes.io/component": "worker"}}]
    for deployment in workers.values():
        assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budgets_ingress_and_network_policy(overlay):
    objects = render(overlay)
    deployments = ours(objects)
    covered = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in of_kind(objects, "PodDisruptionBudget").values()
    }
    assert covered >= set(deployments) | {"likely-rabbitmq"}
    (ingress,) = of_kind(objects, "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"
    policies = of_kind(objects, "NetworkPolicy").values()
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies), "no default deny"
    # Only the gateway is open to any source; every other rule names its sources.
    open_to_all = [p["spec"]["podSelector"] for p in policies
                   for rule in p["spec"].get("ingress", []) if "from" not in rule]
    assert open_to_all == [{"matchLabels": {"app.kubernetes.io/name": "gateway"}}]
    for p in policies:
        for rule in p["spec"].get("ingress", []):
            for source in rule.get("from", []):
                if p["spec"]["podSelector"] == {}:  # rules for every pod: this namespace only
                    assert set(source) == {"podSelector"}, p["metadata"]["name"]


def test_production_takes_its_infrastructure_by_url():
    objects = render("production")
    assert not of_kind(objects, "StatefulSet") and set(of_kind(objects, "Deployment")) == set(ours(objects))
    dev = render("dev")
    assert {"mongo"} <= set(of_kind(dev, "StatefulSet")) and {"redis", "s3", "sandbox"} <= set(
        of_kind(dev, "Deployment")
    )
