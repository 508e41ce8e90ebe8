// One page of a list, as client-go's pager asks for it
// (staging/src/k8s.io/client-go/tools/pager/pager.go): `limit` objects, then
// the server's continue token for the next page. Every page of one list is
// served at the first page's resourceVersion.
import { ApiRequestError } from "../errors.js";
import { statusMessage } from "./cluster-writer.js";
import type { RestClient } from "./rest-client.js";

export const LIST_PAGE_SIZE = 500;

export interface ListPage {
  resourceVersion: string;
  /** The objects as the server sent them. */
  items: unknown[];
  /** Asks for the next page; "" on the last. */
  continueToken: string;
}

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

/** The page after `continueToken` ("" for the first); a failed request throws `ApiRequestError`. */
export async function listPage(
  rest: RestClient,
  resource: string,
  path: string,
  continueToken: string,
  limit: number,
): Promise<ListPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (continueToken) query.set("continue", continueToken);
  const reply = await rest.send("GET", `${path}?${query}`);
  if (reply.status !== 200) {
    throw new ApiRequestError("list", resource, reply.status, statusMessage(reply.body));
  }
  const body = JSON.parse(reply.body) as ListBody;
  return {
    resourceVersion: body.metadata?.resourceVersion ?? "",
    items: body.items ?? [],
    continueToken: body.metadata?.continue ?? "",
  };
}
