// Chaos: two controller processes with leader election (a short lease), as two
// replicas of the Deployment. The leader is killed with SIGKILL in the middle
// of a burst of creations, deletions and annotation edits; the standby takes
// the Lease once it expires and finishes the work; a replacement joins as the
// new standby, and the next leader is killed the same way. Every change the
// API server stores (Services, the Lease, Events, IPPools) is recorded and
// replayed in resourceVersion order: no address is ever shown by two Services,
// none leaves a Service whose request still allows it, nothing is written
// between the leader's death and the takeover, the standby makes no write
// while it stands by, and the new leader does the rest of the work.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, it } from "node:test";
import type { V1Service } from "@kubernetes/client-node";
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
import { ipsOf } from "./helpers/status-watch.js";
import {
  checkAddressHistory,
  currentResourceVersion,
  recordWrites,
  type StoredChange,
  statusWrites,
  type WriteHistory,
} from "./helpers/write-history.js";

const NS = "failover";
const LEASE_NS = "lbipam-system";
const LEASE = "lbipam-failover";
const ROUNDS = 2;
const LEASE_S = 2;
const RENEW_S = 1.5;
const RETRY_S = 0.25;

const POOLS_ANNOTATION = "projectcalico.org/ipv4pools";
const IPS_ANNOTATION = "projectcalico.org/loadBalancerIPs";
const inPoolA = (ip: string) => ip.startsWith("10.72.0.");
const inPoolB = (ip: string) => ip.startsWith("10.73.0.");
const inPoolV6 = (ip: string) => ip.startsWith("2001:db8:72:");

let cluster: TestCluster;
let kubeconfigFile: string;
let history: WriteHistory | undefined;
const replicas: Replica[] = [];

before(async () => {
  cluster = await startCluster();
  kubeconfigFile = cluster.kubeconfigFile;
  for (const name of [NS, LEASE_NS]) await cluster.core.createNamespace({ body: { metadata: { name } } });
  await createPool(cluster, "fo-a", { cidr: "10.72.0.0/24", blockSize: 26 });
  await createPool(cluster, "fo-b", { cidr: "10.73.0.0/24", blockSize: 26 });
  await createPool(cluster, "fo-v6", { cidr: "2001:db8:72::/120" });
  // Specific addresses come from a Manual pool: automatic allocation never competes for them.
  await createPool(cluster, "fo-fixed", { cidr: "10.74.0.0/24", assignmentMode: "Manual" });
});
after(async () => {
  for (const replica of replicas) replica.child.kill("SIGKILL");
  await Promise.all(replicas.map((replica) => replica.exited));
  history?.stop();
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Replica {
  name: string;
  child: ChildProcess;
  /** Its last log lines, shown when the test fails. */
  log: string[];
  /** Where it serves /metrics and /readyz (from its log). */
  url: Promise<string>;
  exited: Promise<void>;
}

/** One `lbipam controller` process, as a replica of the Deployment runs it, with a short lease. */
function startReplica(name: string): Replica {
  const child = spawnController(
    kubeconfigFile,
    [
      "--leader-elect-namespace",
      LEASE_NS,
      "--leader-elect-lease-name",
      LEASE,
      "--leader-elect-lease-duration",
      String(LEASE_S),
      "--leader-elect-renew-deadline",
      String(RENEW_S),
      "--leader-elect-retry-period",
      String(RETRY_S),
      "--log-level",
      "info",
    ],
    ["ignore", "pipe", "pipe"],
  );
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      log.push(line);
      if (log.length > 300) log.shift();
      try {
        const entry = JSON.parse(line) as { url?: unknown };
        if (typeof entry.url === "string") resolve(entry.url);
      } catch {}
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    void exited.then(() => reject(new Error(`${name} exited before serving /readyz`)));
  });
  url.catch(() => {});
  const replica = { name, child, log, url, exited };
  replicas.push(replica);
  return replica;
}

