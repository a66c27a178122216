import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { detectGpu, type GpuRoots } from '../runtime/gpu-detect.js';
import { fetchJson, proxyFromEnv } from '../runtime/gpu-download.js';
import { bundledOnnxRuntime, installDir, installedCuda, runEnvironment } from '../runtime/gpu-install.js';
import { CUDA_PACKAGE, PACKAGE_FILES, setupGpu, type SetupOptions, type SetupResult } from '../runtime/gpu-setup.js';
import { stride } from './lib/cli.js';
import { zip } from './lib/zip.js';

// The GPU set-up against prepared machines (folders standing for /proc, PATH and the library folders) and
// a NuGet feed served from 127.0.0.1 with a package of the real one's layout.

const root = mkdtempSync(join(tmpdir(), 'stride-gpu-'));
after(() => rmSync(root, { recursive: true, force: true }));
let made = 0;

interface MachineSpec {
  /** The kernel module's version in /proc/driver/nvidia/version; none: no driver loaded. */
  driver?: string;
  /** What the fake nvidia-smi prints (`name, driver`); none: no nvidia-smi on PATH. */
  smi?: string;
  /** Its exit status (non-zero: it failed, saying `smi`). */
  smiExit?: number;
  /** Library files on the loader's path. */
  libs?: string[];
  /** Library files in a CUDA toolkit folder the loader does not search. */
  toolkit?: string[];
}

const CUDA12 = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10'];
const CUDNN9 = ['libcudnn.so.9'];

function machine(spec: MachineSpec): GpuRoots {
  const m = join(root, `machine-${++made}`);
  for (const d of ['proc', 'bin', 'lib', 'cuda/lib64']) mkdirSync(join(m, d), { recursive: true });
  if (spec.driver) {
    mkdirSync(join(m, 'proc/driver/nvidia'), { recursive: true });
    writeFileSync(join(m, 'proc/driver/nvidia/version'), `NVRM version: NVIDIA UNIX x86_64 Kernel Module  ${spec.driver}  Release Build  (dvs-builder@U16-I3-B03-4-3)\nGCC version:  gcc version 12.2.0\n`);
  }
  if (spec.smi !== undefined) {
    writeFileSync(join(m, 'bin/nvidia-smi'), `#!/bin/sh\necho "${spec.smi}"\nexit ${spec.smiExit ?? 0}\n`);
    chmodSync(join(m, 'bin/nvidia-smi'), 0o755);
  }
  for (const f of spec.libs ?? []) writeFileSync(join(m, 'lib', f), '');
  for (const f of spec.toolkit ?? []) writeFileSync(join(m, 'cuda/lib64', f), '');
  return { proc: join(m, 'proc'), path: [join(m, 'bin')], loaderDirs: [join(m, 'lib')], otherDirs: [join(m, 'cuda/lib64')] };
}

const GPU = { driver: '570.86.15', smi: 'NVIDIA H200, 570.86.15' };

