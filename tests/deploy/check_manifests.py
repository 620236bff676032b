#!/usr/bin/env python3
"""Checks that deploy/kubernetes/*.yaml parse and agree with the service and its Dockerfile.

What "agree" means here: the ports, probe paths, config path, env var names, config keys and user id
that the manifests name are the ones the service and the image actually use, so a `kubectl apply`
of these files gives pods that start, get traffic and find their secrets. The config keys and the
env var names come from the binary's own key table (`twiml-redirect check-config --schema`), and
the ConfigMap's config is also validated by the real `twiml-redirect check-config`.

Every variable serve and provision need for the shipped config (and with the options the docs tell
an operator to turn on) is in the Deployment's and the Job's env: the binary's own checks
(check-config --strict, provision) run with exactly those variables set.

With --kubernetes-models, each object is also validated against Kubernetes' OpenAPI schemas
(validate_k8s.mjs, through the kubernetes-models npm package).

Usage: check_manifests.py --repo DIR --binary PATH [--kubernetes-models NODE_MODULES]
Exit status: 0 when every check passes, 1 otherwise (each failure is printed).
"""

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import yaml
except ImportError:  # a missing dependency is a failure, not a skip: install-deps --dev has it
    print("FAIL: PyYAML is missing (apt-get install python3-yaml, or scripts/install-deps --dev)")
    sys.exit(1)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
DEFAULT_PORT = 3000

# Environment variables the service reads that are not config keys (main.cpp, OpenSSL). The rest,
# and the config file's keys, come from the binary: load_schema() fills the three below.
NON_CONFIG_ENV = {"SSL_CERT_FILE", "TWIML_REDIRECT_CONFIG"}
SERVICE_ENV = set()  # every env var the service reads (besides each number's trunk_pwd_env)
SECRET_ENV = set()   # secrets: only ever from a Secret, never a literal value in a manifest
CONFIG_SCHEMA = {}   # the file's keys: True a value, None a free-form object, [x] a list of x


def load_schema(binary):
    """Fills SERVICE_ENV, SECRET_ENV and CONFIG_SCHEMA from `check-config --schema`; the error or None."""
    try:
        result = subprocess.run([binary, "check-config", "--schema"], capture_output=True, text=True, timeout=30)
        rows = json.loads(result.stdout) if result.returncode == 0 else None
    except (OSError, ValueError) as error:
        return str(error)
    if rows is None:
        return f"exit {result.returncode}: {result.stderr}"
    SERVICE_ENV.update(NON_CONFIG_ENV | {row["env"] for row in rows if row.get("env")})
    SECRET_ENV.update(row["env"] for row in rows if row.get("env") and row["secret"])
    for row in rows:
        if row["secret"]:
            continue  # environment only: in the file it is an unknown key
        node = CONFIG_SCHEMA
        *parents, last = row["path"].split(".")
        for part in parents:  # rows come depth first, so every parent is there already
            node = node[part[:-2]][0] if part.endswith("[]") else node[part]
        node[last] = {"object": {}, "object list": [{}], "json object": None, "string map": None}.get(row["type"], True)
    return None

KNOWN_KINDS = {
    "ConfigMap": "v1", "Service": "v1", "Deployment": "apps/v1", "Job": "batch/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1",
}
REQUIRED_KINDS = ("ConfigMap", "Service", "Deployment", "Job", "HorizontalPodAutoscaler")


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, ok, what):
        print(("  ok   " if ok else "  FAIL ") + what)
        if not ok:
            self.failures += 1
        return ok


def unknown_keys(value, schema, path=""):
    """Key paths in value that the schema does not list."""
    if schema is None or schema is True:
        return []
    if isinstance(schema, list):
        items = value if isinstance(value, list) else []
        return [p for i, item in enumerate(items) for p in unknown_keys(item, schema[0], f"{path}[{i}]")]
    if not isinstance(value, dict):
        return [f"{path} (expected an object)"]
    found = []
    for key, sub in value.items():
        where = f"{path}.{key}" if path else key
        if key not in schema:
            found.append(where)
        else:
            found += unknown_keys(sub, schema[key], where)
    return found


def load_documents(directory, pattern="*.y*ml"):
    docs = []
    for file in sorted(directory.glob(pattern)):
        with file.open() as handle:
            for doc in yaml.safe_load_all(handle):
                if doc is not None:
                    docs.append((str(file.relative_to(directory)), doc))
    return docs