interface Role {
  role: "leader" | "standby";
  identity: string;
  /** The leader a standby names. */
  leader?: string;
}

async function roleOf(replica: Replica): Promise<Role | undefined> {
  try {
    const reply = await fetch(`${await replica.url}/readyz`);
    const match = /^ready: (leader|standby) \(([^)]+)\)(?:; leader ([^;]*))?; cluster [a-z0-9-]+$/.exec(
      (await reply.text()).trim(),
    );
    return match ? { role: match[1] as Role["role"], identity: match[2]!, leader: match[3] } : undefined;
  } catch {
    return undefined;
  }
}

interface Scrape {
  leader: number;
  /** Write requests it made to anything but its Lease. */
  writes: number;
}

async function scrape(replica: Replica): Promise<Scrape> {
  const text = await (await fetch(`${await replica.url}/metrics`)).text();
  const result: Scrape = { leader: Number.NaN, writes: 0 };
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labels = "", value] = match;
    if (name === "lbipam_leader") result.leader = Number(value);
    if (name === "lbipam_api_requests_total" && !labels.includes('resource="leases"'))
      result.writes += Number(value);
  }
  return result;
}

/** Waits until exactly one replica leads and every other stands by naming it. */
async function roles(
  alive: Replica[],
): Promise<{ leader: Replica; standby: Replica; ids: Map<Replica, string> }> {
  const seen = await waitFor(
    () => Promise.all(alive.map(roleOf)),
    (list) => {
      const leaders = list.filter((r) => r?.role === "leader");
      return (
        leaders.length === 1 &&
        list.every((r) => r !== undefined && (r.role === "leader" || r.leader === leaders[0]!.identity))
      );
    },
    "one leader and warm standbys naming it",
  );
  const ids = new Map(alive.map((replica, i) => [replica, seen[i]!.identity]));
  const at = seen.findIndex((r) => r?.role === "leader");
  return { leader: alive[at]!, standby: alive[1 - at]!, ids };
}

/** What the test asked of one Service. */
interface Wanted {
  name: string;
  family: "v4" | "v6" | "dual";
  /** A specific address (loadBalancerIPs), perhaps also asked for by other Services. */
  fixed?: string;
  /** The ipv4pools annotation. */
  pool?: "fo-a" | "fo-b";
  deleted: boolean;
}

/** An address may leave a Service only when its ipv4pools annotation now excludes it. */
function mayRelease(service: V1Service, ip: string): boolean {
  const pools = service.metadata?.annotations?.[POOLS_ANNOTATION];
  if (pools === '["fo-b"]') return inPoolA(ip);
  if (pools === '["fo-a"]') return inPoolB(ip);
  return false;
}

function addressProblems(wanted: Wanted, ips: string[]): string | undefined {
  const v4 = (ip: string | undefined) =>
    ip !== undefined &&
    (wanted.pool === "fo-a"
      ? inPoolA(ip)
      : wanted.pool === "fo-b"
        ? inPoolB(ip)
        : inPoolA(ip) || inPoolB(ip));
  const v6 = (ip: string | undefined) => ip !== undefined && inPoolV6(ip);
  const ok =
    wanted.family === "v4"
      ? ips.length === 1 && v4(ips[0])
      : wanted.family === "v6"
        ? ips.length === 1 && v6(ips[0])
        : ips.length === 2 && v4(ips[0]) && v6(ips[1]);
  return ok
    ? undefined
    : `${wanted.name} (${wanted.family} ${wanted.pool ?? "any pool"}) shows ${JSON.stringify(ips)}`;
}

