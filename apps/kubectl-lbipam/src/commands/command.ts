// What every subcommand is: its flags, its help text and a run function that
// writes through `Io` and resolves to an exit code (or throws a PluginError).
import type { ParseArgsConfig } from "node:util";
import { conflictMessage } from "@lbipam/state";
import type { ClusterState } from "../state.js";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Options;
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

/** kubectl's connection flags, shared by the commands that talk to a cluster. */
export const CONNECTION_OPTIONS: Options = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  "load-balancer-class": { type: "string" },
};

export const CONNECTION_HELP = `Connection flags (as kubectl's):
      --kubeconfig PATH            the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME               the kubeconfig context to use
  -n, --namespace NAME             the namespace (default: the context's, else "default")
      --load-balancer-class NAME   the controller's spec.loadBalancerClass (default "calico")
`;

export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function stringList(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Configuration and reservation entries the controller would skip, and duplicate addresses, as warnings. */
export function warnAboutState(state: Pick<ClusterState, "problems" | "conflicts">, io: Io): void {
  for (const problem of state.problems) io.stderr(`warning: ${problem}\n`);
  for (const conflict of state.conflicts) io.stderr(`warning: ${conflictMessage(conflict)}\n`);
}
