/** The management API as the console uses it: bearer token, JSON, RFC 9457 problems. */

export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  /** the field errors whose field is `name` */
  on(name: string): FieldError[] {
    return (this.problem.errors ?? []).filter((e) => e.field === name);
  }
}

export interface Me {
  id: string;
  name: string | null;
  scopes: string[];
}

export interface Answer<T> {
  status: number;
  body: T;
  etag: string | null;
}

export class Api {
  constructor(readonly token: string) {}

  async request<T>(method: string, path: string, opts: { body?: unknown; ifMatch?: string | null; accept?: 'json' | 'text' } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.ifMatch) headers['if-match'] = opts.ifMatch;
    const res = await fetch(path, {
      method,
      headers,
      cache: 'no-store',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let problem: Problem = { title: res.statusText || `HTTP ${res.status}`, status: res.status };
      try {
        const p = JSON.parse(text) as Partial<Problem>;
        if (p && typeof p.title === 'string') problem = { ...p, title: p.title, status: res.status };
      } catch {
        // not a problem document: keep the status line
      }
      throw new ApiError(res.status, problem);
    }
    const body = (opts.accept === 'text' ? text : text ? JSON.parse(text) : undefined) as T;
    return { status: res.status, body, etag: res.headers.get('etag') };
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path).then((a) => a.body);
  }

  /** A path under /api/v1, its segments encoded. */
  static path(...segments: string[]): string {
    return '/api/v1/' + segments.map((s) => encodeURIComponent(s)).join('/');
  }
}

/** Readable text for any failure. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    return p.detail && p.detail !== p.title ? `${p.title}: ${p.detail}` : p.title;
  }
  return err instanceof Error ? err.message : String(err);
}