/** What still differs from the requests: empty once every Service holds what it should. */
async function unsettled(model: Map<string, Wanted>): Promise<string[]> {
  const items = (await cluster.core.listNamespacedService({ namespace: NS })).items;
  const stored = new Map(items.map((service) => [service.metadata?.name ?? "", service]));
  const problems: string[] = [];
  const askers = new Map<string, string[]>();
  for (const wanted of model.values()) {
    const service = stored.get(wanted.name);
    if (wanted.deleted || !service) {
      if (wanted.deleted !== !service)
        problems.push(`${wanted.name} deleted=${wanted.deleted} stored=${!!service}`);
      continue;
    }
    if (wanted.fixed) askers.set(wanted.fixed, [...(askers.get(wanted.fixed) ?? []), wanted.name]);
    else {
      const problem = addressProblems(wanted, ipsOf(service));
      if (problem) problems.push(problem);
    }
  }
  // Of the Services asking for one address, exactly one holds it and the others wait with nothing.
  for (const [ip, names] of askers) {
    const shown = names.map((name) => ipsOf(stored.get(name)!));
    const holding = shown.filter((ips) => ips.length === 1 && ips[0] === ip).length;
    const others = shown.filter((ips) => ips.length > 0 && !(ips.length === 1 && ips[0] === ip)).length;
    if (holding !== 1 || others > 0)
      problems.push(`${ip} asked by ${names.join(", ")}; they show ${JSON.stringify(shown)}`);
  }
  return problems;
}

interface Round {
  dead: string;
  successor: string;
  /** The resourceVersion once the dead leader's last bytes had surely reached the server. */
  killRv: number;
  killedAt: number;
  /** Services showing an address, Services stored, and Services no controller had written, at the kill. */
  servedAtKill: number;
  aliveAtKill: number;
  untouchedAtKill: number;
  createdAfterKill: number;
  /** The standby's own metrics before the burst, right after the kill, and once it had finished. */
  standbyBefore: Scrape;
  standbyAtKill: Scrape;
  successorAfter: Scrape;
  /** How long the round took. */
  seconds: number;
}

const leaseSpec = (change: StoredChange) =>
  (change.object as { spec?: { holderIdentity?: string; acquireTime?: string; renewTime?: string } }).spec ??
  {};

