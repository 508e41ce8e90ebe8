"""Drives the embedded API server with the official Python client (Debian python3-kubernetes).

Usage: python_client.py KUBECONFIG. Prints one JSON object of what the client saw; the node
test (third-party-clients.test.ts) asserts on it.
"""

import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NAMESPACE = "default"


def service(name):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }


def status_of(call):
    """The HTTP status of the ApiException a call raises."""
    try:
        call()
    except ApiException as error:
        return {"status": error.status, "reason": json.loads(error.body).get("reason")}
    return {"status": None}


def events_until_deleted(stream):
    seen = []
    for event in stream:
        seen.append([event["type"], event["object"].metadata.name])
        if event["type"] == "DELETED":
            break
    return seen


def main(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    custom = client.CustomObjectsApi()
    result = {}

    listed = core.list_namespaced_service(NAMESPACE)
    result["listed"] = sorted(item.metadata.name for item in listed.items)
    since = listed.metadata.resource_version

    core.create_namespaced_service(NAMESPACE, service("py-web"))
    # A dict body is a strategic merge patch in this client.
    core.patch_namespaced_service("py-web", NAMESPACE, {"metadata": {"labels": {"patched": "strategic"}}})
    merged = core.api_client.call_api(
        "/api/v1/namespaces/{namespace}/services/{name}",
        "PATCH",
        {"namespace": NAMESPACE, "name": "py-web"},
        [],
        {"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body={"metadata": {"annotations": {"patched": "merge"}}},
        response_type="V1Service",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )
    result["patchedLabels"] = merged.metadata.labels
    result["patchedAnnotations"] = merged.metadata.annotations
    core.patch_namespaced_service_status(
        "py-web", NAMESPACE, {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    )
    status = core.read_namespaced_service_status("py-web", NAMESPACE)
    result["statusIngress"] = [entry.ip for entry in status.status.load_balancer.ingress]
    core.delete_namespaced_service("py-web", NAMESPACE)

    # watch=True (as this client spells it) from the list's resourceVersion.
    result["watched"] = events_until_deleted(
        watch.Watch().stream(
            core.list_namespaced_service, NAMESPACE, resource_version=since, timeout_seconds=10
        )
    )

    result["notFound"] = status_of(lambda: core.read_namespaced_service("missing", NAMESPACE))
    core.create_namespaced_service(NAMESPACE, service("py-twice"))
    result["conflict"] = status_of(lambda: core.create_namespaced_service(NAMESPACE, service("py-twice")))
    result["invalid"] = status_of(lambda: core.create_namespaced_service(NAMESPACE, service("Not_A_Name")))

    group, version, plural = "projectcalico.org", "v3", "ippools"
    pools = custom.list_cluster_custom_object(group, version, plural)
    pool_since = pools["metadata"]["resourceVersion"]
    pool = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "IPPool",
        "metadata": {"name": "py-pool"},
        "spec": {"cidr": "198.51.100.0/24", "allowedUses": ["LoadBalancer"]},
    }
    custom.create_cluster_custom_object(group, version, plural, pool)
    custom.patch_cluster_custom_object(group, version, plural, "py-pool", {"spec": {"disabled": True}})
    result["pools"] = [p["metadata"]["name"] for p in custom.list_cluster_custom_object(group, version, plural)["items"]]
    result["poolDisabled"] = custom.get_cluster_custom_object(group, version, plural, "py-pool")["spec"]["disabled"]
    pool_events = []
    for event in watch.Watch().stream(
        custom.list_cluster_custom_object, group, version, plural, resource_version=pool_since, timeout_seconds=10
    ):
        pool_events.append([event["type"], event["object"]["metadata"]["name"]])
        if event["type"] == "MODIFIED":
            break
    result["poolWatched"] = pool_events
    result["poolInvalid"] = status_of(
        lambda: custom.create_cluster_custom_object(
            group, version, plural, {**pool, "metadata": {"name": "py-bad"}, "spec": {"cidr": "not-a-cidr"}}
        )
    )
    result["poolNotFound"] = status_of(lambda: custom.get_cluster_custom_object(group, version, plural, "missing"))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