def check_schemas(c, directory, node_modules):
    """Every object of every manifest (the example Redis's too) against Kubernetes' OpenAPI schemas."""
    docs = load_documents(directory, "**/*.y*ml")
    objects = json.dumps([{"file": file, "object": doc} for file, doc in docs])
    result = subprocess.run(["node", str(Path(__file__).with_name("validate_k8s.mjs")), str(node_modules)],
                            input=objects, capture_output=True, text=True, timeout=120)
    print(result.stdout, end="")
    c.check(result.returncode == 0 and result.stdout.count("  ok   ") == len(docs),
            f"{len(docs)} objects match Kubernetes' schemas (kubernetes-models)" + (f": {result.stderr}" if result.stderr else ""))


def only(docs, kind):
    matches = [d for _, d in docs if d.get("kind") == kind]
    return matches[0] if len(matches) == 1 else None


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def container_port(container, port_ref):
    """Resolves a probe's or Service's port (number or name) to the container port number."""
    if isinstance(port_ref, int):
        return port_ref
    for port in container.get("ports", []):
        if port.get("name") == port_ref:
            return port.get("containerPort")
    return None


def config_path_of(container, pod):
    """The --config argument, and the file the mounted ConfigMap puts there (ConfigMap name or None)."""
    args = container.get("args", [])
    path = args[args.index("--config") + 1] if "--config" in args[:-1] else None
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        source = volumes.get(mount["name"], {}).get("configMap")
        if not source or path is None:
            continue
        for item in source.get("items", []):
            if os.path.join(mount["mountPath"], item["path"]) == path:
                return path, source["name"], item["key"]
    return path, None, None


def env_entries(container):
    return {e["name"]: e for e in container.get("env", [])}


def check_workload(c, name, workload, config_map, config, expect_first_arg):
    pod = pod_spec(workload)
    containers = pod.get("containers", [])
    if not c.check(len(containers) == 1, f"{name}: one container"):
        return None
    container = containers[0]
    args = container.get("args", [])
    c.check(args[:1] == [expect_first_arg], f"{name}: runs `twiml-redirect {expect_first_arg}` (args {args})")

    path, cm_name, cm_key = config_path_of(container, pod)
    c.check(cm_name == config_map["metadata"]["name"] and cm_key in config_map.get("data", {}),
            f"{name}: --config {path} is the mounted ConfigMap {cm_name}/{cm_key}")

    security = pod.get("securityContext", {})
    container_security = container.get("securityContext", {})
    run_as = container_security.get("runAsUser", security.get("runAsUser"))
    c.check(security.get("runAsNonRoot") is True and isinstance(run_as, int) and run_as != 0,
            f"{name}: runAsNonRoot with a non-zero runAsUser ({run_as})")
    c.check(container_security.get("readOnlyRootFilesystem") is True, f"{name}: read-only root filesystem")
    c.check(container_security.get("allowPrivilegeEscalation") is False, f"{name}: no privilege escalation")

    resources = container.get("resources", {})
    c.check(all(k in resources.get(kind, {}) for kind in ("requests", "limits") for k in ("cpu", "memory")),
            f"{name}: cpu and memory requests and limits")

    env = env_entries(container)
    trunk_envs = {n.get("trunk_pwd_env") for n in config.get("numbers", []) + config.get("synthflow", {}).get("numbers", [])} - {None}
    unknown = sorted(set(env) - SERVICE_ENV - trunk_envs)
    c.check(not unknown, f"{name}: every env var is one the service reads (unknown: {unknown})")
    needed = {"SYNTHFLOW_API_KEY"} | trunk_envs
    missing = sorted(needed - set(env))
    c.check(not missing, f"{name}: sets {sorted(needed)} (missing: {missing})")
    literal = sorted(n for n in (SECRET_ENV | trunk_envs) & set(env)
                     if "secretKeyRef" not in env[n].get("valueFrom", {}))
    c.check(not literal, f"{name}: secrets come from secretKeyRef (not: {literal})")
    return container