it("a standby finishes the work of a leader killed mid-burst, and no address is ever held twice", {
  timeout: 180_000,
}, async () => {
  const next = chaosRandom("failover");
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!;
  const recorder = await recordWrites(cluster, {
    services: `/api/v1/namespaces/${NS}/services`,
    leases: `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases`,
    events: `/api/v1/namespaces/${NS}/events`,
    ippools: "/apis/projectcalico.org/v3/ippools",
  });
  history = recorder;

  // Live: what each Service shows, and how many status writes were stored; a trigger may kill on one.
  const live = new Map<string, string[]>();
  const lastStatus = new Map<string, string>();
  /** Services whose status no controller has written yet. */
  const untouched = new Set<string>();
  let writesSeen = 0;
  let onWrite: (() => void) | undefined;
  recorder.listen((change) => {
    if (change.source !== "services") return;
    const name = change.object.metadata?.name ?? "";
    const status = JSON.stringify(change.object.status ?? {});
    if (change.type === "ADDED") untouched.add(name);
    if (change.type === "DELETED") {
      untouched.delete(name);
      live.delete(name);
      lastStatus.delete(name);
      return;
    }
    live.set(name, ipsOf(change.object as V1Service));
    if (change.type === "MODIFIED" && lastStatus.has(name) && lastStatus.get(name) !== status) {
      writesSeen++;
      untouched.delete(name);
      onWrite?.();
    }
    lastStatus.set(name, status);
  });

  const model = new Map<string, Wanted>();
  const requested: string[] = [];
  let created = 0;
  const create = async () => {
    const name = `svc-${created++}`;
    const kind = next();
    const wanted: Wanted = { name, family: kind < 0.45 ? "v4" : kind < 0.65 ? "dual" : "v4", deleted: false };
    const annotations: Record<string, string> = {};
    let spec: Record<string, unknown> = {};
    if (kind >= 0.65 && kind < 0.77) {
      wanted.family = "v6";
      spec = { ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv6"] };
    } else if (kind >= 0.77) {
      // A specific address; sometimes one another Service already asked for.
      const reuse = requested.length > 0 && next() < 0.4;
      if (!reuse) requested.push(`10.74.0.${requested.length + 1}`);
      wanted.fixed = reuse ? pick(requested) : requested.at(-1)!;
      annotations[IPS_ANNOTATION] = JSON.stringify([wanted.fixed]);
    } else {
      if (wanted.family === "dual")
        spec = { ipFamilyPolicy: "PreferDualStack", ipFamilies: ["IPv4", "IPv6"] };
      if (next() < 0.2) {
        wanted.pool = "fo-b";
        annotations[POOLS_ANNOTATION] = '["fo-b"]';
      }
    }
    model.set(name, wanted);
    await cluster.core.createNamespacedService({
      namespace: NS,
      body: loadBalancer(name, { spec, annotations }),
    });
  };
  const operation = async () => {
    const alive = [...model.values()].filter((w) => !w.deleted);
    const roll = next();
    if (roll < 0.65 || alive.length < 6) return create();
    if (roll < 0.8) {
      const wanted = pick(alive);
      wanted.deleted = true;
      await cluster.core.deleteNamespacedService({ namespace: NS, name: wanted.name });
      return;
    }
    // A new ipv4pools request: another pool, the same one pinned, or none.
    const editable = alive.filter((w) => !w.fixed && w.family !== "v6");
    if (editable.length === 0) return create();
    const wanted = pick(editable);
    const pool = pick((["fo-a", "fo-b", undefined] as const).filter((p) => p !== wanted.pool));
    wanted.pool = pool;
    await cluster.core.patchNamespacedService(
      {
        namespace: NS,
        name: wanted.name,
        body: { metadata: { annotations: { [POOLS_ANNOTATION]: pool ? JSON.stringify([pool]) : null } } },
      },
      mergePatch,
    );
  };
  const settle = () =>
    waitFor(
      () => unsettled(model),
      (problems) => problems.length === 0,
      "every Service to hold what it asked for",
    );

  const rounds: Round[] = [];
  const identities: string[] = [];
  let alive = [startReplica("r0"), startReplica("r1")];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const startedAt = Date.now();
      const { leader, standby, ids } = await roles(alive);
      if (round === 0) identities.push(ids.get(leader)!);
      assert.equal(ids.get(leader), identities.at(-1), "the leader is the one that took over last");
      const standbyBefore = await scrape(standby);
      // The leader dies on one of its status writes, once it has made a few more and some
      // Service is still untouched; creations come a few at once, so it has work queued.
      const killAfter = writesSeen + 2 + Math.floor(next() * 10);
      let killed: { at: number; served: number; alive: number; untouched: number } | undefined;
      const kill = () => {
        leader.child.kill("SIGKILL");
        killed = {
          at: Date.now(),
          served: [...live.values()].filter((ips) => ips.length > 0).length,
          alive: live.size,
          untouched: untouched.size,
        };
      };
      onWrite = () => {
        if (!killed && writesSeen >= killAfter && untouched.size > 0) kill();
      };
      for (let i = 0; i < 80 && !killed; i++) {
        if (next() < 0.6) await Promise.all(Array.from({ length: 1 + Math.floor(next() * 4) }, create));
        else await operation();
        await sleep(next() * 8);
      }
      onWrite = undefined;
      if (!killed) {
        await waitFor(
          async () => writesSeen,
          (n) => n >= killAfter,
          `the leader's status write number ${killAfter}`,
        );
        kill();
      }
      await leader.exited;
      // A request the dead leader had sent has reached the server by now, or never will.
      await sleep(200);
      const killRv = await currentResourceVersion(cluster);
      const standbyAtKill = await scrape(standby);
      // The burst goes on while nobody leads; the standby takes over and finishes it.
      const before = created;
      for (let i = 0; i < 12; i++) await (i < 5 ? create() : operation());
      await waitFor(
        async () => recorder.ordered().find((c) => c.source === "leases" && c.rv > killRv),
        (change) => change !== undefined,
        "a takeover",
      );
      // A replacement joins as the next standby.
      const replacement = round + 1 < ROUNDS ? startReplica(`r${round + 2}`) : undefined;
      await settle();
      identities.push(ids.get(standby)!);
      rounds.push({
        dead: ids.get(leader)!,
        successor: ids.get(standby)!,
        killRv,
        killedAt: killed!.at,
        servedAtKill: killed!.served,
        aliveAtKill: killed!.alive,
        untouchedAtKill: killed!.untouched,
        createdAfterKill: created - before,
        standbyBefore,
        standbyAtKill,
        successorAfter: await scrape(standby),
        seconds: (Date.now() - startedAt) / 1000,
      });
      alive = replacement ? [standby, replacement] : [standby];
    }
    // The last leader stops as in a rollout: it releases the Lease.
    const last = alive[0]!;
    last.child.kill("SIGTERM");
    const stuck = setTimeout(() => last.child.kill("SIGKILL"), 10_000);
    await last.exited;
    clearTimeout(stuck);
    await sleep(200);
    recorder.stop();
    checkRecord(recorder, rounds, identities, created);
  } catch (error) {
    for (const replica of replicas)
      console.log(`# ${replica.name} last log lines:\n${replica.log.slice(-30).join("\n")}`);
    throw error;
  }
});

