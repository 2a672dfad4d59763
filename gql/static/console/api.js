// Every GraphQL document the console uses, and the one place that sends them. Pages call
// these functions and never build documents themselves, so moving to newer API fields
// (Instance.stats, newest-first `last`/`before` pages) is a change in this module only.

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
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables, operationName }),
  });
  const body = await response.json().catch(() => null);
  if (!body) throw new ApiError(`${response.status} ${response.statusText}`);
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

// One alias per status: `uows(status:)` counts (Instance.stats will replace this).
const STATUS_COUNTS = UOW_STATUSES.map(
  (s) => `${s}: uows(status: ${s}, first: 0) { totalCount }`
).join("\n");

function countsOf(node) {
  const counts = {};
  for (const s of UOW_STATUSES) counts[s] = node[s].totalCount;
  return counts;
}

export async function listInstances() {
  const data = await request(`query ConsoleInstances {
    instances(first: 200) { totalCount edges { node {
      id name description status deploymentDate
      masterWorkflow { id name version }
      ${STATUS_COUNTS}
    } } }
  }`);
  return data.instances.edges.map(({ node }) => ({ ...node, counts: countsOf(node) }));
}

const WAITING = `waiting: uows(status: PENDING, first: 0) { totalCount }
                 working: uows(status: ACTIVE, first: 0) { totalCount }`;

export async function instanceGraph(id) {
  const data = await request(`query ConsoleInstance($id: ID!) {
    instance(id: $id) {
      id name description status deploymentDate
      actors { id name type }
      ${STATUS_COUNTS}
      workflows {
        id name description version isMaster
        roles { id name roleType description linkedWorkflow { id name } }
        interactions { id name description ${WAITING} }
        components {
          id name direction
          role { id } interaction { id }
          guardians { id name type }
        }
      }
    }
  }`, { id });
  return { ...data.instance, counts: countsOf(data.instance) };
}

/** Units waiting and worked on at each interaction, and the instance's counts by status. */
export async function instanceLoad(id) {
  const data = await request(`query ConsoleInstanceLoad($id: ID!) {
    instance(id: $id) {
      status
      ${STATUS_COUNTS}
      workflows { id interactions { id ${WAITING} } }
    }
  }`, { id });
  const interactions = {};
  for (const workflow of data.instance.workflows) {
    for (const i of workflow.interactions) {
      interactions[i.id] = { waiting: i.waiting.totalCount, working: i.working.totalCount };
    }
  }
  return { status: data.instance.status, counts: countsOf(data.instance), interactions };
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

// History, attribute versions and logs come oldest-first (`first`); 500 is the server's page
// bound. Newest-first pages (`last`/`before`) will replace this once the API has them.
export async function unitOfWork(id) {
  const data = await request(`query ConsoleUow($id: ID!) {
    uow(id: $id) {
      ${UOW_ROW} contentHash childCount finishedChildCount lastHeartbeatAt
      instance { id name actors { id name type } }
      workflow { id name }
      parent { id status }
      children(first: 50) { totalCount edges { node { id status currentInteraction { name } } } }
      attributes { id key value version reasoning createdAt actor { name } }
      attributeHistory(first: 500) { totalCount edges { node { id key value version reasoning createdAt actor { name } } } }
      history(first: 500) { totalCount edges { node { ${HISTORY_ENTRY} } } }
      logs(first: 500) { totalCount edges { node { id logId logType timestamp eventDetails errorMetadata actor { name } role { name } interaction { name } } } }
    }
  }`, { id });
  const u = data.uow;
  return {
    ...u,
    attributeHistory: u.attributeHistory.edges.map((e) => e.node),
    history: u.history.edges.map((e) => e.node),
    historyTotal: u.history.totalCount,
    logs: u.logs.edges.map((e) => e.node),
    logsTotal: u.logs.totalCount,
    children: { total: u.children.totalCount, units: u.children.edges.map((e) => e.node) },
  };
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

/** The page's one WebSocket; `onState` hears "connecting", "live" and "disconnected". */
export function subscriptions(onState) {
  if (!client) client = new SubscriptionClient(socketUrl("../graphql"), { onState });
  else if (onState) client.onState = onState;
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
