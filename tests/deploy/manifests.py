"""The deployment files as the tests read them: rendered kustomize overlays, the compose
file, the vendored schemas, and a strict check of custom resources against their CRDs."""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = ROOT / "deploy" / "schemas"
OVERLAYS = ("dev", "production")
CRD_FILES = ("keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml", "rabbitmq.com_rabbitmqclusters.yaml")
# Kubernetes releases the manifests must be valid for: the oldest supported and the newest.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")


def kustomize_command() -> list[str]:
    """`kubectl kustomize` (kustomize v5 inside), or a standalone `kustomize build`."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    raise RuntimeError("neither kubectl nor kustomize is installed: run `make install`")


@functools.cache
def render(overlay: str) -> tuple[dict, ...]:
    out = subprocess.run([*kustomize_command(), str(K8S / "overlays" / overlay)],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"kustomize failed for {overlay}: {out.stderr}")
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def of_kind(objects, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (comments and blanks skipped), as kubectl --from-env-file reads them."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            assert key not in pairs, f"{path.name}: {key} twice"
            pairs[key.strip()] = value
    return pairs


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) → the openAPIV3Schema of that version of a vendored CRD."""
    out = {}
    for name in CRD_FILES:
        crd = yaml.safe_load((SCHEMAS / name).read_text())
        for version in crd["spec"]["versions"]:
            out[(f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])] = \
                version["schema"]["openAPIV3Schema"]
    return out


def unknown_fields(obj, schema: dict, path: str = "") -> list[str]:
    """Fields the schema does not declare. The API server would drop them without a word
    (structural pruning), so a misspelt `maxReplicaCount` would go unnoticed: fail instead."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found = []
    if isinstance(obj, dict) and schema.get("type") == "object":
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in obj.items():
            if path == "" and key in ("apiVersion", "kind", "metadata"):
                continue  # Kubernetes' own fields, checked by the API server
            if key in props:
                found += unknown_fields(value, props[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                found += unknown_fields(value, extra, f"{path}.{key}")
            else:
                found.append(f"{path}.{key}")
    elif isinstance(obj, list) and "items" in schema:
        for i, item in enumerate(obj):
            found += unknown_fields(item, schema["items"], f"{path}[{i}]")
    return found


def validate_custom_resource(obj: dict) -> list[str]:
    """Errors of a KEDA or RabbitMQ object against its vendored CRD: types, enums,
    required fields (JSON schema) and undeclared fields."""
    schema = crd_schemas()[(obj["apiVersion"], obj["kind"])]
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]
    return errors + [f"{p}: not in the CRD" for p in unknown_fields(obj, schema)]


def long_running_services() -> list[str]:
    """Every package of services/ that runs as a process (has __main__.py), but the CLI."""
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/__main__.py") if p.parent.name != "cli")


def consumed_queue(service: str) -> str | None:
    """The topology queue a worker consumes, read from its __main__ (run_worker(topology.X, ...))."""
    from shared.broker import topology

    m = re.search(r"run_worker\(\s*topology\.([A-Z_]+)", (ROOT / "services" / service / "__main__.py").read_text())
    return getattr(topology, m.group(1)).name if m else None
