// The same frontend module, written against the client openapi-generator's typescript-fetch
// generates (defaults untouched). Run by tests/clients/test_generated_clients.py against a
// real mock; it prints what it saw as one JSON line for the test to compare.
import {
  CallTrackingsApi,
  Configuration,
  ListCallTrackingsSortEnum,
  ListCallTrackingsSortOrderEnum,
  ModelErrorFromJSON,
  ResponseError,
  type CallTracking,
} from "./generated";

const [basePath, session] = process.argv.slice(2);
const api = new CallTrackingsApi(new Configuration({
  basePath,
  accessToken: "admin-token",
  headers: { "X-Mock-Session": session },
}));

async function everyPage(perPage: number): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page++) {
    const list = await api.listCallTrackings({
      page, perPage, sort: ListCallTrackingsSortEnum.Id,
    });
    ids.push(...list.callTrackings.map((ct: CallTracking) => ct.id));
    if (ids.length >= (list.count ?? 0) || list.callTrackings.length === 0) return ids;
  }
}

async function main(): Promise<void> {
  const answered = (await api.listCallTrackings({
    filtersStatus: "answered",
    sort: ListCallTrackingsSortEnum.Date,
    sortOrder: ListCallTrackingsSortOrderEnum.DESC_LOWERCASE,
    perPage: 5,
  })).callTrackings;
  const ids = await everyPage(40);

  const expanded = (await api.listCallTrackings({
    perPage: 1, sort: ListCallTrackingsSortEnum.Id, xMyCRMExpandData: "user",
  })).callTrackings[0].user;
  const collapsed = (await api.listCallTrackings({ perPage: 1 })).callTrackings[0].user;
  if (expanded === null || collapsed === null) throw new Error("no user to look at");

  const [first, second, third, fourth] = ids;
  const patched = await api.bulkUpdateCallTrackings({
    bulkUpdateRequest: {
      calltrackings: [first, second],
      operations: [
        { op: "replace", path: "/assignment/user", value: 3 },
        { op: "replace", path: "/assignment/property", value: 201 },
        { op: "replace", path: "/assignment/lead", value: 101 },
        { op: "replace", path: "/seen", value: false },
      ],
    },
  });

  const one = await api.deleteCallTrackingRaw({ id: third });
  const several = await api.bulkDeleteCallTrackingsRaw({
    bulkDeleteRequest: { calltrackings: [fourth] },
  });
  const remaining = await everyPage(500);

  const recorded = answered.find((ct) => ct.downloadUrl !== null);
  if (recorded === undefined) throw new Error("no answered call with a recording");
  const recording = await api.getCallTrackingRecording({ id: recorded.id });
  const audio = await fetch(recording.recording.url);
  const bytes = (await audio.arrayBuffer()).byteLength;

  let refused: [number, number, string, string, string] | null = null;
  try {
    await api.deleteCallTracking({ id: 999999 });
  } catch (error: unknown) {
    if (!(error instanceof ResponseError)) throw error;
    const body = ModelErrorFromJSON(await error.response.json());
    const problem = body.errors?.[0];
    if (problem === undefined) throw new Error("a 400 without errors");
    refused = [error.response.status, body.code, problem._in, problem.name, problem.reason];
  }

  console.log(JSON.stringify({
    answered: answered.map((ct) => [ct.id, ct.status, ct.callStart.toISOString()]),
    paged: ids,
    // typescript-fetch flattens an anyOf into one interface: the full user's fields are
    // there when expanded, and absent when collapsed.
    expanded: [expanded.id, expanded._public?.firstName ?? null],
    collapsed: collapsed._public === undefined ? { id: collapsed.id } : collapsed,
    patched: patched.callTrackings.map((ct) => [
      ct.id, ct.user?.id ?? null, ct.property?.id ?? null, ct.lead?.id ?? null,
      ct.markedAsSeen]),
    deleted: [[third, one.raw.status], [fourth, several.raw.status]],
    remaining,
    recording: [recorded.id, audio.headers.get("content-type"), bytes],
    refused,
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
