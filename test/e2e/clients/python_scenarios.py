"""Scenarios the official Python client (Debian's python3-kubernetes) runs against skiff.

Usage: python3 python_scenarios.py SCENARIO NAMESPACE   (KUBECONFIG names the cluster)
Prints one JSON object with what the scenario saw; exits non-zero with the
error on stderr when the client raised.
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def crud(core, namespace):
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py", labels={"from": "python"}), data={"a": "1"}))
    read = core.read_namespaced_config_map("py", namespace)
    listed = core.list_namespaced_config_map(namespace, label_selector="from=python")
    core.patch_namespaced_config_map("py", namespace, {"data": {"b": "2"}})
    patched = core.read_namespaced_config_map("py", namespace)
    core.delete_namespaced_config_map("py", namespace)
    try:
        core.read_namespaced_config_map("py", namespace)
        gone = False
    except ApiException as err:
        gone = err.status == 404
    return {"read": read.data, "listed": [i.metadata.name for i in listed.items], "patched": patched.data, "gone": gone}


def dry_run_delete(core, namespace):
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="keep"), data={"a": "1"}))
    # dryRun in the DeleteOptions body, and as the query parameter.
    core.delete_namespaced_config_map("keep", namespace, body=client.V1DeleteOptions(dry_run=["All"]))
    core.delete_namespaced_config_map("keep", namespace, dry_run="All")
    return {"still_there": core.read_namespaced_config_map("keep", namespace).data}


def watch_events(core, namespace):
    # The client sends watch=True (a capital T): it must be a watch, not a list.
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="seed")))
    seen = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, namespace, timeout_seconds=20):
        if event["object"].metadata.name not in ("seed", "watched"):
            continue  # kube-root-ca.crt, which every namespace has
        seen.append([event["type"], event["object"].metadata.name])
        if event["object"].metadata.name == "seed":
            # The watch is open (it replayed what exists): a new object must arrive as an event.
            core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="watched")))
        if event["object"].metadata.name == "watched":
            w.stop()
    return {"events": seen}


SCENARIOS = {"crud": crud, "dry_run_delete": dry_run_delete, "watch": watch_events}


def main():
    scenario, namespace = sys.argv[1], sys.argv[2]
    config.load_kube_config()
    core = client.CoreV1Api()
    print(json.dumps(SCENARIOS[scenario](core, namespace)))


if __name__ == "__main__":
    main()
