// Every GraphQL document the console uses, and the one place that sends them. Pages call
// these functions and never build documents themselves. Counts come from Instance.stats,
// a unit's lists newest first from `last`/`before` pages.

import { AuthRequired, authorization } from "./auth.js";
import { SubscriptionClient, socketUrl } from "./ws.js";

const ENDPOINT = new URL("../graphql", window.location.href).toString();

export const UOW_STATUSES = [
  "PENDING", "ACTIVE", "PENDING_PILOT_APPROVAL", "PAUSED", "ZOMBIED_SOFT", "ZOMBIED_DEAD",
  "COMPLETED", "FAILED", "FAILED_SECURITY_BREACH", "ARCHIVED",
];
export const LOG_TYPES = ["STATE_TRANSITION", "INTERACTION", "GUARDIAN_DECISION", "TELEMETRY", "ERROR"];

/** An error of the transport or of GraphQL itself (not a payload's `errors`). */
export class ApiError extends Error {}

async function request(query, variables = {}) {
  const operationName = /(?:query|mutation)\s+(\w+)/.exec(query)[1];
  const headers = { "content-type": "application/json", accept: "application/graphql-response+json" };
  const bearer = authorization();
  if (bearer) headers.authorization = bearer;
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables, operationName }),
  });
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    throw new AuthRequired(body?.errors?.map((e) => e.message).join("; ") || "this server needs a bearer token");
  }
  if (!body) throw new ApiError(`${response.status} ${response.statusText}`);
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

// Instance.stats: counts by status and by interaction, the oldest wait, in one statement.
const STATS = `stats { total byStatus { status count } byInteraction { interactionId count waiting }
  oldestWaitingSince oldestWaitingSeconds }`;

/** Every status with its count (0 for those the API leaves out). */
function countsOf(stats) {
  const counts = Object.fromEntries(UOW_STATUSES.map((s) => [s, 0]));
  for (const { status, count } of stats.byStatus) counts[status] = count;
  return counts;
}

/** Interaction id -> {waiting (PENDING), here (any status)}; absent ones hold nothing. */
function loadOf(stats) {
  const load = {};
  for (const i of stats.byInteraction) load[i.interactionId] = { waiting: i.waiting, here: i.count };
  return load;
}

function summarise(stats) {
  return {
    counts: countsOf(stats), load: loadOf(stats), total: stats.total,
    oldestWaitingSince: stats.oldestWaitingSince, oldestWaitingSeconds: stats.oldestWaitingSeconds,
  };
}

export async function listInstances() {
  const data = await request(`query ConsoleInstances {
    instances(first: 200) { totalCount edges { node {
      id name description status deploymentDate
      masterWorkflow { id name version }
      ${STATS}
    } } }
  }`);
  return data.instances.edges.map(({ node }) => ({ ...node, ...summarise(node.stats) }));
}

export async function instanceGraph(id) {
  const data = await request(`query ConsoleInstance($id: ID!) {
    instance(id: $id) {
      id name description status deploymentDate
      actors { id name type roles { id } }
      ${STATS}
      workflows {
        id name description version isMaster
        roles { id name roleType description linkedWorkflow { id name } }
        interactions { id name description }
        components {
          id name direction
          role { id } interaction { id }
          guardians { id name type }
        }
      }
    }
  }`, { id });
  return { ...data.instance, ...summarise(data.instance.stats) };
}

/** The instance's status and stats (units by status and per interaction), to reconcile. */
export async function instanceLoad(id) {
  const data = await request(`query ConsoleInstanceLoad($id: ID!) {
    instance(id: $id) { status ${STATS} }
  }`, { id });
  return { status: data.instance.status, ...summarise(data.instance.stats) };
}

const UOW_ROW = `id status version createdAt updatedAt retryCount
  currentInteraction { id name } currentRole { id name } lockedBy { id name }`;

export async function unitsAt(instanceId, interactionId, status, first = 50) {
  const data = await request(`query ConsoleUnitsAt($instanceId: ID!, $interactionId: ID, $status: UowStatus, $first: Int) {
    uows(instanceId: $instanceId, interactionId: $interactionId, status: $status, first: $first) {
      totalCount edges { node { ${UOW_ROW} } }
    }
  }`, { instanceId, interactionId, status, first });
  return { total: data.uows.totalCount, units: data.uows.edges.map((e) => e.node) };
}

const HISTORY_ENTRY = `id previousStatus newStatus previousStateHash newStateHash
  transitionTimestamp reasoning transitionMetadata actor { id name }
  previousInteraction { id name } newInteraction { id name }`;

const ATTRIBUTE = "id key value version reasoning createdAt actor { name }";
const LOG = "id logId logType timestamp eventDetails errorMetadata actor { name } role { name } interaction { name }";
const PAGE = 50;

// The unit's lists, newest first: `last` pages (the API keeps them in list order, oldest to
// newest, so they are reversed here); `pageInfo.startCursor` with `before` reads older ones.
const LISTS = {
  history: HISTORY_ENTRY,
  attributeHistory: ATTRIBUTE,
  logs: LOG,
};

function newestFirst(connection) {
  return {
    total: connection.totalCount,
    items: connection.edges.map((e) => e.node).reverse(),
    older: connection.pageInfo.hasPreviousPage ? connection.pageInfo.startCursor : null,
  };
}

const listOf = (name, last = "$last", before = "null") =>
  `${name}(last: ${last}, before: ${before}) { totalCount pageInfo { hasPreviousPage startCursor } edges { node { ${LISTS[name]} } } }`;

