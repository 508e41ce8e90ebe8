// A Lease to list: the kind the list tests page through (namespaced, small, no defaults to fill in).
export function lease(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, labels },
    spec: { holderIdentity: name },
  };
}