def check_dockerfile(c, repo, port, run_as_user, config_path):
    text = re.sub(r"\\\n\s*", " ", (repo / "Dockerfile").read_text())  # join continued lines
    runtime = text.split("FROM ")[-1]  # the last stage is the image
    c.check(re.search(rf"^EXPOSE\s+{port}\b", runtime, re.M) is not None, f"Dockerfile: EXPOSE {port}")
    user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    c.check(bool(user) and user[-1].split(":")[0] == str(run_as_user),
            f"Dockerfile: USER {user[-1] if user else None} matches runAsUser {run_as_user}")
    c.check(re.search(r"^CMD\s.*\"" + re.escape(config_path) + '"', runtime, re.M) is not None,
            f"Dockerfile: CMD reads the config at {config_path}")
    # The image is the install layout (cmake/packaging.cmake, prefix /usr), as the .deb: the default
    # config lands at /etc/twiml-redirect/twiml-redirect.json, the path the manifests mount.
    c.check(re.search(r"-DCMAKE_INSTALL_PREFIX=/usr\b", text) is not None
            and re.search(r"DESTDIR=/install cmake --install ", text) is not None
            and re.search(r"^COPY --from=build /install/ /\s*$", runtime, re.M) is not None
            and config_path == "/etc/twiml-redirect/twiml-redirect.json",
            f"Dockerfile: cmake --install with prefix /usr puts the default config at {config_path}")
    c.check(re.search(r"^HEALTHCHECK\s.*\"healthcheck\"", runtime, re.M) is not None,
            "Dockerfile: HEALTHCHECK runs `twiml-redirect healthcheck`")
    c.check(re.search(r"^STOPSIGNAL\s+SIGTERM\b", runtime, re.M) is not None, "Dockerfile: STOPSIGNAL SIGTERM")


# Values for the variables a workload sets, as its Secret would give them: any text, but an account
# SID must look like one.
def secret_values(names):
    return {name: "AC" + "0" * 32 if name == "TWILIO_ACCOUNT_SID" else f"manifest-test-secret-{i}-value-0123456789abcdef"
            for i, name in enumerate(sorted(names))}


def run_with_env(binary, args, config, names):
    """Runs the binary on `config` with exactly the variables `names` set (and no others it reads)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    secrets = secret_values(names)
    env.update(secrets)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(config if isinstance(config, str) else json.dumps(config))
        result = subprocess.run([binary, *args, "--config", str(path)], env=env, capture_output=True, text=True,
                                timeout=60)
    return result, secrets


def variants(config):
    """The shipped config, and with the options the docs tell an operator to turn on."""
    with_action = copy.deepcopy(config)
    with_action.setdefault("context", {})["synthflow_action"] = True
    return [("as shipped", config), ("with context.synthflow_action", with_action)]


def check_with_binary(c, binary, config_text, secret_names):
    """serve's own check (check-config --strict) must find every secret it needs among the
    Deployment's variables, and keep them out of its output."""
    result, secrets = run_with_env(binary, ["check-config", "--strict"], config_text, secret_names)
    output = result.stdout + result.stderr
    c.check(result.returncode == 0,
            f"binary: check-config --strict accepts the ConfigMap's config with the Deployment's env (exit "
            f"{result.returncode})" + ("" if result.returncode == 0 else "\n" + output))
    leaked = sorted(n for n, v in secrets.items() if v in output)
    c.check(not leaked, f"binary: check-config output holds no secret (leaked: {leaked})")
    for name, variant in variants(json.loads(config_text))[1:]:
        result, _ = run_with_env(binary, ["check-config", "--strict"], variant, secret_names)
        c.check(result.returncode == 0, f"binary: the Deployment's env has what serve needs {name} (exit "
                f"{result.returncode})" + ("" if result.returncode == 0 else "\n" + result.stderr))