describe('what the machine lacks, each its own message', () => {
  const cases: { name: string; spec: MachineSpec; kind: string; says: RegExp[] }[] = [
    { name: 'no driver', spec: { libs: [...CUDA12, ...CUDNN9] }, kind: 'no-driver', says: [/^no NVIDIA driver: \/proc\/driver\/nvidia\/version does not exist and nvidia-smi is not on PATH\./, /runs networks on the CPU here/, /nvidia\.com\/Download/] },
    { name: 'a driver too old for CUDA 12', spec: { driver: '470.256.02', smi: 'Tesla T4, 470.256.02', libs: [...CUDA12, ...CUDNN9] }, kind: 'old-driver', says: [/the NVIDIA driver is 470\.256\.02; CUDA 12 needs 525\.60\.13 or newer/] },
    { name: 'a driver whose nvidia-smi finds no GPU', spec: { driver: GPU.driver, smi: 'No devices were found', smiExit: 6, libs: [...CUDA12, ...CUDNN9] }, kind: 'no-gpu', says: [/^the NVIDIA driver 570\.86\.15 is loaded but lists no GPU \(\S+nvidia-smi failed: No devices were found\)/, /--gpus all/] },
    { name: 'no CUDA libraries at all', spec: GPU, kind: 'libraries-missing', says: [/^the CUDA 12 runtime \(libcudart\.so\.12, libcublas\.so\.12, libcublasLt\.so\.12, libcufft\.so\.11, libcurand\.so\.10\) and cuDNN 9 \(libcudnn\.so\.9\) are not installed/, /developer\.nvidia\.com\/cudnn-downloads/, /pip install nvidia-cuda-runtime-cu12/, /LD_LIBRARY_PATH/] },
    { name: 'CUDA 12 without cuDNN', spec: { ...GPU, libs: CUDA12 }, kind: 'libraries-missing', says: [/^cuDNN 9 \(libcudnn\.so\.9\) is not installed/, /cudnn9-cuda-12/] },
    { name: 'CUDA 11 only', spec: { ...GPU, libs: ['libcudart.so.11.0', 'libcudart.so.11', 'libcublas.so.11', 'libcublasLt.so.11', 'libcufft.so.10', 'libcurand.so.10', 'libcudnn.so.8'] }, kind: 'wrong-major', says: [/^the wrong major version: libcudart\.so\.12 is needed but only libcudart\.so\.11 is installed; libcublas\.so\.12 is needed but only libcublas\.so\.11/, /libcudnn\.so\.9 is needed but only libcudnn\.so\.8 is installed/, /CUDA 12: /, /cuDNN 9: /] },
    { name: 'cuDNN 8 beside CUDA 12', spec: { ...GPU, libs: [...CUDA12, 'libcudnn.so.8'] }, kind: 'wrong-major', says: [/^the wrong major version: libcudnn\.so\.9 is needed but only libcudnn\.so\.8 is installed\./, /Install cuDNN 9: /] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await setupGpu({ home: join(root, 'unused'), roots: machine(c.spec), platform: 'linux/x64', feed: 'http://127.0.0.1:9/never-asked' });
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.kind, c.kind, r.message);
      for (const s of c.says) assert.match(r.message, s);
    });
  }

  test('the GPU and driver come from nvidia-smi and /proc; libraries outside the loader path are found and recorded', () => {
    const d = detectGpu(machine({ ...GPU, libs: CUDA12, toolkit: CUDNN9 }));
    assert.equal(d.driver, '570.86.15');
    assert.deepEqual(d.gpus, ['NVIDIA H200']);
    const cudnn = d.libraries.find((l) => l.name === 'libcudnn.so.9')!;
    assert.equal(cudnn.onLoaderPath, false);
    assert.match(cudnn.path!, /cuda\/lib64\/libcudnn\.so\.9$/);
    assert.ok(d.libraries.filter((l) => l.part === 'cuda').every((l) => l.onLoaderPath));
  });

  test('another platform is told CUDA is Linux x64 only', async () => {
    const r = await setupGpu({ home: join(root, 'unused'), platform: 'darwin/arm64' });
    assert.equal(r.ok ? 'ok' : r.kind, 'platform');
    assert.match(r.message, /Linux x64 only; this is darwin\/arm64/);
  });
});