/** Replays everything the server stored and checks it against what each round did. */
function checkRecord(recorder: WriteHistory, rounds: Round[], identities: string[], created: number): void {
  const ordered = recorder.ordered();
  const services = ordered.filter((c) => c.source === "services");
  const written = new Set(statusWrites(services));
  // Only a controller writes Service status, Events and (after their creation) IPPools.
  const byController = (c: StoredChange) =>
    written.has(c) || c.source === "events" || (c.source === "ippools" && c.type !== "ADDED");
  const leases = ordered.filter((c) => c.source === "leases" && c.object.metadata?.name === LEASE);
  const takeovers = rounds.map((r) => leases.find((c) => c.rv > r.killRv));
  const counted = (filter: Parameters<typeof cluster.server.counters.total>[0]) =>
    cluster.server.counters.total(filter);
  const accepted =
    counted({ verb: "patch", resource: "services", subresource: "status", code: 200 }) +
    counted({ verb: "update", resource: "services", subresource: "status", code: 200 });
  console.log(
    `# ${created} Services, ${written.size} status writes (${accepted} accepted), ${leases.length} Lease writes; ` +
      rounds
        .map(
          (r, i) =>
            `round ${i} (${r.seconds} s): killed with ${r.servedAtKill}/${r.aliveAtKill} served, ${r.untouchedAtKill} untouched, ` +
            `+${r.createdAfterKill} after, takeover ${Date.parse(leaseSpec(takeovers[i]!).acquireTime ?? "") - r.killedAt} ms later`,
        )
        .join("; "),
  );

  assert.deepEqual(recorder.problems, [], "every change was recorded");
  assert.deepEqual(
    checkAddressHistory(services, mayRelease),
    [],
    "no address shown by two Services, none taken from a Service whose request allows it",
  );
  assert.ok(written.size > 0 && written.size <= accepted, `${written.size} stored of ${accepted} accepted`);
  // Every Lease write the server accepted changed it (renewTime at least), and each was seen.
  assert.equal(
    ordered.filter((c) => c.source === "leases").length,
    counted({ verb: "create", resource: "leases", code: 201 }) +
      counted({ verb: "update", resource: "leases", code: 200 }),
    "the Lease writes seen are those the server accepted",
  );

  // The Lease went from each dead leader to its standby, and to nobody else.
  const holders = leases
    .map((c) => leaseSpec(c).holderIdentity ?? "")
    .filter((h, i, all) => h !== all[i - 1]);
  if (holders.at(-1) === "") holders.pop();
  assert.deepEqual(holders, identities, "the Lease passed from each dead leader to its standby only");

  for (const [i, r] of rounds.entries()) {
    const takeover = takeovers[i]!;
    const spec = leaseSpec(takeover);
    assert.equal(spec.holderIdentity, r.successor, `round ${i}: the standby took the Lease`);
    // The standby waited for the dead leader's lease to run out (one clock: same machine); at
    // the very least past the renew deadline, until which a leader that is alive may write.
    const lastRenewal = [...leases].reverse().find((c) => c.rv < r.killRv)!;
    assert.equal(leaseSpec(lastRenewal).holderIdentity, r.dead);
    const waited = Date.parse(spec.acquireTime ?? "") - Date.parse(leaseSpec(lastRenewal).renewTime ?? "");
    assert.ok(waited >= RENEW_S * 1000, `round ${i}: took over ${waited} ms after the last renewal`);
    // Nothing was written from the leader's death until the standby held the Lease.
    const between = ordered.filter((c) => c.rv > r.killRv && c.rv < takeover.rv && byController(c));
    assert.deepEqual(
      between.map((c) => `${c.rv} ${c.source} ${c.type} ${c.object.metadata?.name}`),
      [],
      `round ${i}: writes between the kill and the takeover`,
    );
    // The standby's own count: no write while it stood by (the scrape after the kill counts
    // only if it still stood by then).
    assert.deepEqual(r.standbyBefore, { leader: 0, writes: 0 }, `round ${i}: the standby before the burst`);
    if (r.standbyAtKill.leader === 0)
      assert.equal(r.standbyAtKill.writes, 0, `round ${i}: the standby wrote`);
    // The new leader did the rest: the Services created after the kill hold their addresses.
    const end = rounds[i + 1]?.killRv ?? Number.POSITIVE_INFINITY;
    const byNewLeader = [...written].filter((c) => c.rv > takeover.rv && c.rv < end);
    assert.ok(byNewLeader.length > 0, `round ${i}: the new leader wrote nothing`);
    assert.equal(r.successorAfter.leader, 1, `round ${i}: the standby leads`);
    assert.ok(r.successorAfter.writes > 0, `round ${i}: the new leader counts no write`);
    assert.ok(r.servedAtKill > 0, `round ${i}: the leader died before serving any Service`);
  }
}

