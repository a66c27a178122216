import { createWriteStream, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';

/**
 * HTTP(S) GETs for the GPU set-up: through a proxy when one is set (an `http://` URL is asked of the proxy
 * directly, an `https://` one through a CONNECT tunnel), following redirects, with progress and a cancel.
 */

export interface NetOptions {
  /** `http://[user:pass@]host:port`; undefined for a direct connection. */
  proxy?: string;
  /** Whether TLS certificates must verify (VS Code's `http.proxyStrictSSL`). */
  strictSSL?: boolean;
  signal?: AbortSignal;
  /** Bytes so far, and the total when the server says it. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** A download that failed, in words: the URL, and the HTTP status or the network error. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 5;

/** The proxy from the environment, as curl and npm read it; NO_PROXY hosts go direct. */
export function proxyFromEnv(url: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = new URL(url).hostname;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((h) => h.trim().replace(/^\*?\./, '')).filter(Boolean);
  if (noProxy.includes('*') || noProxy.some((h) => host === h || host.endsWith(`.${h}`))) return undefined;
  const https = url.startsWith('https:');
  return (https ? (env.HTTPS_PROXY ?? env.https_proxy) : undefined) ?? env.HTTP_PROXY ?? env.http_proxy ?? undefined;
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** A TLS socket to `target` through the proxy's CONNECT. */
function tunnel(proxy: URL, target: URL, strictSSL: boolean): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const port = target.port || '443';
    const req = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: `${target.hostname}:${port}`, headers: { Host: `${target.hostname}:${port}`, ...proxyAuth(proxy) } });
    req.once('connect', (res, socket: Duplex) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new DownloadError(`the proxy ${proxy.host} refused to connect to ${target.host} (HTTP ${res.statusCode} ${res.statusMessage ?? ''})`.trim(), target.href, res.statusCode));
        return;
      }
      const secure = tls.connect({ socket, servername: target.hostname, rejectUnauthorized: strictSSL });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', (e: NodeJS.ErrnoException) => reject(new DownloadError(`no secure connection to ${target.host} through the proxy ${proxy.host} (${e.code ?? e.message})`, target.href)));
    });
    req.once('error', (e) => reject(new DownloadError(`could not reach the proxy ${proxy.host} (${(e as NodeJS.ErrnoException).code ?? e.message})`, target.href)));
    req.end();
  });
}

/** Opens a GET of `url`, following redirects, to a 200 response. */
async function open(url: string, o: NetOptions, redirects = 0): Promise<http.IncomingMessage> {
  const target = new URL(url);
  const strictSSL = o.strictSSL ?? true;
  const proxy = o.proxy ? new URL(o.proxy.includes('://') ? o.proxy : `http://${o.proxy}`) : undefined;
  const headers = { 'User-Agent': 'stride-setup-gpu', Accept: '*/*' };
  let request: http.ClientRequest;
  if (proxy && target.protocol === 'http:') {
    request = http.request({ host: proxy.hostname, port: proxy.port || 80, path: target.href, headers: { ...headers, Host: target.host, ...proxyAuth(proxy) }, signal: o.signal });
  } else if (proxy) {
    const socket = await tunnel(proxy, target, strictSSL);
    request = https.request(target, { headers, signal: o.signal, agent: false, createConnection: () => socket });
  } else {
    request = (target.protocol === 'https:' ? https : http).request(target, { headers, signal: o.signal, rejectUnauthorized: strictSSL });
  }
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(new DownloadError('the download was cancelled', url));
      else reject(new DownloadError(`could not reach ${target.host}${proxy ? ` through the proxy ${proxy.host}` : ''} (${e.code ?? e.message})`, url));
    });
    request.end();
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects >= MAX_REDIRECTS) throw new DownloadError(`${url} redirects more than ${MAX_REDIRECTS} times`, url, status);
    return open(new URL(res.headers.location, url).href, o, redirects + 1);
  }
  if (status !== 200) {
    res.resume();
    throw new DownloadError(`${target.host} refused the download of ${url} (HTTP ${status} ${res.statusMessage ?? ''})`.trim(), url, status);
  }
  return res;
}

/** A small document (a feed's index) as JSON. */
export async function fetchJson(url: string, o: NetOptions = {}): Promise<unknown> {
  const res = await open(url, o);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new DownloadError(`${url} did not answer with JSON (it starts ${JSON.stringify(text.slice(0, 40))})`, url);
  }
}

/** Downloads `url` to `file`; a failed or cancelled download leaves no file. */
export async function downloadFile(url: string, file: string, o: NetOptions = {}): Promise<number> {
  const res = await open(url, o);
  const total = Number(res.headers['content-length']) || undefined;
  let received = 0;
  const out = createWriteStream(file);
  try {
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        received += c.length;
        o.onProgress?.(received, total);
      });
      res.once('error', (e) => reject(new DownloadError(e.name === 'AbortError' ? 'the download was cancelled' : `the download of ${url} broke off after ${received} bytes (${e.message})`, url)));
      res.once('aborted', () => reject(new DownloadError(`the download of ${url} broke off after ${received} bytes`, url)));
      out.once('error', (e) => reject(new DownloadError(`could not write ${file} (${(e as NodeJS.ErrnoException).code ?? e.message})`, url)));
      out.once('finish', resolve);
      res.pipe(out);
    });
    if (total !== undefined && received !== total) throw new DownloadError(`the download of ${url} ended after ${received} of ${total} bytes`, url);
    return received;
  } catch (e) {
    out.destroy();
    rmSync(file, { force: true });
    throw e;
  }
}