/** A NuGet v3 feed on 127.0.0.1: the service index, the package's version list and its .nupkg. */
class Feed {
  server!: Server;
  base = '';
  seen: string[] = [];
  routes = new Map<string, (res: ServerResponse) => void>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.seen.push(req.url ?? '');
      const route = this.routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (route) route(res);
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const a = this.server.address() as { port: number };
    this.base = `http://127.0.0.1:${a.port}`;
  }

  /** The feed as nuget.org lays it out, serving `nupkg` for the bundled version. */
  serve(nupkg: Buffer | ((res: ServerResponse) => void), versions = [bundledOnnxRuntime().version]): void {
    const name = CUDA_PACKAGE.toLowerCase();
    const v = bundledOnnxRuntime().version;
    this.routes.clear();
    this.seen = [];
    const json = (body: unknown) => (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    this.routes.set('/v3/index.json', json({ version: '3.0.0', resources: [{ '@id': `${this.base}/v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0' }] }));
    this.routes.set(`/v3-flatcontainer/${name}/index.json`, json({ versions }));
    // nuget.org answers the package URL with a redirect to its CDN.
    this.routes.set(`/v3-flatcontainer/${name}/${v}/${name}.${v}.nupkg`, (res) => res.writeHead(302, { location: `/cdn/${name}.${v}.nupkg` }).end());
    this.routes.set(`/cdn/${name}.${v}.nupkg`, typeof nupkg === 'function' ? nupkg : (res) => res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': nupkg.length }).end(nupkg));
  }

  get index(): string {
    return `${this.base}/v3/index.json`;
  }
}

/** A package with the real one's layout; its libraries are not ELF files, which only the last check can tell. */
function nupkg(files: Record<string, Uint8Array> = Object.fromEntries(PACKAGE_FILES.map((f) => [f.entry, Buffer.from(`not really ${f.file}\n`.repeat(2000))]))): Buffer {
  return zip({ '[Content_Types].xml': Buffer.from('<Types/>'), [`${CUDA_PACKAGE}.nuspec`]: Buffer.from('<package/>'), ...files });
}

describe('the download, from a feed on 127.0.0.1', () => {
  const feed = new Feed();
  before(() => feed.start());
  after(() => feed.server.close());
  const ready = () => machine({ ...GPU, libs: CUDA12, toolkit: CUDNN9 });
  const version = bundledOnnxRuntime().version;

  function home(): string {
    return mkdtempSync(join(root, 'home-'));
  }

  function leftovers(h: string): string[] {
    return existsSync(h) ? readdirSync(h).filter((f) => /partial|nupkg/.test(f)) : [];
  }

  async function setup(h: string, extra: Partial<SetupOptions> = {}): Promise<SetupResult> {
    return setupGpu({ home: h, roots: ready(), platform: 'linux/x64', feed: feed.index, ...extra });
  }

  test('downloads the package, installs the libraries beside a copy of the binding, and says exactly why the session does not load here', async () => {
    feed.serve(nupkg());
    const h = home();
    const steps: [string, number | undefined][] = [];
    const r = await setup(h, { onStep: (m, f) => steps.push([m, f]) });
    const dir = installDir(h, version);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.kind, 'verify', r.message);
    // No GPU and no real provider library here: what failed is the loader's own words about the file.
    assert.equal(r.message, `the CUDA provider libraries are installed in ${dir}, but an ONNX Runtime session with them did not load: the libraries set up in ${dir} do not load: libonnxruntime_providers_shared.so: invalid ELF header. Run the set-up again once that is fixed; until then Stride runs networks on the CPU.`);
    assert.deepEqual(readdirSync(dir).sort(), ['libonnxruntime.so.1', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so', 'onnxruntime_binding.node', 'stride-gpu.json']);
    assert.equal(readFileSync(join(dir, 'libonnxruntime_providers_cuda.so'), 'utf8'), 'not really libonnxruntime_providers_cuda.so\n'.repeat(2000));
    assert.deepEqual(readFileSync(join(dir, 'onnxruntime_binding.node')), readFileSync(join(bundledOnnxRuntime().bindingDir, 'onnxruntime_binding.node')));
    const install = installedCuda(h)!;
    assert.equal(install.onnxruntime, version);
    assert.match(install.source, /\/v3-flatcontainer\/microsoft\.ml\.onnxruntime\.gpu\.linux\/[\d.]+\/microsoft\.ml\.onnxruntime\.gpu\.linux\.[\d.]+\.nupkg$/);
    // cuDNN sits outside the loader's path: the run process gets its folder on LD_LIBRARY_PATH.
    assert.equal(install.libDirs.length, 1);
    assert.match(install.libDirs[0], /cuda\/lib64$/);
    const env = runEnvironment(install, { LD_LIBRARY_PATH: '/opt/x' });
    assert.equal(env.LD_LIBRARY_PATH, `${install.libDirs[0]}:/opt/x`);
    assert.equal(env.STRIDE_ORT_BINDING, dir);
    assert.deepEqual(feed.seen.map((u) => u.replaceAll(version, 'V')), ['/v3/index.json', '/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/index.json', '/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/V/microsoft.ml.onnxruntime.gpu.linux.V.nupkg', '/cdn/microsoft.ml.onnxruntime.gpu.linux.V.nupkg']);
    const fractions = steps.map(([, f]) => f).filter((f): f is number => f !== undefined);
    assert.ok(fractions.length >= 2 && fractions.at(-1) === 1 && fractions.every((f, i) => i === 0 || f >= fractions[i - 1]), `progress rises to 1: ${JSON.stringify(fractions)}`);
    assert.ok(steps.some(([m]) => /^Downloading Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux [\d.]+: [\d.]+ KiB of [\d.]+ KiB$/.test(m)), JSON.stringify(steps.map(([m]) => m)));
    assert.deepEqual(leftovers(h), []);

    // A set-up already there is checked again without a download.
    feed.seen = [];
    const again = await setup(h, { verify: async () => undefined });
    assert.equal(again.ok, true, again.message);
    assert.equal(again.ok && again.downloaded, false);
    assert.deepEqual(feed.seen, []);
    assert.match(again.message, /^CUDA is set up: ONNX Runtime [\d.]+ runs on NVIDIA H200 \(driver 570\.86\.15\)/);
  });

  const cc = spawnSync('cc', ['--version']).status === 0;
  test('provider libraries that link CUDA 12 where there is none: the loader\'s words about the library it lacks', { skip: !cc && 'no C compiler to build ELF libraries with' }, async () => {
    // Real shared libraries with the provider's names: the shared one loads, the CUDA one needs libcudart.so.12.
    const build = mkdtempSync(join(root, 'elf-'));
    writeFileSync(join(build, 'f.c'), 'int f(void) { return 1; }\n');
    const cc1 = (args: string[]) => assert.equal(spawnSync('cc', args, { cwd: build }).status, 0, `cc ${args.join(' ')}`);
    cc1(['-shared', '-fPIC', '-o', 'libcudart.so.12', 'f.c']);
    cc1(['-shared', '-fPIC', '-o', 'libonnxruntime_providers_shared.so', 'f.c']);
    cc1(['-shared', '-fPIC', '-o', 'libonnxruntime_providers_cuda.so', 'f.c', '-L.', '-Wl,--no-as-needed', '-l:libcudart.so.12']);
    const files = Object.fromEntries(PACKAGE_FILES.map((f) => [f.entry, f.file === 'libonnxruntime_providers_tensorrt.so' ? Buffer.from('unused') : readFileSync(join(build, f.file))]));
    feed.serve(nupkg(files));
    const h = home();
    const r = await setup(h);
    const dir = installDir(h, version);
    assert.equal(r.ok ? 'ok' : r.kind, 'verify', r.message);
    assert.equal(r.message, `the CUDA provider libraries are installed in ${dir}, but an ONNX Runtime session with them did not load: the libraries set up in ${dir} do not load: libcudart.so.12: cannot open shared object file: No such file or directory. A library it names is missing from the loader's path: install it, or put its folder on LD_LIBRARY_PATH, and run the set-up again.`);
  });

  test('a run uses the libraries set up: stride run says they do not load, and runs on the CPU', async () => {
    feed.serve(nupkg());
    const cache = home();
    // The CLI's folder: $XDG_CACHE_HOME/stride.
    const h = join(cache, 'stride');
    const r = await setup(h, { verify: async () => undefined });
    assert.equal(r.ok, true, r.message);
    const cli = stride(['run', 'examples/lenet5.stride', '--iterations', '1'], undefined, { XDG_CACHE_HOME: cache });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`provider {2}CPU: the CUDA execution provider is not available \\(the libraries set up in ${installDir(h, version).replace(/[.]/g, '\\.')} do not load: libonnxruntime_providers_shared\\.so: invalid ELF header\\)`));
  });

  const failures: { name: string; serve: () => void; kind: string; says: RegExp }[] = [
    { name: 'the package refused (HTTP 403)', serve: () => feed.serve((res) => res.writeHead(403, 'Forbidden').end()), kind: 'download', says: /^the CUDA provider libraries could not be downloaded: 127\.0\.0\.1:\d+ refused the download of http:\/\/127\.0\.0\.1:\d+\/cdn\/\S+\.nupkg \(HTTP 403 Forbidden\)\. The server refused it: if a proxy or firewall/ },
    { name: 'the package missing (HTTP 404)', serve: () => feed.serve((res) => res.writeHead(404, 'Not Found').end()), kind: 'download', says: /\(HTTP 404 Not Found\)/ },
    { name: 'a feed without this version', serve: () => feed.serve(nupkg(), ['1.19.2', '1.20.0']), kind: 'download', says: /has no Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux [\d.]+ \(it has 1\.19\.2, 1\.20\.0\), the version the bundled ONNX Runtime needs/ },
    { name: 'a truncated archive', serve: () => feed.serve(nupkg().subarray(0, -30)), kind: 'archive', says: /^the CUDA provider libraries could not be installed: the downloaded package is not a valid zip archive \(End of central directory record signature not found\. Either not a zip file, or file is truncated\)\. Run the set-up again/ },
    {
      name: 'a damaged library in the archive',
      serve: () => {
        const z = nupkg();
        // Flip bytes inside the first library's compressed data: it still inflates, to other bytes.
        const at = z.indexOf(Buffer.from(PACKAGE_FILES[0].entry)) + PACKAGE_FILES[0].entry.length + 40;
        for (let i = at; i < at + 8; i++) z[i] ^= 0x55;
        feed.serve(z);
      },
      kind: 'archive',
      says: /the downloaded package is damaged/,
    },
    { name: 'a zip without the libraries', serve: () => feed.serve(zip({ 'lib/other.so': Buffer.from('x') })), kind: 'archive', says: /has no runtimes\/linux-x64\/native\/libonnxruntime_providers_cuda\.so, .*: it is not Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux/ },
  ];
  for (const f of failures) {
    test(f.name, async () => {
      f.serve();
      const h = home();
      const r = await setup(h, { verify: async () => assert.fail('nothing installed to check') });
      assert.equal(r.ok ? 'ok' : r.kind, f.kind, r.message);
      assert.match(r.message, f.says);
      assert.equal(installedCuda(h), undefined);
      assert.deepEqual(leftovers(h), []);
    });
  }

  test('a feed that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await setup(home(), { feed: `http://127.0.0.1:${port}/v3/index.json` });
    assert.equal(r.ok ? 'ok' : r.kind, 'download');
    assert.match(r.message, new RegExp(`could not reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)\\. Check the network connection and the proxy setting`));
  });

  test('through an HTTP proxy: the feed is asked through it', async () => {
    feed.serve(nupkg());
    const asked: string[] = [];
    const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
      asked.push(`${req.method} ${req.url}`);
      const up = httpRequest(req.url!, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const h = home();
      const r = await setup(h, { net: { proxy: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` }, verify: async () => undefined });
      assert.equal(r.ok, true, r.message);
      assert.equal(asked.length, 4, JSON.stringify(asked));
      assert.ok(asked.every((a) => a.startsWith(`GET ${feed.base}/`)), JSON.stringify(asked));
    } finally {
      proxy.close();
    }
  });

  test('through a CONNECT proxy, an https feed is reached in a tunnel', async () => {
    // The tunnel carries whatever the client speaks: here it reaches a plain TLS-less port and fails at TLS,
    // which shows the CONNECT went through; a refused CONNECT is said as such.
    const tunnels: string[] = [];
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: IncomingMessage, socket) => {
      tunnels.push(req.url ?? '');
      if (req.url?.startsWith('blocked.example')) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const [host, port] = (req.url ?? '').split(':');
      const up = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const via = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      await assert.rejects(fetchJson('https://blocked.example/v3/index.json', { proxy: via }), /the proxy 127\.0\.0\.1:\d+ refused to connect to blocked\.example \(HTTP 403 Forbidden\)/);
      await assert.rejects(fetchJson(`https://127.0.0.1:${new URL(feed.base).port}/v3/index.json`, { proxy: via, strictSSL: false }));
      assert.deepEqual(tunnels, ['blocked.example:443', `127.0.0.1:${new URL(feed.base).port}`]);
    } finally {
      proxy.close();
    }
  });

  test('the proxy from the environment, NO_PROXY honoured', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', HTTP_PROXY: 'http://plain:8080', NO_PROXY: 'localhost,.internal' };
    assert.equal(proxyFromEnv('https://api.nuget.org/v3/index.json', env), 'http://proxy:3128');
    assert.equal(proxyFromEnv('http://mirror.example/v3/index.json', env), 'http://plain:8080');
    assert.equal(proxyFromEnv('https://nuget.internal/v3/index.json', env), undefined);
    assert.equal(proxyFromEnv('https://api.nuget.org/v3/index.json', {}), undefined);
  });
});

test('stride setup-gpu on this machine says what it lacks and exits 1', () => {
  const h = mkdtempSync(join(root, 'cli-'));
  const r = stride(['setup-gpu'], undefined, { XDG_CACHE_HOME: h });
  // This machine has no NVIDIA GPU; on one that has, the set-up goes further and says so.
  if (existsSync('/proc/driver/nvidia/version')) return;
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^Checking the NVIDIA driver, the GPU and the CUDA 12 \/ cuDNN 9 libraries\n/);
  assert.match(r.stderr, /^stride: setup-gpu: no NVIDIA driver: \/proc\/driver\/nvidia\/version does not exist and nvidia-smi is not on PATH\. Stride runs networks on the CPU here\./);
  assert.deepEqual(readdirSync(h), []);
});

test('stride setup-gpu refuses a file or a feed that is not an http(s) URL, with the usage', () => {
  for (const args of [['setup-gpu', 'x.stride'], ['setup-gpu', '--feed', 'ftp://mirror/index.json']]) {
    const r = stride(args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^stride: (setup-gpu takes no file \('x\.stride'\)|--feed must be an http\(s\) URL of a NuGet v3 service index, not 'ftp:\/\/mirror\/index\.json')\n\nusage: /);
  }
  assert.match(stride(['help']).stdout, /\n {2}setup-gpu {6}set up ONNX Runtime's CUDA provider for `stride run`/);
});
