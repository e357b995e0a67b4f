/**
 * URLs of the viewer: `/app/<app-slug>` (the home page) and `/app/<app-slug>/<page-slug>`,
 * query strings for `navigateTo` params, and `appsmith.URL`. Written without the DOM's URL
 * classes so the runtime stays DOM-free.
 */

import type { LocationSnapshot } from './host.ts';

export interface AppLocation {
  readonly appSlug: string;
  /** Undefined for `/app/<app-slug>`: the home page. */
  readonly pageSlug: string | undefined;
}

/** Parses a viewer path, or returns null when it is not one. */
export function parseAppPath(pathname: string): AppLocation | null {
  const m = /^\/app\/([^/]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m || m[1] === undefined) return null;
  return { appSlug: safeDecode(m[1]), pageSlug: m[2] === undefined ? undefined : safeDecode(m[2]) };
}

export function pagePath(appSlug: string, pageSlug: string): string {
  return `/app/${encodeURIComponent(appSlug)}/${encodeURIComponent(pageSlug)}`;
}

/** A route of the server's sign-in by redirect (`auth.oidc`): `/app/<app-slug>/_auth/login`
 * or `/app/<app-slug>/_auth/logout`. */
export function authRoutePath(appSlug: string, route: 'login' | 'logout'): string {
  return `/app/${encodeURIComponent(appSlug)}/_auth/${route}`;
}

/** `?a=1&b=x` from params; strings as they are, other values as JSON. Empty params: "". */
export function queryString(params: unknown): string {
  if (params === null || typeof params !== 'object') return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export function parseQueryString(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  const s = search.startsWith('?') ? search.slice(1) : search;
  for (const part of s.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    out[safeDecode(k.replace(/\+/g, ' '))] = safeDecode(v.replace(/\+/g, ' '));
  }
  return out;
}

/** `appsmith.URL`. */
export interface AppUrl {
  readonly host: string;
  readonly hostname: string;
  readonly fullPath: string;
  readonly pathname: string;
  readonly port: string;
  readonly protocol: string;
  readonly hash: string;
  readonly queryParams: Readonly<Record<string, string>>;
}

export function appUrl(loc: LocationSnapshot): AppUrl {
  return Object.freeze({
    host: loc.host,
    hostname: loc.hostname,
    fullPath: loc.href,
    pathname: loc.pathname,
    port: loc.port,
    protocol: loc.protocol,
    hash: loc.hash,
    queryParams: Object.freeze(parseQueryString(loc.search)),
  });
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);
// A bare host, optionally with a port and a path: "example.com", "docs.example.com:8443/x".
const BARE_HOST = /^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+)(:\d{1,5})?([/?#]\S*)?$/i;

/**
 * The URL `navigateTo` should open for a target that is not a page name, or null when it is
 * not a URL. A bare host gets `https://`; `javascript:` and other schemes are refused.
 */
export function externalUrl(target: string): string | null {
  const t = target.trim();
  if (t === '' || /\s/.test(t)) return null;
  const scheme = SCHEME.exec(t);
  if (scheme && scheme[1] !== undefined) {
    if (!ALLOWED_SCHEMES.has(scheme[1].toLowerCase())) {
      // "localhost:8080/x" reads as a scheme but is a host with a port.
      return BARE_HOST.test(t) ? `https://${t}` : null;
    }
    if (/^https?:$/i.test(`${scheme[1]}:`) && !/^https?:\/\/[^/\s]+/i.test(t)) return null;
    return t;
  }
  return BARE_HOST.test(t) ? `https://${t}` : null;
}

/** Appends a query string to a URL that may already have one (keeping a #fragment last). */
export function withQuery(url: string, qs: string): string {
  if (qs === '') return url;
  const hashAt = url.indexOf('#');
  const base = hashAt < 0 ? url : url.slice(0, hashAt);
  const hash = hashAt < 0 ? '' : url.slice(hashAt);
  return `${base}${base.includes('?') ? `&${qs.slice(1)}` : qs}${hash}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
