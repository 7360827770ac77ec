"""Scenarios the official Python client (Debian's python3-kubernetes) runs against skiff.

Usage: python3 python_scenarios.py SCENARIO NAMESPACE [PORT NODE]   (KUBECONFIG names the cluster)
Prints one JSON object with what the scenario saw; exits non-zero with the
error on stderr when the client raised.
"""
import json
import sys
import time

from kubernetes import client, config, stream, watch
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


def running_pod(core, namespace):
    """A pod whose container is a small HTTP server that also prints two log lines, a second apart."""
    port = int(sys.argv[3])
    node = sys.argv[4]
    program = (
        "require('http').createServer((q, s) => s.end('hello from the pod')).listen(%d);"
        "console.log('line one'); setTimeout(() => console.log('line two'), 1000)" % port
    )
    core.create_namespaced_pod(namespace, client.V1Pod(
        metadata=client.V1ObjectMeta(name="app"),
        spec=client.V1PodSpec(runtime_class_name="host", containers=[client.V1Container(name="app", image="node", command=[node, "-e", program])]),
    ))
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, namespace, field_selector="metadata.name=app", timeout_seconds=60):
        if event["object"].status.phase == "Running":
            w.stop()
    return port


def exec_logs_portforward(core, namespace):
    port = running_pod(core, namespace)
    # exec with stdin: the client sends stdin=True (a capital T) on a WebSocket.
    session = stream.stream(core.connect_get_namespaced_pod_exec, "app", namespace, command=["cat"],
                            stdin=True, stdout=True, stderr=True, tty=False, _preload_content=False)
    session.write_stdin("from stdin\n")
    out = ""
    while session.is_open() and "from stdin" not in out:
        session.update(timeout=5)
        out += session.read_stdout()
    session.close()
    # logs with follow=True: the second line arrives while following.
    response = core.read_namespaced_pod_log("app", namespace, follow=True, _preload_content=False)
    lines = []
    for line in response.stream():
        lines.extend(l for l in line.decode().splitlines() if l)
        if "line two" in lines:
            break
    response.release_conn()
    # port-forward to the pod's port.
    forward = stream.portforward(core.connect_get_namespaced_pod_portforward, "app", namespace, ports=str(port))
    sock = forward.socket(port)
    sock.setblocking(True)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n")
    answer = b""
    while b"hello from the pod" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    sock.close()
    return {"exec": out, "logs": lines[:2], "port_forward": "hello from the pod" in answer.decode()}


