// A frontend's API module, as a developer writes it from the types openapi-typescript
// generates and openapi-fetch: nothing here is written by hand about the API but the calls.
// Run by tests/clients/test_generated_clients.py against a real mock; it prints what it saw
// as one JSON line, which the test compares with the mock's own answers.
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type CallTracking = components["schemas"]["CallTracking"];
type User = components["schemas"]["User"];

const [baseUrl, session] = process.argv.slice(2);
const api = createClient<paths>({
  baseUrl,
  headers: { Authorization: "Bearer admin-token", "X-Mock-Session": session },
});

function fail(what: string, detail: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(detail)}`);
}

async function everyPage(perPage: number): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page++) {
    const { data, error } = await api.GET("/calltrackings", {
      params: { query: { page, per_page: perPage, sort: "id", sort_order: "ASC" } },
    });
    if (error) fail("page", error);
    ids.push(...data.call_trackings.map((ct: CallTracking) => ct.id));
    if (ids.length >= (data.count ?? 0) || data.call_trackings.length === 0) return ids;
  }
}

function isUser(user: CallTracking["user"]): user is User {
  return user !== null && "public" in user;
}

async function main(): Promise<void> {
  const filtered = await api.GET("/calltrackings", {
    params: {
      query: {
        "filters[status]": "answered",
        sort: "date",
        sort_order: "desc",
        per_page: 5,
      },
    },
  });
  if (filtered.error) fail("filtered list", filtered.error);
  const answered = filtered.data.call_trackings;

  const ids = await everyPage(40);

  const expanded = await api.GET("/calltrackings", {
    params: { query: { per_page: 1, sort: "id" }, header: { "X-MyCRM-Expand-Data": "user" } },
  });
  if (expanded.error) fail("expanded list", expanded.error);
  const user = expanded.data.call_trackings[0].user;
  if (!isUser(user)) fail("an expanded user is not a User", user);
  const collapsed = (await api.GET("/calltrackings", { params: { query: { per_page: 1 } } }))
    .data?.call_trackings[0].user;

  const [first, second, third, fourth] = ids;
  const patched = await api.PATCH("/calltrackings", {
    body: {
      calltrackings: [first, second],
      operations: [
        { op: "replace", path: "/assignment/user", value: 3 },
        { op: "replace", path: "/assignment/property", value: 201 },
        { op: "replace", path: "/assignment/lead", value: 101 },
        { op: "replace", path: "/seen", value: false },
      ],
    },
  });
  if (patched.error) fail("patch", patched.error);

  const one = await api.DELETE("/calltrackings/{id}", { params: { path: { id: third } } });
  const several = await api.DELETE("/calltrackings", { body: { calltrackings: [fourth] } });
  const after = await everyPage(500);

  const withRecording = filtered.data.call_trackings.find((ct) => ct.download_url !== null);
  if (withRecording === undefined) fail("no answered call with a recording", answered);
  const recording = await api.GET("/calltrackings/{id}/recording", {
    params: { path: { id: withRecording.id } },
  });
  if (recording.error) fail("recording", recording.error);
  const audio = await fetch(recording.data.recording.url);
  const bytes = (await audio.arrayBuffer()).byteLength;

  const refused = await api.DELETE("/calltrackings/{id}", { params: { path: { id: 999999 } } });
  if (refused.error === undefined) fail("an unknown id was deleted", refused.response.status);
  const problem = refused.error.errors?.[0];

  console.log(JSON.stringify({
    answered: answered.map((ct) => [ct.id, ct.status, ct.call_start]),
    paged: ids,
    expanded: [user.id, user.public.first_name ?? null],
    collapsed,
    patched: patched.data.call_trackings.map((ct) => [
      ct.id, ct.user?.id ?? null, ct.property?.id ?? null, ct.lead?.id ?? null,
      ct.marked_as_seen]),
    deleted: [[third, one.response.status], [fourth, several.response.status]],
    remaining: after,
    recording: [withRecording.id, audio.headers.get("content-type"), bytes],
    refused: [refused.response.status, refused.error.code, problem?.in, problem?.name,
      problem?.reason],
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