export async function unitOfWork(id, last = PAGE) {
  const data = await request(`query ConsoleUow($id: ID!, $last: Int!) {
    uow(id: $id) {
      ${UOW_ROW} contentHash childCount finishedChildCount lastHeartbeatAt
      instance { id name actors { id name type roles { id } } }
      workflow { id name components { direction role { id name roleType } interaction { id } } }
      parent { id status }
      children(first: 50) { totalCount edges { node { id status currentInteraction { name } } } }
      attributes { ${ATTRIBUTE} }
      ${Object.keys(LISTS).map((name) => listOf(name)).join("\n      ")}
    }
  }`, { id, last });
  const u = data.uow;
  return {
    ...u,
    history: newestFirst(u.history),
    attributeHistory: newestFirst(u.attributeHistory),
    logs: newestFirst(u.logs),
    children: { total: u.children.totalCount, units: u.children.edges.map((e) => e.node) },
  };
}

/** The page of a unit's `list` older than `before`, newest first: a Relay refetch by node(id). */
export async function olderOf(uowId, list, before, last = PAGE) {
  const data = await request(`query ConsoleOlder($id: ID!, $last: Int!, $before: String!) {
    node(id: $id) { ... on UnitOfWork { ${listOf(list, "$last", "$before")} } }
  }`, { id: uowId, last, before });
  return newestFirst(data.node[list]);
}

const ERRORS = "errors { code message path rule }";

export async function verifyUowState(uowId) {
  const data = await request(`mutation ConsoleVerify($uowId: ID!) {
    verifyUowState(input: { uowId: $uowId }) { intact ${ERRORS} uow { id status contentHash } }
  }`, { uowId });
  return data.verifyUowState;
}

export async function transitionUow(input) {
  const data = await request(`mutation ConsoleTransition($input: TransitionUowInput!) {
    transitionUow(input: $input) { ${ERRORS} uow { id status version } }
  }`, { input });
  return data.transitionUow;
}

const MOVED = `uow { id status version currentInteraction { id name } currentRole { id name } lockedBy { id name } }`;

/** An actor of a role takes the oldest unit its inbound guardians let through (or `uowId`). */
export async function checkout(roleId, actorId, uowId = null) {
  const data = await request(`mutation ConsoleCheckout($input: CheckoutInput!) {
    checkout(input: $input) { ${ERRORS} ${MOVED} }
  }`, { input: { roleId, actorId, uowId } });
  return data.checkout;
}

/** The holder hands the unit back (optionally with new attributes); the engine routes it. */
export async function submit(input) {
  const data = await request(`mutation ConsoleSubmit($input: SubmitInput!) {
    submit(input: $input) { ${ERRORS} ${MOVED}
      route { kind reason componentName guardianName interaction { name } } }
  }`, { input });
  return data.submit;
}

/** The holder gives up on the unit: FAILED, on to the EPSILON role. */
export async function reportFailure(input) {
  const data = await request(`mutation ConsoleReportFailure($input: ReportFailureInput!) {
    reportFailure(input: $input) { ${ERRORS} ${MOVED} }
  }`, { input });
  return data.reportFailure;
}

export async function setInstanceStatus(instanceId, status) {
  const data = await request(`mutation ConsoleInstanceStatus($instanceId: ID!, $status: InstanceStatus!) {
    setInstanceStatus(input: { instanceId: $instanceId, status: $status }) { ${ERRORS} instance { id status } }
  }`, { instanceId, status });
  return data.setInstanceStatus;
}

export async function recentLogs(instanceId, logTypes, first = 100) {
  const data = await request(`query ConsoleLogs($id: ID!, $logTypes: [LogType!], $first: Int) {
    instance(id: $id) { logs(first: $first, logTypes: $logTypes) { totalCount edges { node {
      id logId logType timestamp eventDetails errorMetadata uow { id } actor { name } role { name } interaction { name }
    } } } }
  }`, { id: instanceId, logTypes, first });
  return data.instance.logs;
}

let client = null;

/** The page's one WebSocket; `onState` hears "connecting", "live", "disconnected" and
 * "refused" (closed 4401/4403: the token is missing, refused or expired). */
export function subscriptions(onState) {
  if (!client) {
    const connectionParams = () => {
      const bearer = authorization();
      return bearer ? { Authorization: bearer } : {};
    };
    client = new SubscriptionClient(socketUrl("../graphql"), { onState, connectionParams });
  } else if (onState) client.onState = onState;
  return client;
}

const TELEMETRY = `subscription ConsoleTelemetry($instanceId: ID!, $uowId: ID, $logTypes: [LogType!]) {
  telemetry(instanceId: $instanceId, uowId: $uowId, logTypes: $logTypes) {
    logId instanceId uowId actorId roleId interactionId logType timestamp details error dropped
    transition { id previousStatus newStatus reasoning uow { id }
      previousInteraction { id name } newInteraction { id name } actor { id name } }
  }
}`;

/** Live events of an instance; returns the function that stops them. */
export function watchTelemetry({ instanceId, uowId = null, logTypes = null }, onEvent, onError) {
  return subscriptions().subscribe(
    { query: TELEMETRY, operationName: "ConsoleTelemetry", variables: { instanceId, uowId, logTypes } },
    { next: (data) => onEvent(data.telemetry), error: (e) => onError?.(e) },
  );
}
