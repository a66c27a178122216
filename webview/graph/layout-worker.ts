import type { ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import workerSource from 'elkjs/lib/elk-worker.min.js';

/** How long after the worker starts the warm-up begins. */
const WARM_UP_AFTER_MS = 200;

interface Pending {
  resolve: (answer: unknown) => void;
  reject: (error: Error) => void;
}

interface Answer {
  id?: unknown;
  data?: unknown;
  error?: unknown;
}

/**
 * elkjs in a Web Worker, so that laying out a large network never freezes the page. The worker starts from
 * a Blob URL: a webview may not start one from its resource URLs, which are of another origin. It speaks
 * elkjs's own worker protocol (`register`, then `layout` requests answered by id).
 */
export class LayoutWorker {
  private worker: Worker | undefined;
  /** Settles when the worker has compiled its script and registered the layered algorithm. */
  private started: Promise<unknown> = Promise.resolve();
  private url: string | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Warm-up layouts still to make; a real layout sets it to 0. */
  private warming = 0;

  /**
   * Starts the worker now and, a moment after it has started, lays out `graph` a few times while nothing else
   * is asked, one at a time: a real layout never waits behind more than one of these small ones (and usually
   * behind none, since a document tends to arrive before then). `done` is called when it stops.
   */
  warmUp(graph: () => ElkNode, times = 8, done: () => void = () => {}): void {
    try {
      this.ensure();
    } catch {
      // Reported by the first layout that needs it.
      return done();
    }
    this.warming = times;
    const next = () => {
      if (this.warming <= 0) return done();
      this.warming--;
      this.send({ cmd: 'layout', graph: graph(), layoutOptions: {}, options: {} }).then(next, () => {
        this.warming = 0;
        done();
      });
    };
    // A moment's grace after the start: a document that arrives then is laid out first, not after a warm-up.
    this.started.then(() => setTimeout(next, WARM_UP_AFTER_MS), done);
  }

  layout(graph: ElkNode, layoutOptions: LayoutOptions = {}): Promise<ElkNode> {
    this.warming = 0;
    this.ensure();
    return this.send({ cmd: 'layout', graph, layoutOptions, options: {} }) as Promise<ElkNode>;
  }

  private send(message: Record<string, unknown>): Promise<unknown> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    this.url ??= URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
    const worker = new Worker(this.url, { name: 'stride-layout' });
    worker.onmessage = (e: MessageEvent<Answer>) => this.receive(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.fail(new Error(e.message || 'the layout worker stopped'));
    };
    this.worker = worker;
    this.started = this.send({ cmd: 'register', algorithms: ['layered'] });
    return worker;
  }

  private receive(answer: Answer): void {
    if (typeof answer?.id !== 'number') return;
    const p = this.pending.get(answer.id);
    if (!p) return;
    this.pending.delete(answer.id);
    if (answer.error !== undefined) p.reject(new Error(errorText(answer.error)));
    else p.resolve(answer.data);
  }

  /** A crashed worker fails what it was doing and is started afresh for the next layout. */
  private fail(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker?.terminate();
    this.worker = undefined;
  }
}

/** elkjs reports Java exceptions as objects with a message somewhere inside. */
function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const o = e as { message?: unknown; g?: unknown };
    if (typeof o.message === 'string') return o.message;
    if (typeof o.g === 'string') return o.g;
  }
  return 'the layout failed';
}
