// The openai-node oracle: drives the official npm package `openai` against a target, as an
// integrator's unchanged Node code would, and prints what each call returned or raised as JSON.
//
// Input: a JSON plan on stdin; the API key in the environment (VIDEO_CONFORMANCE_API_KEY), never
// in argv; the package directory in VIDEO_CONFORMANCE_OPENAI_NODE. No build step: plain ESM.
//
// openai-node has no videos.createAndPoll (unlike openai-python), so "create and poll" is create
// followed by the loop Node integrators write and the SDK's own poll helpers use: retrieve while
// the status is queued or in_progress, return on anything else.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const NON_TERMINAL = new Set(['queued', 'in_progress']);
const SUMMARY_KEYS = ['id', 'object', 'status', 'progress', 'model', 'size', 'seconds',
  'remixed_from_video_id', 'completed_at', 'expires_at', 'error'];

function describeError(err) {
  const out = { name: err?.constructor?.name ?? 'Error', message: String(err?.message ?? err) };
  if (typeof err?.status === 'number') out.status = err.status;
  for (const key of ['code', 'param', 'type']) {
    if (err?.[key] !== undefined) out[key] = err[key];
  }
  out.message = out.message.slice(0, 300);
  return out;
}

function summarise(value) {
  // A Video (or a string when the body was not labelled JSON): keep what the judge reads.
  if (value === null || typeof value !== 'object') return { type: typeof value, value: String(value).slice(0, 200) };
  const out = { type: 'object' };
  for (const key of SUMMARY_KEYS) if (key in value) out[key] = value[key];
  return out;
}

function summariseDeleted(value) {
  if (value === null || typeof value !== 'object') return { type: typeof value, value: String(value).slice(0, 200) };
  return { type: 'object', id: value.id, object: value.object, deleted: value.deleted };
}

// The SDK's default retries, as integrators get them, except on create and remix: openai-node
// retries 5xx and timeouts too, and a retried create could start a second billed job.
const NO_RETRY = { maxRetries: 0 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'cookie', 'proxy-authorization'];

// fetch, following redirects by hand so that no credential leaves the target's origin: Node's
// fetch drops Authorization on a cross-origin hop but forwards x-api-key and every other custom
// header, which a /content redirect to a CDN would then receive.
function safeFetch(apiKey) {
  return async function follow(input, init = {}, hops = 0) {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const response = await fetch(url, { ...init, redirect: 'manual' });
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || !location || hops >= MAX_REDIRECTS) return response;
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') return response;
    const headers = new Headers(init.headers);
    if (next.origin !== url.origin) {
      for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      for (const [name, value] of [...headers]) {
        if (apiKey && value.includes(apiKey)) headers.delete(name);
      }
    }
    const method = init.method ?? 'GET';
    const toGet = response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST');
    await response.body?.cancel();
    return follow(next, { ...init, headers, method: toGet ? 'GET' : method, body: toGet ? undefined : init.body }, hops + 1);
  };
}

async function pollVideo(client, id, plan) {
  const deadline = Date.now() + plan.job_timeout_s * 1000;
  let polls = 0;
  for (;;) {
    const video = await client.videos.retrieve(id);
    polls += 1;
    if (!NON_TERMINAL.has(video?.status)) return { video, polls };
    if (Date.now() + plan.poll_interval_ms > deadline) {
      throw new Error(`still ${video.status} after the job timeout of ${plan.job_timeout_s} s`);
    }
    await sleep(plan.poll_interval_ms);
  }
}

async function download(client, id) {
  const response = await client.videos.downloadContent(id);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    content_type: response.headers.get('content-type'),
    length: bytes.length,
    head_hex: Buffer.from(bytes.subarray(0, 16)).toString('hex'),
  };
}

async function listVideos(client, plan) {
  const page = await client.videos.list({ limit: plan.list_limit });
  const ids = [];
  let current = page;
  for (let pages = 1; ; pages += 1) {
    for (const item of current.data) ids.push(item?.id);
    if (!current.hasNextPage() || pages >= plan.list_pages) {
      return { pages, ids, has_more: current.has_more ?? null };
    }
    current = await current.getNextPage();
  }
}

async function call(calls, name, fn) {
  const started = Date.now();
  const entry = { call: name, ok: false, at: started / 1000 };
  try {
    entry.value = await fn();
    entry.ok = true;
  } catch (err) {
    entry.error = describeError(err);
  }
  entry.elapsed_ms = Date.now() - started;
  calls.push(entry);
  return entry;
}

async function main() {
  const plan = JSON.parse(readFileSync(0, 'utf8'));
  const pkgDir = process.env.VIDEO_CONFORMANCE_OPENAI_NODE;
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const { default: OpenAI } = await import(pathToFileURL(join(pkgDir, 'index.mjs')).href);
  const client = new OpenAI({
    fetch: safeFetch(process.env.VIDEO_CONFORMANCE_API_KEY),
    apiKey: process.env.VIDEO_CONFORMANCE_API_KEY,
    baseURL: plan.base_url,
    timeout: plan.request_timeout_s * 1000,
    defaultHeaders: plan.x_api_key ? { 'x-api-key': process.env.VIDEO_CONFORMANCE_API_KEY } : {},
  });
  const calls = [];
  const existing = plan.existing_id;
  if (existing) {
    await call(calls, 'poll', async () => {
      const { video, polls } = await pollVideo(client, existing, plan);
      return { ...summarise(video), polls };
    });
    await call(calls, 'downloadContent', () => download(client, existing));
  }
  // The list finds the job the oracle looks at: the run's (when given) before anything is
  // created, else its own once that one completed (a list may show only finished jobs).
  if (plan.list && (existing || !plan.create)) await call(calls, 'list', () => listVideos(client, plan));
  if (plan.create) {
    const created = await call(calls, 'create', async () => summarise(await client.videos.create(plan.create, NO_RETRY)));
    const id = created.ok ? created.value.id : null;
    if (id) {
      const polled = await call(calls, 'createAndPoll', async () => {
        const { video, polls } = await pollVideo(client, id, plan);
        return { ...summarise(video), polls };
      });
      if (polled.ok && polled.value.status === 'completed') {
        await call(calls, 'downloadContent_created', () => download(client, id));
      }
      if (plan.list && !existing) await call(calls, 'list', () => listVideos(client, plan));
      if (plan.remix) {
        const remixed = await call(calls, 'remix', async () => summarise(await client.videos.remix(id, { prompt: plan.remix }, NO_RETRY)));
        const remixId = remixed.ok ? remixed.value.id : null;
        if (remixId) {
          await call(calls, 'remix_poll', async () => summarise((await pollVideo(client, remixId, plan)).video));
          if (plan.delete) await call(calls, 'delete_remix', async () => summariseDeleted(await client.videos.delete(remixId)));
        }
      }
      if (plan.delete) await call(calls, 'delete', async () => summariseDeleted(await client.videos.delete(id)));
    }
  }
  // The free probes come last: the billable chain, the longest wait, starts first.
  await call(calls, 'retrieve_unknown', async () => summarise(await client.videos.retrieve(plan.unknown_id)));
  if (plan.delete) {
    await call(calls, 'delete_unknown', async () => summariseDeleted(await client.videos.delete(plan.unknown_id)));
  }
  process.stdout.write(JSON.stringify({ node: process.version, openai: pkg.version, calls }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`node oracle: ${describeError(err).message}\n`);
  process.exit(3);
});