it("the replay flags an address shown by two Services, and one dropped while still allowed", () => {
  let rv = 0;
  const change = (name: string, ips: string[], type: StoredChange["type"] = "MODIFIED"): StoredChange => ({
    rv: ++rv,
    source: "services",
    type,
    object: {
      metadata: {
        namespace: NS,
        name,
        annotations: name === "moved" ? { [POOLS_ANNOTATION]: '["fo-b"]' } : {},
      },
      status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
    },
  });
  const history = [
    change("one", [], "ADDED"),
    change("one", ["10.72.0.1"]),
    change("two", [], "ADDED"),
    change("two", ["10.72.0.2"]),
    change("one", [], "DELETED"),
    // Reused after its holder went: fine.
    change("three", ["10.72.0.1"], "ADDED"),
    change("moved", ["10.72.0.3"], "ADDED"),
    // Leaves for its new pool: fine.
    change("moved", ["10.73.0.1"]),
    // Shown by two at once.
    change("four", ["10.72.0.2"], "ADDED"),
    // Dropped though the request still allows it.
    change("three", []),
  ];
  assert.deepEqual(checkAddressHistory(history, mayRelease), [
    `rv 9: 10.72.0.2 shown by ${NS}/two and ${NS}/four at once`,
    `rv 10: ${NS}/three dropped 10.72.0.1 (now [])`,
  ]);
  assert.deepEqual(
    statusWrites(history).map((c) => c.rv),
    [2, 4, 8, 10],
  );
});
