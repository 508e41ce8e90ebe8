// An informer's list, a page at a time (as client-go's pager does), each
// object projected to what the controller reads as its page arrives: a
// cluster with 100,000 Services is never held as one response, nor as whole
// objects. The list's resourceVersion is the first page's (every page of a
// paginated list is served at that version).
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { ApiRequestError } from "../errors.js";
import { statusMessage } from "./cluster-writer.js";
import type { RestClient } from "./rest-client.js";

export const LIST_PAGE_SIZE = 500;

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

export async function listPages<T extends KubernetesObject>(
  rest: RestClient,
  resource: string,
  path: string,
  project: (object: unknown) => T,
  pageSize = LIST_PAGE_SIZE,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let resourceVersion: string | undefined;
  let token = "";
  do {
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (token) query.set("continue", token);
    const reply = await rest.send("GET", `${path}?${query}`);
    if (reply.status !== 200) {
      throw new ApiRequestError("list", resource, reply.status, statusMessage(reply.body));
    }
    const page = JSON.parse(reply.body) as ListPage;
    resourceVersion ??= page.metadata?.resourceVersion;
    for (const item of page.items ?? []) items.push(project(item));
    token = page.metadata?.continue ?? "";
  } while (token);
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion }, items };
}