def custom_resources(core, namespace):
    """A CRD made with the typed apiextensions client, then its objects through CustomObjectsApi and server-side apply."""
    ext = client.ApiextensionsV1Api()
    name = "gadgets.py.example.com"
    schema = client.V1JSONSchemaProps(type="object", properties={
        "spec": client.V1JSONSchemaProps(type="object", properties={"size": client.V1JSONSchemaProps(type="integer", maximum=10)}),
    })
    ext.create_custom_resource_definition(client.V1CustomResourceDefinition(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1CustomResourceDefinitionSpec(
            group="py.example.com", scope="Namespaced",
            names=client.V1CustomResourceDefinitionNames(plural="gadgets", singular="gadget", kind="Gadget"),
            versions=[client.V1CustomResourceDefinitionVersion(name="v1", served=True, storage=True, schema=client.V1CustomResourceValidation(open_apiv3_schema=schema))],
        ),
    ))
    import time
    deadline = time.time() + 20
    while not any(c.type == "Established" and c.status == "True" for c in (ext.read_custom_resource_definition(name).status.conditions or [])):
        if time.time() > deadline:
            raise RuntimeError("the CRD was not Established")
        time.sleep(0.1)
    custom = client.CustomObjectsApi()
    args = ("py.example.com", "v1", namespace, "gadgets")
    custom.create_namespaced_custom_object(*args, {"apiVersion": "py.example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 1}})
    custom.patch_namespaced_custom_object(*args, "g", {"spec": {"size": 2}})
    listed = custom.list_namespaced_custom_object(*args)
    try:
        custom.create_namespaced_custom_object(*args, {"apiVersion": "py.example.com/v1", "kind": "Gadget", "metadata": {"name": "big"}, "spec": {"size": 11}})
        invalid = None
    except ApiException as err:
        invalid = [err.status, json.loads(err.body)["reason"]]
    # Server-side apply through the API client's own call (CustomObjectsApi of this version has none);
    # forced: the creator (an Update by "OpenAPI-Generator") owns spec.size.
    api = client.ApiClient()
    applied, status, _ = api.call_api(
        "/apis/py.example.com/v1/namespaces/{namespace}/gadgets/{name}", "PATCH",
        path_params={"namespace": namespace, "name": "g"}, query_params=[("fieldManager", "python"), ("force", "true")],
        header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
        # This client version sends an apply body only as text (JSON is YAML).
        body=json.dumps({"apiVersion": "py.example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 3}}),
        response_type="object", auth_settings=["BearerToken"], _return_http_data_only=False,
    )
    managers = sorted(entry["manager"] + "/" + entry["operation"] for entry in applied["metadata"]["managedFields"])
    custom.delete_namespaced_custom_object(*args, "g")
    ext.delete_custom_resource_definition(name)
    return {"listed": [[i["metadata"]["name"], i["spec"]["size"]] for i in listed["items"]], "invalid": invalid, "applied": applied["spec"], "managers": managers}


def access_reviews(core, namespace):
    """The four access reviews through the typed AuthorizationV1Api, for a user bound to view in the namespace."""
    rbac = client.RbacAuthorizationV1Api()
    rbac.create_namespaced_role_binding(namespace, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="alice-view"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"),
        subjects=[client.V1Subject(kind="User", name="alice", api_group="rbac.authorization.k8s.io")],
    ))
    api = client.AuthorizationV1Api()
    attrs = lambda verb: client.V1ResourceAttributes(verb=verb, resource="pods", namespace=namespace)
    self_review = api.create_self_subject_access_review(client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attrs("delete"))))
    alice = lambda verb: api.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(user="alice", resource_attributes=attrs(verb)))).status.allowed
    local = api.create_namespaced_local_subject_access_review(namespace, client.V1LocalSubjectAccessReview(
        metadata=client.V1ObjectMeta(namespace=namespace), spec=client.V1SubjectAccessReviewSpec(user="alice", resource_attributes=attrs("get"))))
    rules = api.create_self_subject_rules_review(client.V1SelfSubjectRulesReview(spec=client.V1SelfSubjectRulesReviewSpec(namespace=namespace)))
    try:
        api.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(resource_attributes=attrs("get"))))
        invalid = None
    except ApiException as err:
        invalid = [err.status, json.loads(err.body)["message"]]
    return {"self": self_review.status.allowed, "alice_list": alice("list"), "alice_delete": alice("delete"), "local_get": local.status.allowed,
            "admin_may_do_anything": any(r.verbs == ["*"] and r.resources == ["*"] for r in rules.status.resource_rules), "invalid": invalid}


def metrics_autoscaling_tokens(core, namespace):
    """metrics.k8s.io through CustomObjectsApi (as Python tools read it), an autoscaling/v1 HPA, and a TokenReview of a service account token."""
    custom = client.CustomObjectsApi()
    # As metrics-server, the first scrape is made on the first read: poll until the node has a point (with a deadline).
    deadline = time.monotonic() + 20
    while True:
        nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
        if nodes["items"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    node = nodes["items"][0]
    autoscaling = client.AutoscalingV1Api()
    autoscaling.create_namespaced_horizontal_pod_autoscaler(namespace, client.V1HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1HorizontalPodAutoscalerSpec(
            scale_target_ref=client.V1CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web"),
            min_replicas=1, max_replicas=3, target_cpu_utilization_percentage=60)))
    hpa = autoscaling.read_namespaced_horizontal_pod_autoscaler("web", namespace)
    core.create_namespaced_service_account(namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="reader")))
    token = core.create_namespaced_service_account_token("reader", namespace, client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))).status.token
    authn = client.AuthenticationV1Api()
    review = authn.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token)))
    bad = authn.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token="not-a-token")))
    return {
        "node_kind": nodes["kind"], "node_cpu_nanocores": node["usage"]["cpu"].endswith("n"), "node_memory_ki": node["usage"]["memory"].endswith("Ki"), "window": bool(node["window"]),
        "hpa": [hpa.spec.min_replicas, hpa.spec.max_replicas, hpa.spec.target_cpu_utilization_percentage],
        "token": [review.status.authenticated, review.status.user.username], "bad_token": [bad.status.authenticated, bad.status.error],
    }


SCENARIOS = {"metrics_autoscaling_tokens": metrics_autoscaling_tokens, "access_reviews": access_reviews, "custom_resources": custom_resources, "crud": crud, "dry_run_delete": dry_run_delete, "watch": watch_events, "exec_logs_portforward": exec_logs_portforward}


def main():
    scenario, namespace = sys.argv[1], sys.argv[2]
    config.load_kube_config()
    core = client.CoreV1Api()
    print(json.dumps(SCENARIOS[scenario](core, namespace)))


if __name__ == "__main__":
    main()
