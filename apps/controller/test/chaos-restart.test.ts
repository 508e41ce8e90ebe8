// Chaos: the controller (its own process, as in a cluster) is killed with
// SIGKILL at random points of a burst of creations, deletions and
// annotation edits, restarted, killed again... Every status the API server
// holds is watched meanwhile. At the end every Service that should have an
// address has one per family, no address was ever shown by two Services at
// once, and no address a Service was given moved unless its request changed.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, it } from "node:test";
import { chaosRandom } from "./helpers/chaos-random.js";
import {
  createPool,
  loadBalancer,
  mergePatch,
  startCluster,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";
import { spawnController } from "./helpers/controller-process.js";
import { ipsOf, watchStatuses } from "./helpers/status-watch.js";

const NS = "chaos";
const ROUNDS = 5;

let cluster: TestCluster;
let kubeconfigFile: string;

before(async () => {
  cluster = await startCluster();
  kubeconfigFile = cluster.kubeconfigFile;
  await cluster.core.createNamespace({ body: { metadata: { name: NS } } });
  await createPool(cluster, "chaos-v4", { cidr: "10.70.0.0/24", blockSize: 26 });
  await createPool(cluster, "chaos-v6", { cidr: "2001:db8:70::/120" });
  // Specific addresses come from a Manual pool: automatic allocation never competes for them.
  await createPool(cluster, "chaos-fixed", { cidr: "10.71.0.0/24", assignmentMode: "Manual" });
});
after(async () => {
  await cluster?.stop();
});

function controllerProcess(): ChildProcess {
  return spawnController(kubeconfigFile, ["--leader-elect=false", "--log-level", "fatal"], "ignore");
}

it("keeps every address unique and in place through repeated SIGKILLs", async () => {
  const next = chaosRandom("chaos");
  const requestChanged = new Set<string>();
  const watch = await watchStatuses(cluster, NS);

  const alive: string[] = [];
  let created = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const controller = controllerProcess();
    const killAt = 150 + Math.floor(next() * 900);
    const killed = new Promise<void>((resolve) => {
      setTimeout(() => {
        controller.kill("SIGKILL");
        resolve();
      }, killAt);
    });
    // The burst runs while the controller starts, works and dies.
    for (let i = 0; i < 12; i++) {
      const name = `svc-${created++}`;
      const kind = next();
      const spec = kind < 0.3 ? { ipFamilyPolicy: "PreferDualStack", ipFamilies: ["IPv4", "IPv6"] } : {};
      // Each specific address is asked for once.
      const annotations =
        kind > 0.85 ? { "projectcalico.org/loadBalancerIPs": `["10.71.0.${created}"]` } : undefined;
      await cluster.core.createNamespacedService({
        namespace: NS,
        body: loadBalancer(name, { spec, annotations }),
      });
      alive.push(name);
    }
    for (let i = 0; i < 2 && alive.length > 0; i++) {
      const [name] = alive.splice(Math.floor(next() * alive.length), 1);
      await cluster.core.deleteNamespacedService({ namespace: NS, name: name! });
    }
    for (let i = 0; i < 2 && alive.length > 0; i++) {
      const name = alive[Math.floor(next() * alive.length)]!;
      requestChanged.add(name);
      await cluster.core.patchNamespacedService(
        {
          namespace: NS,
          name,
          body: { metadata: { annotations: { "projectcalico.org/ipv4pools": '["chaos-v4"]' } } },
        },
        mergePatch,
      );
    }
    await killed;
    // A process killed by a signal keeps exitCode null: signalCode tells it has exited.
    await new Promise((resolve) =>
      controller.exitCode !== null || controller.signalCode !== null
        ? resolve(undefined)
        : controller.once("exit", resolve),
    );
  }

  // A last controller finishes the work.
  const last = controllerProcess();
  try {
    // The Services still short of an address per family, with their conditions.
    const short = async () => {
      const list = await cluster.core.listNamespacedService({ namespace: NS });
      return list.items
        .filter(
          (service) => ipsOf(service).length !== (service.spec?.ipFamilyPolicy === "PreferDualStack" ? 2 : 1),
        )
        .map(
          (s) =>
            `${s.metadata?.name} ${JSON.stringify(ipsOf(s))} ${JSON.stringify(s.status?.conditions?.map((c) => c.message))}`,
        );
    };
    await waitFor(short, (missing) => missing.length === 0, "every Service to hold one address per family");
  } finally {
    last.kill("SIGTERM");
  }
  await watch.stop();

  assert.deepEqual(watch.violations, [], "no address was shown by two Services at once");
  const final = (await cluster.core.listNamespacedService({ namespace: NS })).items;
  const all = final.flatMap(ipsOf);
  assert.equal(new Set(all).size, all.length, "no address is held twice at the end");
  for (const service of final) {
    const name = service.metadata?.name ?? "";
    if (requestChanged.has(name) || !watch.firstSeen.has(name)) continue;
    // PreferDualStack may gain its second family later; what it had stays.
    const first = watch.firstSeen.get(name)!;
    for (const ip of first)
      assert.ok(ipsOf(service).includes(ip), `${name} lost ${ip} (now ${ipsOf(service)})`);
  }
  assert.ok(watch.firstSeen.size > 0, "the controllers assigned addresses between kills");
});