def check_job_with_binary(c, binary, config, job_env, optional):
    """provision, with the Job's variables (with and without its optional ones), finds every secret
    it needs: it gets past its checks (exit 2 is a config error) to the APIs, here a closed port."""
    for name, variant in variants(config):
        variant = copy.deepcopy(variant)
        for section in ("synthflow", "twilio"):  # nothing listens on port 9: fail fast, once
            variant.setdefault(section, {}).update(api_url="http://127.0.0.1:9/v2", max_attempts=1)
        for label, names in (("all", set(job_env)), ("without the optional ones", set(job_env) - optional)):
            result, _ = run_with_env(binary, ["provision", "--dry-run"], variant, names)
            output = result.stdout + result.stderr
            c.check(result.returncode != 2 and "config error" not in output,
                    f"binary: the Job's env ({label}) has what provision needs {name} (exit {result.returncode})"
                    + ("" if result.returncode != 2 else "\n" + output))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--binary", required=True,
                        help="twiml-redirect: its check-config --schema gives the keys, check-config checks the ConfigMap")
    parser.add_argument("--kubernetes-models", type=Path,
                        help="node_modules holding kubernetes-models: validate every object against Kubernetes' schemas")
    options = parser.parse_args()
    c = Checker()

    print("schema")
    problem = load_schema(options.binary)
    if not c.check(problem is None, f"check-config --schema lists the service's keys ({problem or 'ok'})"):
        return 1

    print("parse")
    docs = load_documents(options.repo / "deploy" / "kubernetes")
    c.check(bool(docs), f"{len(docs)} manifests in deploy/kubernetes")
    for file, doc in docs:
        kind = doc.get("kind")
        c.check(isinstance(doc.get("metadata", {}).get("name"), str)
                and KNOWN_KINDS.get(kind) == doc.get("apiVersion"),
                f"{file}: {doc.get('apiVersion')} {kind} {doc.get('metadata', {}).get('name')}")
    c.check(all(d.get("kind") != "Secret" for _, d in docs), "no Secret committed (secrets stay out of git)")
    for kind in REQUIRED_KINDS:
        if not c.check(only(docs, kind) is not None, f"exactly one {kind}"):
            return 1

    deployment, job, service = only(docs, "Deployment"), only(docs, "Job"), only(docs, "Service")
    hpa, config_map = only(docs, "HorizontalPodAutoscaler"), only(docs, "ConfigMap")

    if options.kubernetes_models:
        print("kubernetes schemas")
        check_schemas(c, options.repo / "deploy" / "kubernetes", options.kubernetes_models)

    print("config")
    config_text = config_map.get("data", {}).get("config.json", "")
    try:
        config = json.loads(config_text)
    except json.JSONDecodeError as error:
        c.check(False, f"ConfigMap config.json is JSON ({error})")
        return 1
    unknown = unknown_keys(config, CONFIG_SCHEMA)
    c.check(not unknown, f"config keys are the service's (unknown: {unknown})")
    c.check(config.get("synthflow", {}).get("provision_on_start") is False,
            "config: provision_on_start is false (the Job provisions)")
    port = config.get("server", {}).get("port", DEFAULT_PORT)

    print("deployment")
    server = check_workload(c, "Deployment", deployment, config_map, config, "serve")
    c.check(deployment["spec"].get("replicas") == 2, "Deployment: 2 replicas")
    if server:
        c.check(any(p.get("containerPort") == port for p in server.get("ports", [])),
                f"Deployment: containerPort {port} = server.port")
        for probe, path in (("readinessProbe", READY_PATH), ("livenessProbe", HEALTH_PATH)):
            get = server.get(probe, {}).get("httpGet", {})
            c.check(get.get("path") == path and container_port(server, get.get("port")) == port,
                    f"Deployment: {probe} GET {get.get('path')} on port {get.get('port')}")
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        c.check(deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(),
                "Deployment: selector matches its pod labels")

    print("job")
    provisioner = check_workload(c, "Job", job, config_map, config, "provision")
    c.check(pod_spec(job).get("restartPolicy") in ("Never", "OnFailure"), "Job: restartPolicy Never/OnFailure")
    if server and provisioner:
        c.check(server.get("image") == provisioner.get("image"), "Job: same image as the Deployment")

    print("service")
    selector = service["spec"].get("selector", {})
    c.check(bool(selector) and selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items(),
            "Service: selects the Deployment's pods")
    c.check(not selector.items() <= job["spec"]["template"]["metadata"].get("labels", {}).items(),
            "Service: does not select the provisioning Job's pod")
    if server:
        targets = [container_port(server, p.get("targetPort", p.get("port"))) for p in service["spec"]["ports"]]
        c.check(targets == [port], f"Service: targets container port {port} (got {targets})")

    print("autoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    c.check(target.get("kind") == "Deployment" and target.get("name") == deployment["metadata"]["name"],
            f"HPA: scales Deployment {target.get('name')}")
    c.check(any(m.get("type") == "Resource" and m["resource"].get("name") == "cpu"
                for m in hpa["spec"].get("metrics", [])), "HPA: on CPU")
    c.check(1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]
            and hpa["spec"].get("minReplicas", 1) <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"],
            "HPA: min <= Deployment replicas <= max")

    print("dockerfile")
    run_as = pod_spec(deployment).get("securityContext", {}).get("runAsUser")
    config_path = config_path_of(server, pod_spec(deployment))[0] if server else None
    check_dockerfile(c, options.repo, port, run_as, config_path or "")

    print("binary")
    trunk_envs = {n.get("trunk_pwd_env") for n in config.get("numbers", []) + config["synthflow"].get("numbers", [])} - {None}
    check_with_binary(c, options.binary, config_text, (SECRET_ENV | trunk_envs) & set(env_entries(server)))
    if provisioner:
        job_env = env_entries(provisioner)
        optional = {n for n, e in job_env.items() if e.get("valueFrom", {}).get("secretKeyRef", {}).get("optional")}
        check_job_with_binary(c, options.binary, config, set(job_env) & (SECRET_ENV | trunk_envs | SERVICE_ENV),
                              optional)

    print(f"{c.failures} failure(s)" if c.failures else "all manifest checks passed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
