/**
 * Session mode's stand-in for the token (`token: session`, issue 10). The tokens stay on the
 * server behind an HttpOnly cookie, so the browser cannot know them; what the runtime tracks
 * instead is whether it believes a session exists, as an opaque marker: a new one for each
 * session seen, undefined for none. Grants, `isOpen` and the definition refetch compare it
 * exactly as they compare store tokens; it is never sent anywhere.
 *
 * The server tells of the session in the `X-Lowkey-Session` header of query answers:
 * `started` (sign-in) gives a new marker, `refreshed` gives one when there was none, `ended`
 * clears it. Tabs of the app tell each other `started`/`ended` over a channel, so a sign-out
 * in one tab signs the others out.
 *
 * A session that ends other than by this tab's own sign-out query (signed out in another tab,
 * expired, refresh refused) is `lost`: the runtime sends a protected page to the login page.
 * After its own sign-out the app navigates where it wants.
 */

import { signal, type ReadonlySignal, type Signal } from './graph.ts';
import type { Host, HostChannel } from './host.ts';
import type { SessionHeader, Transport } from './query.ts';

let issued = 0;
const newMarker = (): string => `lowkey-session#${++issued}`;

/** The channel the app's tabs share. */
export function sessionChannelName(appSlug: string): string {
  return `lowkey-session:${appSlug}`;
}

export class SessionMarker {
  private readonly current: Signal<string | undefined>;
  private readonly channel: HostChannel | undefined;

  /** `signedIn`: the definition the runtime starts on has a user (the cookie is live). */
  constructor(
    appSlug: string,
    signedIn: boolean,
    host: Host,
    /** The app's sign-out query (`auth.session.signOut`). */
    private readonly signOut: string | undefined,
    /** The session ended, not by this tab's sign-out: a protected page shown must go. */
    private readonly lost: () => void,
  ) {
    this.current = signal<string | undefined>(signedIn ? newMarker() : undefined);
    this.channel = host.openChannel?.(sessionChannelName(appSlug), (m) => this.heardFromTab(m));
  }

  /** The marker (tracked). */
  get value(): ReadonlySignal<string | undefined> {
    return this.current;
  }

  /** `inner`, with every answer's `X-Lowkey-Session` passed on to the marker. */
  transport(inner: Transport): Transport {
    return {
      runQuery: async (appSlug, query, params) => {
        const response = await inner.runQuery(appSlug, query, params);
        if (response.session) this.heard(response.session, query);
        return response;
      },
    };
  }

  /** The header of `query`'s answer. */
  heard(header: SessionHeader, query: string): void {
    const had = this.current.peek() !== undefined;
    if (header === 'started' || (header === 'refreshed' && !had)) {
      this.current.value = newMarker();
      if (header === 'started') this.channel?.post('started');
    } else if (header === 'ended') {
      if (had) {
        this.current.value = undefined;
        this.channel?.post('ended');
      }
      if (query !== this.signOut) this.lost();
    }
  }

  dispose(): void {
    this.channel?.close();
  }

  private heardFromTab(message: unknown): void {
    if (message === 'started') {
      this.current.value = newMarker();
    } else if (message === 'ended') {
      this.current.value = undefined;
      this.lost();
    }
  }
}
